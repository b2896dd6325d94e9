using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>Mailbox commands (RFC 9051 §6.3): CREATE (RFC 6154 USE), DELETE, RENAME, (UN)SUBSCRIBE, STATUS (RFC 8438 SIZE, RFC 8474 MAILBOXID, RFC 7889 APPENDLIMIT), quota (RFC 9208).</summary>
public sealed partial class ImapSession
{
    private MailUser User => _state switch
    {
        ImapSessionState.Authenticated a => a.User,
        ImapSessionState.Selected s => s.User,
        _ => throw new InvalidOperationException("not logged in"),
    };

    /// <summary>RFC 9051 §6.3.4 CREATE, with RFC 6154 §3 <c>(USE (\Archive ...))</c>.</summary>
    private async Task CreateAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count is < 1 or > 2 || ParseMailboxName(command.Arguments[0], out _) is not { } name)
        {
            await BadAsync(command.Tag, "CREATE takes a mailbox name");
            return;
        }

        List<string>? uses = null;
        if (command.Arguments.Count == 2)
        {
            if (command.Arguments[1] is not ImapList { Items.Count: 2 } parameters || !(parameters.Items[0] is ImapAtom use && use.Is("USE")) || parameters.Items[1] is not ImapList attributes)
            {
                await BadAsync(command.Tag, "Unknown CREATE parameter");
                return;
            }

            uses = [];
            foreach (var attribute in attributes.Items.Select(a => a.AsText() ?? ""))
            {
                var known = SpecialUseAttributes.FirstOrDefault(a => a.Equals(attribute, StringComparison.OrdinalIgnoreCase));
                if (known is null)
                {
                    // RFC 6154 §3: an attribute the server does not support is refused with USEATTR.
                    await NoAsync(command.Tag, ImapReplies.UnknownSpecialUse);
                    return;
                }

                uses.Add(known);
            }
        }

        if (name.IsInbox)
        {
            await NoAsync(command.Tag, ImapReplies.InboxExists);
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, name, cancellationToken) is not null)
        {
            await NoAsync(command.Tag, ImapReplies.MailboxExists);
            return;
        }

        var created = await _services.Store.CreateMailboxAsync(User, name, cancellationToken);
        if (uses is { Count: > 0 })
        {
            await _services.Store.SetMetadataAsync(User, created.Id, SpecialUseEntry, System.Text.Encoding.UTF8.GetBytes(string.Join(' ', uses)), cancellationToken);
        }

        await _services.Store.NotifyMailboxListChangedAsync(User, cancellationToken);
        await OkAsync(command, "CREATE completed");
    }

    private async Task DeleteAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 1 || ParseMailboxName(command.Arguments[0], out _) is not { } name)
        {
            await BadAsync(command.Tag, "DELETE takes a mailbox name");
            return;
        }

        if (name.IsInbox)
        {
            await NoAsync(command.Tag, ImapReplies.InboxNotDeletable);
            return;
        }

        if (_state is ImapSessionState.Selected selected && selected.Mailbox.Info.Name.Equals(name))
        {
            // Deleting the selected mailbox: deselect first, as Dovecot does.
            selected.Mailbox.Dispose();
            _state = new ImapSessionState.Authenticated(selected.User);
            _out.Raw("* OK [").Raw(ImapCodes.Closed).Raw("] Mailbox closed").Crlf();
        }

        if (await _services.Store.FindMailboxAsync(User, name, cancellationToken) is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        try
        {
            await _services.Store.DeleteMailboxAsync(User, name, cancellationToken);
        }
        catch (MailstoreException e) when (e.Error == MailstoreError.MailboxExists)
        {
            // RFC 9051 §6.3.4 lets a server refuse to delete a mailbox with children (Maildir++ cannot keep a
            // \Noselect parent): Dovecot answers the same.
            await NoAsync(command.Tag, ImapReplies.HasChildren);
            return;
        }

        // RFC 9051 §6.3.4: DELETE leaves the subscription (LIST (SUBSCRIBED) shows it \NonExistent), as Dovecot does.
        await _services.Store.NotifyMailboxListChangedAsync(User, cancellationToken);
        await OkAsync(command, "DELETE completed");
    }

    private async Task RenameAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 2 || ParseMailboxName(command.Arguments[0], out _) is not { } from || ParseMailboxName(command.Arguments[1], out _) is not { } to)
        {
            await BadAsync(command.Tag, "RENAME takes two mailbox names");
            return;
        }

        if (to.IsInbox)
        {
            await NoAsync(command.Tag, ImapReplies.InboxExists);
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, from, cancellationToken) is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, to, cancellationToken) is not null)
        {
            await NoAsync(command.Tag, ImapReplies.MailboxExists);
            return;
        }

        await _services.Store.RenameMailboxAsync(User, from, to, cancellationToken);
        await _services.Store.NotifyMailboxListChangedAsync(User, cancellationToken);
        await OkAsync(command, "RENAME completed");
    }

    private async Task SubscribeAsync(ImapCommand command, bool subscribe, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 1 || ParseMailboxName(command.Arguments[0], out _) is not { } name)
        {
            await BadAsync(command.Tag, command.Name + " takes a mailbox name");
            return;
        }

        if (subscribe && await _services.Store.FindMailboxAsync(User, name, cancellationToken) is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        await _services.Store.SetSubscribedAsync(User, name, subscribe, cancellationToken);
        await _services.Store.NotifyMailboxListChangedAsync(User, cancellationToken);
        await OkAsync(command, command.Name + " completed");
    }

    private async Task StatusAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 2 || ParseMailboxName(command.Arguments[0], out _) is not { } name || command.Arguments[1] is not ImapList items)
        {
            await BadAsync(command.Tag, "STATUS takes a mailbox name and a list of items");
            return;
        }

        var names = items.Items.Select(i => i.AsText()?.ToUpperInvariant() ?? "").ToList();
        if (names.Count == 0 || names.Any(n => !StatusItems.Contains(n)))
        {
            await BadAsync(command.Tag, "Unknown STATUS item");
            return;
        }

        var info = await _services.Store.FindMailboxAsync(User, name, cancellationToken);
        if (info is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        await WriteStatusAsync(info, names, cancellationToken);
        await OkAsync(command, "STATUS completed");
    }

    /// <summary>
    /// RFC 9051 §6.3.11 STATUS items, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC 9051 DELETED, RFC 8474 MAILBOXID,
    /// RFC 7889 APPENDLIMIT.
    /// </summary>
    private static readonly HashSet<string> StatusItems = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "RECENT", "SIZE", "HIGHESTMODSEQ", "DELETED", "MAILBOXID", "APPENDLIMIT"];

    private async Task WriteStatusAsync(MailboxInfo info, IReadOnlyList<string> items, CancellationToken cancellationToken)
    {
        var status = await _services.Store.GetStatusAsync(info, cancellationToken);
        var values = new List<string>();
        foreach (var item in items)
        {
            var value = item switch
            {
                "MESSAGES" => status.Messages.ToString(CultureInfo.InvariantCulture),
                "UIDNEXT" => status.UidNext.ToString(CultureInfo.InvariantCulture),
                "UIDVALIDITY" => status.UidValidity.ToString(CultureInfo.InvariantCulture),
                "UNSEEN" => status.Unseen.ToString(CultureInfo.InvariantCulture),
                "RECENT" => status.Recent.ToString(CultureInfo.InvariantCulture),
                "SIZE" => status.Size.ToString(CultureInfo.InvariantCulture),
                "HIGHESTMODSEQ" => status.HighestModSeq.ToString(CultureInfo.InvariantCulture),
                "DELETED" => status.Deleted.ToString(CultureInfo.InvariantCulture),
                "MAILBOXID" => "(" + MailboxObjectId(info) + ")",
                "APPENDLIMIT" => _options.MaxAppendSize.ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (value is not null && !values.Any(v => v.StartsWith(item + " ", StringComparison.Ordinal)))
            {
                values.Add(item + " " + value);
            }
        }

        _out.Raw("* STATUS ");
        WriteMailboxName(info.Name);
        _out.Raw(" (").Raw(string.Join(' ', values)).Raw(")").Crlf();
    }

    /// <summary>RFC 9208: one quota root ("") per user, covering every mailbox.</summary>
    private async Task GetQuotaRootAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 1 || ParseMailboxName(command.Arguments[0], out _) is not { } name)
        {
            await BadAsync(command.Tag, "GETQUOTAROOT takes a mailbox name");
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, name, cancellationToken) is null)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        // RFC 9208 §5.1: a QUOTA response has at least one resource; a user without limits has no quota root.
        var quota = await _services.Store.GetQuotaAsync(User, cancellationToken);
        _out.Raw("* QUOTAROOT ");
        WriteMailboxName(name);
        if (HasLimits(quota))
        {
            _out.Raw(" \"\"").Crlf();
            WriteQuota(quota);
        }
        else
        {
            _out.Crlf();
        }

        await OkAsync(command, "GETQUOTAROOT completed");
    }

    private async Task GetQuotaAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 1 || command.Arguments[0].AsText() is not { } root)
        {
            await BadAsync(command.Tag, "GETQUOTA takes a quota root");
            return;
        }

        var quota = await _services.Store.GetQuotaAsync(User, cancellationToken);
        if (root.Length != 0 || !HasLimits(quota))
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchQuotaRoot);
            return;
        }

        WriteQuota(quota);
        await OkAsync(command, "GETQUOTA completed");
    }

    private Task SetQuotaAsync(ImapCommand command) => NoAsync(command.Tag, ImapReplies.QuotaByAdmin);

    private static bool HasLimits(QuotaState quota) => quota.BytesLimit is not null || quota.MessagesLimit is not null;

    private void WriteQuota(QuotaState quota)
    {
        var resources = new List<string>();
        if (quota.BytesLimit is { } bytes)
        {
            // RFC 9208 §5.1: STORAGE is in units of 1024 octets.
            resources.Add(string.Create(CultureInfo.InvariantCulture, $"STORAGE {(quota.Bytes + 1023) / 1024} {bytes / 1024}"));
        }

        if (quota.MessagesLimit is { } messages)
        {
            resources.Add(string.Create(CultureInfo.InvariantCulture, $"MESSAGE {quota.Messages} {messages}"));
        }

        _out.Raw("* QUOTA \"\" (").Raw(string.Join(' ', resources)).Raw(")").Crlf();
    }
}
