using MailAppliance.Storage.Database;
using MailAppliance.Core.Net;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>STORE, COPY, MOVE, EXPUNGE (RFC 9051 §6.4, RFC 6851 MOVE, RFC 4315 UIDPLUS, RFC 7162 UNCHANGEDSINCE).</summary>
public sealed partial class ImapSession
{
    private async Task StoreAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        var args = command.Arguments;
        if (args.Count < 3 || args[0].AsText() is not { } setText)
        {
            await BadAsync(command.Tag, "STORE takes a message set, an item and flags");
            return;
        }

        var index = 1;
        long? unchangedSince = null;
        if (args[index] is ImapList modifiers)
        {
            if (modifiers.Items.Count != 2 || !(modifiers.Items[0] is ImapAtom u && u.Is("UNCHANGEDSINCE")) || !long.TryParse(modifiers.Items[1].AsText(), out var since))
            {
                await BadAsync(command.Tag, "Unknown STORE modifier");
                return;
            }

            unchangedSince = since;
            EnableCondStore();
            index++;
        }

        if (args.Count < index + 2 || args[index].AsText()?.ToUpperInvariant() is not { } item
            || !ImapFlags.TryParse(args.Count == index + 2 ? args[index + 1] : new ImapList(args.Skip(index + 1).ToList()), out var flags, out var keywords, out var flagError))
        {
            await BadAsync(command.Tag, "Invalid STORE item or flags");
            return;
        }

        var silent = item.EndsWith(".SILENT", StringComparison.Ordinal);
        var mode = (silent ? item[..^".SILENT".Length] : item) switch
        {
            "FLAGS" => (FlagMode?)FlagMode.Replace,
            "+FLAGS" => FlagMode.Add,
            "-FLAGS" => FlagMode.Remove,
            _ => null,
        };
        if (mode is null || (silent && !item.EndsWith("FLAGS.SILENT", StringComparison.Ordinal)))
        {
            await BadAsync(command.Tag, "Invalid STORE item " + item);
            return;
        }

        var mailbox = selected.Mailbox;
        var indexes = ResolveSet(mailbox, setText, command.IsUid, out var setError);
        if (setError is not null)
        {
            await BadAsync(command.Tag, setError);
            return;
        }

