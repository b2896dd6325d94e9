using MailAppliance.Storage.Database;
using MailAppliance.Core.Net;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Queue;

namespace MailAppliance.Imap.Server;

/// <summary>STORE, COPY, MOVE, EXPUNGE (RFC 9051 §6.4, RFC 6851 MOVE, RFC 4315 UIDPLUS, RFC 7162 UNCHANGEDSINCE), APPEND and IDLE.</summary>
public sealed partial class ImapSession
{
    private async Task StoreAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        var args = command.Arguments;
        if (args.Count < 3 || args[0].AsText() is not { } setText || !SequenceSet.TryParse(setText, out var set))
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
            _condStore = true;
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
        var indexes = mailbox.Resolve(set!, command.IsUid);
        if (indexes is null)
        {
            await BadAsync(command.Tag, "Invalid message sequence number");
            return;
        }

        if (mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }

        var uids = indexes.Select(i => mailbox.Messages[i].Uid).ToList();
        var result = uids.Count == 0
            ? new StoreResult([], [])
            : await _services.Store.StoreFlagsAsync(selected.User, mailbox.Info, uids, mode.Value, flags, keywords, unchangedSince, cancellationToken);
        var changed = result.Changed.ToDictionary(c => c.Uid);
        var modified = result.Modified.ToHashSet();
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
            if (!silent || (_condStore && didChange))
            {
                _out.Raw("* ").Number(i + 1).Raw(" FETCH (");
                if (command.IsUid)
                {
                    _out.Raw("UID ").Number(uid).Raw(" ");
                }

                _out.Raw("FLAGS ").Raw(ImapFlags.Format(state.Flags, state.Keywords));
                if (_condStore)
                {
                    _out.Raw(" MODSEQ (").Number(state.ModSeq).Raw(")");
                }

                _out.Raw(")").Crlf();
                await _out.FlushIfLargeAsync(cancellationToken);
            }
        }

        var text = "STORE completed";
        if (modified.Count > 0)
        {
            var numbers = command.IsUid ? modified.Order() : modified.Select(u => (uint)(mailbox.IndexOf(u) + 1)).Order();
            text = "[MODIFIED " + SequenceSet.Format(numbers) + "] Conditional STORE failed for some messages";
        }

        await OkAsync(command, text, allowExpunge: command.IsUid);
    }

    private async Task CopyAsync(ImapCommand command, bool move, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (command.Arguments.Count != 2 || command.Arguments[0].AsText() is not { } setText || !SequenceSet.TryParse(setText, out var set)
            || ParseMailboxName(command.Arguments[1], out _) is not { } targetName)
        {
            await BadAsync(command.Tag, command.Name + " takes a message set and a mailbox");
            return;
        }

        var mailbox = selected.Mailbox;
        var indexes = mailbox.Resolve(set!, command.IsUid);
        if (indexes is null)
        {
            await BadAsync(command.Tag, "Invalid message sequence number");
            return;
        }

        if (move && mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }

        var target = await _services.Store.FindMailboxAsync(selected.User, targetName, cancellationToken);
        if (target is null)
        {
            // RFC 9051 §6.4.7: the client may create the mailbox and try again.
            await NoAsync(command.Tag, "[TRYCREATE] No such mailbox");
            return;
        }

        var uids = indexes.Select(i => mailbox.Messages[i].Uid).ToList();
        if (uids.Count == 0)
        {
            await OkAsync(command, "No messages", allowExpunge: command.IsUid);
            return;
        }

        var result = await _services.Store.CopyMessagesAsync(selected.User, mailbox.Info, uids, target, move && target.Id != mailbox.Info.Id, cancellationToken);
        var copyUid = result.SourceUids.Count == 0
            ? ""
            : $"[COPYUID {result.UidValidity} {string.Join(',', result.SourceUids)} {string.Join(',', result.TargetUids)}] ";
        if (move)
        {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
            if (copyUid.Length > 0)
            {
                _out.Raw("* OK ").Raw(copyUid).Raw("Moved").Crlf();
            }

            mailbox.ExpungeReported(result.SourceUids, _out);
            await OkAsync(command, "MOVE completed");
            return;
        }

        // Copying into the selected mailbox: report the new messages now (RFC 9051 §6.4.7), not at a later command.
        await SyncSelectedAsync(allowExpunge: command.IsUid, force: target.Id == mailbox.Info.Id, cancellationToken);
        await OkAsync(command, copyUid + "COPY completed", allowExpunge: command.IsUid);
    }

    private async Task ExpungeAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        SequenceSet? set = null;
        if (command.IsUid && (command.Arguments.Count != 1 || command.Arguments[0].AsText() is not { } setText || !SequenceSet.TryParse(setText, out set)))
        {
            await BadAsync(command.Tag, "UID EXPUNGE takes a UID set");
            return;
        }

        if (!command.IsUid && command.Arguments.Count != 0)
        {
            await BadAsync(command.Tag, "EXPUNGE takes no arguments");
            return;
        }

        if (selected.Mailbox.ReadOnly)
        {
            await NoAsync(command.Tag, "[READ-ONLY] Mailbox is read-only");
            return;
        }

        var deleted = await DeletedUidsAsync(selected.Mailbox, set, cancellationToken);
        if (deleted.Count > 0)
        {
            var expunged = await _services.Store.ExpungeAsync(selected.User, selected.Mailbox.Info, deleted, cancellationToken);
            selected.Mailbox.ExpungeReported(expunged, _out);
        }

        await OkAsync(command, command.Name + " completed");
    }

    /// <summary>The messages marked \Deleted (after catching up with other sessions), optionally only those in a UID set.</summary>
    private async Task<List<uint>> DeletedUidsAsync(SelectedMailbox mailbox, SequenceSet? uidSet, CancellationToken cancellationToken)
    {
        await mailbox.SyncAsync(_services.Store, _out, allowExpunge: true, force: true, _condStore, cancellationToken);
        return mailbox.Messages
            .Where(m => (m.Flags & MaildirFlags.Trashed) != 0 && (uidSet is null || uidSet.Contains(m.Uid, mailbox.LargestUid)))
            .Select(m => m.Uid).ToList();
    }

    /// <summary>RFC 9051 §6.3.12 APPEND, with RFC 4315 APPENDUID.</summary>
    private async Task AppendAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        if (args.Count is < 2 or > 4 || ParseMailboxName(args[0], out _) is not { } name)
        {
            await BadAsync(command.Tag, "APPEND takes a mailbox, optional flags and date, and a message literal");
            return;
        }

        var flags = MaildirFlags.None;
        List<string> keywords = [];
        DateTimeOffset? date = null;
        var index = 1;
        if (args[index] is ImapList flagList)
        {
            if (!ImapFlags.TryParse(flagList, out flags, out keywords, out var error))
            {
                await BadAsync(command.Tag, error);
                return;
            }

            index++;
        }

        if (index < args.Count - 1)
        {
            if (args[index] is not ImapString { IsLiteral: false } dateText || !SearchParser.TryParseDateTime(dateText.AsText(), out var parsed))
            {
                await BadAsync(command.Tag, "Invalid date-time");
                return;
            }

            date = parsed;
            index++;
        }

        if (index != args.Count - 1 || args[index] is not (ImapString { IsLiteral: true } or ImapFileLiteral))
        {
            await BadAsync(command.Tag, "APPEND needs the message as a literal");
            return;
        }

        var user = User;
        var target = await _services.Store.FindMailboxAsync(user, name, cancellationToken);
        if (target is null)
        {
            await NoAsync(command.Tag, "[TRYCREATE] No such mailbox");
            return;
        }

        await using var content = args[index] switch
        {
            ImapString s => (Stream)new MemoryStream(s.Bytes, writable: false),
            ImapFileLiteral f => f.File.Open(),
            _ => throw new InvalidOperationException(),
        };
        if (content.Length == 0)
        {
            await NoAsync(command.Tag, "[CANNOT] Empty message");
            return;
        }

        DeliveryResult result;
        try
        {
            result = await _services.Store.AppendAsync(user, name, content, flags, keywords, date, cancellationToken);
        }
        catch (IOException e)
        {
            // INTERFACE.md: a full disk answers [OVERQUOTA] (as Dovecot's "Not enough disk space"); other trouble UNAVAILABLE.
            _logger.LogAppendFailed(e);
            await NoAsync(command.Tag, MessageQueue.IsDiskFull(e) ? "[OVERQUOTA] Not enough disk space" : "[UNAVAILABLE] Could not store the message, try again later");
            return;
        }

        if (result.Status == DeliveryStatus.OverQuota)
        {
            await NoAsync(command.Tag, "[OVERQUOTA] " + result.Reason);
            return;
        }

        // Appending to the selected mailbox: EXISTS before the tagged OK (RFC 9051 §6.3.12).
        await SyncSelectedAsync(allowExpunge: true, force: _state is ImapSessionState.Selected current && current.Mailbox.Info.Id == target.Id, cancellationToken);
        await OkAsync(command, $"[APPENDUID {result.UidValidity} {result.Uid}] APPEND completed");
    }

    /// <summary>RFC 2177 IDLE: changes are pushed as they happen (PostgreSQL NOTIFY) until the client says DONE.</summary>
    private async Task IdleAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        await SyncSelectedAsync(allowExpunge: true, force: false, cancellationToken);
        _out.Raw("+ idling").Crlf();
        await _out.FlushAsync(cancellationToken);
        // The DONE line is read without flushing: meanwhile this loop writes and flushes the untagged updates.
        var read = _connection.ReadCommandLineAsync(_lines, _options.IdleTimeout, cancellationToken, flushBeforeWait: false);
        var never = new TaskCompletionSource();
        while (true)
        {
            var watch = _state is ImapSessionState.Selected selected ? selected.Mailbox.Watch.WaitAsync() : never.Task;
            var done = await Task.WhenAny(read, watch);
            if (done == read)
            {
                break;
            }

            try
            {
                await SyncSelectedAsync(allowExpunge: true, force: false, cancellationToken);
                await _out.FlushAsync(cancellationToken);
            }
            catch (Exception e) when (StorageFailures.IsDatabase(e))
            {
                // The database is away: keep idling (the pending read must not be abandoned) and look again soon.
                _logger.LogIdleUpdateFailed(e);
                await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            }
        }

        var (status, line) = await read;
        switch (status)
        {
            case CommandLineStatus.Line when System.Text.Encoding.ASCII.GetString(line).Trim().Equals("DONE", StringComparison.OrdinalIgnoreCase):
                await OkAsync(command, "IDLE terminated");
                break;
            case CommandLineStatus.TimedOut:
                _out.Raw("* BYE Autologout; idle for too long").Crlf();
                _state = new ImapSessionState.Logout();
                break;
            case CommandLineStatus.Closed:
                _state = new ImapSessionState.Logout();
                break;
            default:
                await BadAsync(command.Tag, "Expected DONE");
                break;
        }
    }
}
