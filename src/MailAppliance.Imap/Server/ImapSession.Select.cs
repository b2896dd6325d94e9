using System.Globalization;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>SELECT and EXAMINE (RFC 9051 §6.3.2, RFC 7162 CONDSTORE/QRESYNC parameters), CLOSE and UNSELECT.</summary>
public sealed partial class ImapSession
{
    private async Task SelectAsync(ImapCommand command, bool readOnly, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count is < 1 or > 2)
        {
            await BadAsync(command.Tag, "Mailbox name expected");
            return;
        }

        QResyncRequest? qresync = null;
        if (command.Arguments.Count == 2)
        {
            if (command.Arguments[1] is not ImapList parameters || !TryParseSelectParameters(parameters, out qresync, out var error))
            {
                await BadAsync(command.Tag, "Invalid SELECT parameters");
                return;
            }
        }

        var user = User;
        if (_state is ImapSessionState.Selected previous)
        {
            // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected; [CLOSED] (RFC 7162 §3.2.11) marks the switch.
            previous.Mailbox.Dispose();
            _state = new ImapSessionState.Authenticated(user);
            _out.Raw("* OK [").Raw(ImapCodes.Closed).Raw("] Previous mailbox closed").Crlf();
        }

        // A name that cannot be a mailbox is a mailbox that does not exist (NO, as Dovecot answers), not bad syntax.
        var name = ParseMailboxName(command.Arguments[0], out _);
        var info = name is null ? null : await _services.Store.FindMailboxAsync(user, name, cancellationToken);
        if (name is null || info is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        if (await _services.Store.RefreshIfBehindAsync(user, info, cancellationToken))
        {
            info = await _services.Store.FindMailboxAsync(user, name, cancellationToken) ?? info;
        }

        var watch = _services.Changes.Watch(info.Id);
        MailboxSnapshot snapshot;
        uint recentFrom;
        try
        {
            snapshot = await _services.Store.LoadSnapshotAsync(info, cancellationToken);
            watch.Take();
            var largest = snapshot.Messages.Count == 0 ? 0 : snapshot.Messages.UidAt(snapshot.Messages.Count - 1);
            recentFrom = readOnly
                ? await _services.Store.GetFirstRecentUidAsync(info, cancellationToken)
                : await _services.Store.ClaimRecentAsync(info, Math.Max(snapshot.UidNext, largest + 1), cancellationToken);
        }
        catch
        {
            watch.Dispose();
            throw;
        }

        var selected = new SelectedMailbox(info, readOnly, snapshot, watch, _modes, recentFrom);
        _state = new ImapSessionState.Selected(user, selected);
        selected.WriteFlags(_out);
        _out.Raw("* ").Number(selected.Count).Raw(" EXISTS").Crlf();
        if (!_modes.Rev2)
        {
            _out.Raw("* ").Number(selected.RecentCount).Raw(" RECENT").Crlf();
            if (snapshot.FirstUnseen >= 0)
            {
                _out.Raw("* OK [").Raw(ImapReplies.Number(ImapCodes.Unseen, snapshot.FirstUnseen + 1)).Raw("] First unseen").Crlf();
            }
        }

        _out.Raw("* OK [").Raw(ImapReplies.Number(ImapCodes.UidValidity, info.UidValidity)).Raw("] UIDs valid").Crlf();
        _out.Raw("* OK [").Raw(ImapReplies.Number(ImapCodes.UidNext, Math.Max(snapshot.UidNext, selected.LargestUid + 1))).Raw("] Predicted next UID").Crlf();
        _out.Raw("* OK [").Raw(ImapReplies.Number(ImapCodes.HighestModSeq, snapshot.HighestModSeq)).Raw("] Highest").Crlf();
        _out.Raw("* OK [").Raw(ImapCodes.MailboxId).Raw(" (").Raw(MailboxObjectId(info)).Raw(")] Ok").Crlf();
        if (qresync is not null && qresync.UidValidity == info.UidValidity)
        {
            await WriteQResyncAsync(selected, qresync, cancellationToken);
        }

        if (_modes.Rev2)
        {
            _out.Raw("* LIST () \"/\" ");
            WriteMailboxName(info.Name);
            _out.Crlf();
        }

        _errors = 0;
        Tagged(command.Tag, "OK", "[" + (readOnly ? ImapCodes.ReadOnly : ImapCodes.ReadWrite) + "] " + command.Name + " completed");
    }