        if (mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, ImapReplies.ReadOnlyMailbox);
            return;
        }

        var uids = indexes!.Select(i => mailbox.Messages[i].Uid).ToList();
        var result = uids.Count == 0
            ? new StoreResult([], [])
            : await _services.Store.StoreFlagsAsync(selected.User, mailbox.Info, uids, mode.Value, flags, keywords, unchangedSince, cancellationToken);
        var changed = result.Changed.ToDictionary(c => c.Uid);
        var modified = result.Modified.ToHashSet();
        mailbox.AnnounceKeywords(result.Changed.SelectMany(c => c.Keywords), _out);
        foreach (var uid in uids)
        {
            var i = mailbox.IndexOf(uid);
            if (i < 0 || modified.Contains(uid))
            {
                continue;
            }

            var state = mailbox.Messages[i];
            var didChange = changed.TryGetValue(uid, out var update);
            if (didChange)
            {
                state = new MessageState(uid, update!.Flags, update.Keywords.ToArray(), update.ModSeq);
                mailbox.Update(state);
            }

            // RFC 7162 §3.2: with CONDSTORE, a changed message is reported with its MODSEQ even for .SILENT.
            if (!silent || (_modes.CondStore && didChange))
            {
                _out.Bytes("* "u8).Number(i + 1).Bytes(" FETCH ("u8);
                if (command.IsUid)
                {
                    _out.Bytes("UID "u8).Number(uid).Space();
                }

                _out.Bytes("FLAGS "u8);
                mailbox.WriteFlags(_out, uid, state.Flags, state.Keywords);
                if (_modes.CondStore)
                {
                    _out.Bytes(" MODSEQ ("u8).Number(state.ModSeq).Bytes(")"u8);
                }

                _out.Bytes(")\r\n"u8);
                await _out.FlushIfLargeAsync(cancellationToken);
            }
        }

        // CONTEXT=SEARCH/SORT updates (RFC 5267) for what this STORE changed.
        await AfterChangesAsync(selected, new SyncReport(result.Changed.Select(c => c.Uid).ToList(), [], []), cancellationToken);
        if (modified.Count > 0)
        {
            var numbers = command.IsUid ? modified.Order() : modified.Select(u => (uint)(mailbox.IndexOf(u) + 1)).Order();
            await OkAsync(command, ImapReplies.Modified(SequenceSet.Format(numbers)), "Conditional STORE failed for some messages", allowExpunge: command.IsUid);
            return;
        }

        await OkAsync(command, "STORE completed", allowExpunge: command.IsUid);
    }

    private async Task CopyAsync(ImapCommand command, bool move, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (command.Arguments.Count != 2 || command.Arguments[0].AsText() is not { } setText)
        {
            await BadAsync(command.Tag, command.Name + " takes a message set and a mailbox");
            return;
        }

        var mailbox = selected.Mailbox;
        var indexes = ResolveSet(mailbox, setText, command.IsUid, out var setError);
        if (setError is not null)
        {
            await BadAsync(command.Tag, setError);
            return;
        }

        if (move && mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, ImapReplies.ReadOnlyMailbox);
            return;
        }

        var targetName = ParseMailboxName(command.Arguments[1], out _);
        var target = targetName is null ? null : await _services.Store.FindMailboxAsync(selected.User, targetName, cancellationToken);
        if (target is null)
        {
            // RFC 9051 §6.4.7: the client may create the mailbox and try again.
            await NoAsync(command.Tag, ImapReplies.TryCreate);
            return;
        }

        var uids = indexes!.Select(i => mailbox.Messages[i].Uid).ToList();
        if (uids.Count == 0)
        {
            await OkAsync(command, "No messages", allowExpunge: command.IsUid);
            return;
        }

        var result = await _services.Store.CopyMessagesAsync(selected.User, mailbox.Info, uids, target, move && target.Id != mailbox.Info.Id, cancellationToken);
        var copyUid = result.SourceUids.Count == 0
            ? null
            : ImapReplies.CopyUid(result.UidValidity, string.Join(',', result.SourceUids), string.Join(',', result.TargetUids));
        if (move)
        {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
            if (copyUid is not null)
            {
                _out.Raw("* OK [").Raw(copyUid).Raw("] Moved").Crlf();
            }

            mailbox.ExpungeReported(result.SourceUids, _out);
            await AfterChangesAsync(selected, new SyncReport([], [], result.SourceUids), cancellationToken);
            await OkAsync(command, "MOVE completed");
            return;
        }

        // Copying into the selected mailbox: report the new messages now (RFC 9051 §6.4.7), not at a later command.
        await SyncSelectedAsync(allowExpunge: command.IsUid, force: target.Id == mailbox.Info.Id, cancellationToken);
        if (copyUid is null)
        {
            await OkAsync(command, "COPY completed", allowExpunge: command.IsUid);
            return;
        }

        await OkAsync(command, copyUid, "COPY completed", allowExpunge: command.IsUid);
    }

    private async Task ExpungeAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        HashSet<uint>? only = null;
        if (command.IsUid)
        {
            var indexes = command.Arguments.Count == 1 && command.Arguments[0].AsText() is { } setText ? ResolveSet(selected.Mailbox, setText, uid: true, out _) : null;
            if (indexes is null)
            {
                await BadAsync(command.Tag, "UID EXPUNGE takes a UID set");
                return;
            }

            only = indexes.Select(i => selected.Mailbox.Messages[i].Uid).ToHashSet();
        }

        if (!command.IsUid && command.Arguments.Count != 0)
        {
            await BadAsync(command.Tag, "EXPUNGE takes no arguments");
            return;
        }

        if (selected.Mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, ImapReplies.ReadOnlyMailbox);
            return;
        }

        var deleted = await DeletedUidsAsync(selected.Mailbox, only, cancellationToken);
        if (deleted.Count > 0)
        {
            var expunged = await _services.Store.ExpungeAsync(selected.User, selected.Mailbox.Info, deleted, cancellationToken);
            selected.Mailbox.ExpungeReported(expunged, _out);
            await AfterChangesAsync(selected, new SyncReport([], [], expunged), cancellationToken);
        }

        await OkAsync(command, command.Name + " completed");
    }

    /// <summary>The messages marked \Deleted (after catching up with other sessions), optionally only those of a UID set.</summary>
    private async Task<List<uint>> DeletedUidsAsync(SelectedMailbox mailbox, IReadOnlySet<uint>? only, CancellationToken cancellationToken)
    {
        await SyncSelectedAsync(allowExpunge: true, force: true, cancellationToken);
        return mailbox.Messages
            .Where(m => (m.Flags & MaildirFlags.Trashed) != 0 && (only is null || only.Contains(m.Uid)))
            .Select(m => m.Uid).ToList();
    }
}