    /// <summary>RFC 7162 §3.2.5: QRESYNC (uidvalidity modseq [known-uids [seq-match-data]]).</summary>
    private sealed record QResyncRequest(uint UidValidity, long ModSeq, SequenceSet? KnownUids);

    private bool TryParseSelectParameters(ImapList parameters, out QResyncRequest? qresync, out string error)
    {
        qresync = null;
        error = "";
        for (var i = 0; i < parameters.Items.Count; i++)
        {
            switch (parameters.Items[i].AsText()?.ToUpperInvariant())
            {
                case "CONDSTORE":
                    // RFC 7162 §3.1.8: SELECT (CONDSTORE) enables CONDSTORE.
                    _modes.CondStore = true;
                    break;
                case "QRESYNC" when _modes.QResync && i + 1 < parameters.Items.Count && parameters.Items[i + 1] is ImapList data:
                    i++;
                    if (data.Items.Count is < 2 or > 4
                        || !uint.TryParse(data.Items[0].AsText(), NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
                        || !long.TryParse(data.Items[1].AsText(), NumberStyles.None, CultureInfo.InvariantCulture, out var modseq))
                    {
                        return false;
                    }

                    SequenceSet? known = null;
                    if (data.Items.Count >= 3 && data.Items[2] is not ImapList && (data.Items[2].AsText() is not { } set || !SequenceSet.TryParse(set, out known)))
                    {
                        return false;
                    }

                    qresync = new QResyncRequest(validity, modseq, known);
                    break;
                default:
                    // QRESYNC without ENABLE QRESYNC is an error (RFC 7162 §3.2.5).
                    return false;
            }
        }

        return true;
    }

    /// <summary>RFC 7162 §3.2.5.1: what changed since the client's modseq: VANISHED (EARLIER) for the expunged, FETCH for the rest.</summary>
    private async Task WriteQResyncAsync(SelectedMailbox selected, QResyncRequest request, CancellationToken cancellationToken)
    {
        var changes = await _services.Store.GetChangesAsync(selected.Info, request.ModSeq, cancellationToken);
        var vanished = changes.Expunged.Where(u => request.KnownUids is null || request.KnownUids.Contains(u, uint.MaxValue)).Order().ToList();
        if (vanished.Count > 0)
        {
            _out.Raw("* VANISHED (EARLIER) ").Raw(SequenceSet.Format(vanished)).Crlf();
        }

        foreach (var state in changes.Changed.Where(c => c.ModSeq > request.ModSeq).OrderBy(c => c.Uid))
        {
            var index = selected.IndexOf(state.Uid);
            if (index < 0)
            {
                continue;
            }

            selected.AnnounceKeywords(state.Keywords, _out);
            _out.Raw("* ").Number(index + 1).Raw(" FETCH (UID ").Number(state.Uid).Raw(" FLAGS ").Raw(selected.FormatFlags(state.Uid, state.Flags, state.Keywords))
                .Raw(" MODSEQ (").Number(state.ModSeq).Raw("))").Crlf();
            await _out.FlushIfLargeAsync(cancellationToken);
        }
    }

    private async Task CloseAsync(ImapCommand command, bool expunge, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (expunge && !selected.Mailbox.ReadOnly)
        {
            // RFC 9051 §6.4.1: CLOSE expunges silently.
            var deleted = await DeletedUidsAsync(selected.Mailbox, null, cancellationToken);
            if (deleted.Count > 0)
            {
                await _services.Store.ExpungeAsync(selected.User, selected.Mailbox.Info, deleted, cancellationToken);
            }
        }

        selected.Mailbox.Dispose();
        _state = new ImapSessionState.Authenticated(selected.User);
        _errors = 0;
        Tagged(command.Tag, "OK", command.Name + " completed");
    }

    /// <summary>RFC 8474 MAILBOXID: the uidlist's GUID (it survives renames and reconstructs), else the row id.</summary>
    private static string MailboxObjectId(MailboxInfo info) =>
        info.Guid is { Length: > 0 } guid && guid.All(char.IsAsciiLetterOrDigit) ? "F" + guid : "F" + info.Id.ToString(CultureInfo.InvariantCulture);
}
