using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>Mailbox commands (RFC 9051 §6.3): SELECT, EXAMINE, CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST, LSUB, NAMESPACE, STATUS, quota, CLOSE, UNSELECT.</summary>
public sealed partial class ImapSession
{
    private static readonly Dictionary<string, string> SpecialUse = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sent"] = "\\Sent",
        ["Drafts"] = "\\Drafts",
        ["Junk"] = "\\Junk",
        ["Trash"] = "\\Trash",
        ["Archive"] = "\\Archive",
    };

    private MailUser User => _state switch
    {
        ImapSessionState.Authenticated a => a.User,
        ImapSessionState.Selected s => s.User,
        _ => throw new InvalidOperationException("not logged in"),
    };

    private async Task SelectAsync(ImapCommand command, bool readOnly, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count is < 1 or > 2 || ParseMailboxName(command.Arguments[0], out var error) is not { } name)
        {
            await BadAsync(command.Tag, command.Arguments.Count == 0 ? "Mailbox name expected" : "Invalid arguments");
            return;
        }

        if (command.Arguments.Count == 2)
        {
            // RFC 7162 §3.1.8: SELECT mailbox (CONDSTORE).
            if (command.Arguments[1] is not ImapList parameters || parameters.Items.Any(p => p.AsText()?.Equals("CONDSTORE", StringComparison.OrdinalIgnoreCase) != true))
            {
                await BadAsync(command.Tag, "Unknown SELECT parameter");
                return;
            }

            _condStore = true;
        }

        var user = User;
        if (_state is ImapSessionState.Selected previous)
        {
            // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected; [CLOSED] marks the switch.
            previous.Mailbox.Dispose();
            _state = new ImapSessionState.Authenticated(user);
            _out.Raw("* OK [CLOSED] Previous mailbox closed").Crlf();
        }

        var info = await _services.Store.FindMailboxAsync(user, name, cancellationToken);
        if (info is null)
        {
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }

        if (await _services.Store.RefreshIfBehindAsync(user, info, cancellationToken))
        {
            info = await _services.Store.FindMailboxAsync(user, name, cancellationToken) ?? info;
        }

        var watch = _services.Changes.Watch(info.Id);
        MailboxSnapshot snapshot;
        try
        {
            snapshot = await _services.Store.LoadSnapshotAsync(info, cancellationToken);
            watch.Take();
        }
        catch
        {
            watch.Dispose();
            throw;
        }

        var selected = new SelectedMailbox(info, readOnly, snapshot, watch);
        _state = new ImapSessionState.Selected(user, selected);
        var keywords = snapshot.Keywords;
        var flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft " + ImapFlags.Forwarded + (keywords.Count > 0 ? " " + string.Join(' ', keywords) : "");
        _out.Raw("* FLAGS (").Raw(flags).Raw(")").Crlf();
        _out.Raw("* OK [PERMANENTFLAGS (").Raw(readOnly ? "" : flags + " \\*").Raw(")] Flags permitted").Crlf();
        _out.Raw("* ").Number(selected.Count).Raw(" EXISTS").Crlf();
        if (!_rev2)
        {
            _out.Raw("* 0 RECENT").Crlf();
            if (snapshot.FirstUnseen >= 0)
            {
                _out.Raw("* OK [UNSEEN ").Number(snapshot.FirstUnseen + 1).Raw("] First unseen").Crlf();
            }
        }

        _out.Raw("* OK [UIDVALIDITY ").Number(info.UidValidity).Raw("] UIDs valid").Crlf();
        _out.Raw("* OK [UIDNEXT ").Number(Math.Max(snapshot.UidNext, selected.LargestUid + 1)).Raw("] Predicted next UID").Crlf();
        _out.Raw("* OK [HIGHESTMODSEQ ").Number(snapshot.HighestModSeq).Raw("] Highest").Crlf();
        if (_rev2)
        {
            _out.Raw("* LIST () \"/\" ");
            WriteMailboxName(info.Name);
            _out.Crlf();
        }

        _errors = 0;
        Tagged(command.Tag, "OK", (readOnly ? "[READ-ONLY] " : "[READ-WRITE] ") + command.Name + " completed");
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

    private async Task CreateAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count is < 1 or > 2 || ParseMailboxName(command.Arguments[0], out var error) is not { } name)
        {
            await BadAsync(command.Tag, "CREATE takes a mailbox name");
            return;
        }

        if (name.IsInbox)
        {
            await NoAsync(command.Tag, "[ALREADYEXISTS] INBOX always exists");
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, name, cancellationToken) is not null)
        {
            await NoAsync(command.Tag, "[ALREADYEXISTS] Mailbox already exists");
            return;
        }

        await _services.Store.CreateMailboxAsync(User, name, cancellationToken);
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
            await NoAsync(command.Tag, "[CANNOT] INBOX cannot be deleted");
            return;
        }

        if (_state is ImapSessionState.Selected selected && selected.Mailbox.Info.Name.Equals(name))
        {
            // Deleting the selected mailbox: deselect first, as Dovecot does.
            selected.Mailbox.Dispose();
            _state = new ImapSessionState.Authenticated(selected.User);
            _out.Raw("* OK [CLOSED] Mailbox closed").Crlf();
        }

        if (await _services.Store.FindMailboxAsync(User, name, cancellationToken) is null)
        {
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
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
            await NoAsync(command.Tag, "[INUSE] Mailbox has children, delete them first");
            return;
        }

        await _services.Store.SetSubscribedAsync(User, name, false, cancellationToken);
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
            await NoAsync(command.Tag, "[ALREADYEXISTS] INBOX exists");
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, from, cancellationToken) is null)
        {
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }

        if (await _services.Store.FindMailboxAsync(User, to, cancellationToken) is not null)
        {
            await NoAsync(command.Tag, "[ALREADYEXISTS] Target mailbox exists");
            return;
        }

        await _services.Store.RenameMailboxAsync(User, from, to, cancellationToken);
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
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }

        await _services.Store.SetSubscribedAsync(User, name, subscribe, cancellationToken);
        await OkAsync(command, command.Name + " completed");
    }

    private Task NamespaceAsync(ImapCommand command)
    {
        // RFC 2342: one personal namespace with "/" as the separator; no shared or other users' namespaces.
        _out.Raw("* NAMESPACE ((\"\" \"/\")) NIL NIL").Crlf();
        return OkAsync(command, "NAMESPACE completed");
    }

    /// <summary>LIST (RFC 9051 §6.3.9 with RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE) and LSUB.</summary>
    private async Task ListAsync(ImapCommand command, bool lsub, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        var index = 0;
        var selectSubscribed = false;
        var selectSpecialUse = false;
        var recursiveMatch = false;
        var extended = false;
        if (!lsub && args.Count > 0 && args[0] is ImapList selection)
        {
            extended = true;
            foreach (var option in selection.Items.Select(o => o.AsText()?.ToUpperInvariant()))
            {
                switch (option)
                {
                    case "SUBSCRIBED": selectSubscribed = true; break;
                    case "SPECIAL-USE": selectSpecialUse = true; break;
                    case "RECURSIVEMATCH": recursiveMatch = true; break;
                    case "REMOTE": break;
                    default:
                        await BadAsync(command.Tag, $"Unknown LIST selection option {option}");
                        return;
                }
            }

            if (recursiveMatch && !selectSubscribed)
            {
                await BadAsync(command.Tag, "RECURSIVEMATCH needs another selection option");
                return;
            }

            index++;
        }

        if (args.Count < index + 2 || args[index].AsText() is not { } reference)
        {
            await BadAsync(command.Tag, command.Name + " takes a reference and a pattern");
            return;
        }

        var patterns = args[index + 1] is ImapList patternList ? patternList.Items.Select(p => p.AsText() ?? "").ToList() : [args[index + 1].AsText() ?? ""];
        if (args[index + 1] is ImapList)
        {
            extended = true;
        }

        index += 2;
        var returnSubscribed = false;
        var returnChildren = true;
        var returnSpecialUse = true;
        List<string>? statusItems = null;
        if (index < args.Count)
        {
            if (!(args[index] is ImapAtom ret && ret.Is("RETURN")) || index + 1 >= args.Count || args[index + 1] is not ImapList returns)
            {
                await BadAsync(command.Tag, "Expected RETURN (options)");
                return;
            }

            extended = true;
            for (var i = 0; i < returns.Items.Count; i++)
            {
                switch (returns.Items[i].AsText()?.ToUpperInvariant())
                {
                    case "SUBSCRIBED": returnSubscribed = true; break;
                    case "CHILDREN": returnChildren = true; break;
                    case "SPECIAL-USE": returnSpecialUse = true; break;
                    case "STATUS" when i + 1 < returns.Items.Count && returns.Items[i + 1] is ImapList items:
                        statusItems = items.Items.Select(x => x.AsText()?.ToUpperInvariant() ?? "").ToList();
                        i++;
                        break;
                    default:
                        await BadAsync(command.Tag, "Unknown LIST return option");
                        return;
                }
            }
        }

        // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
        if (patterns.Count == 1 && patterns[0].Length == 0)
        {
            _out.Raw(lsub ? "* LSUB" : "* LIST").Raw(" (\\Noselect) \"/\" \"\"").Crlf();
            await OkAsync(command, command.Name + " completed");
            return;
        }

        var user = User;
        var mailboxes = await _services.Store.ListMailboxesAsync(user, cancellationToken);
        var existing = mailboxes.ToDictionary(m => m.Name.Name, m => m, StringComparer.Ordinal);
        var subscriptions = (await _services.Store.ListSubscriptionsAsync(user, cancellationToken)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var candidates = new SortedSet<string>(existing.Keys, StringComparer.Ordinal);
        if (lsub || selectSubscribed)
        {
            candidates = new SortedSet<string>(subscriptions, StringComparer.Ordinal);
        }

        // Parents that do not exist themselves (a/b exists, a does not) are listed when a pattern stops at them.
        var all = new SortedSet<string>(candidates, StringComparer.Ordinal);
        foreach (var name in candidates)
        {
            var parts = name.Split('/');
            for (var i = 1; i < parts.Length; i++)
            {
                all.Add(string.Join('/', parts[..i]));
            }
        }

        var matchers = patterns.Select(p => ToRegex(DecodePattern(reference) + DecodePattern(p))).ToList();
        foreach (var name in all)
        {
            var matches = matchers.Any(m => m.IsMatch(name));
            var isCandidate = candidates.Contains(name);
            if (!matches)
            {
                continue;
            }

            var hasChildren = existing.Keys.Any(k => k.StartsWith(name + "/", StringComparison.Ordinal));
            var attributes = new List<string>();
            var exists = existing.ContainsKey(name);
            if (!isCandidate)
            {
                if ((lsub || selectSubscribed) && !recursiveMatch && !lsub)
                {
                    continue;
                }

                if (lsub || selectSubscribed)
                {
                    attributes.Add("\\Noselect");
                }
                else
                {
                    attributes.Add(extended ? "\\NonExistent" : "\\Noselect");
                }
            }
            else if (!exists)
            {
                attributes.Add(extended ? "\\NonExistent" : "\\Noselect");
            }

            if (returnChildren && !lsub)
            {
                attributes.Add(hasChildren ? "\\HasChildren" : "\\HasNoChildren");
            }

            if ((returnSubscribed || selectSubscribed) && subscriptions.Contains(name))
            {
                attributes.Add("\\Subscribed");
            }

            var leaf = name.Split('/')[^1];
            var special = name.Contains('/', StringComparison.Ordinal) ? null : SpecialUse.GetValueOrDefault(leaf);
            if (selectSpecialUse && special is null)
            {
                continue;
            }

            if (special is not null && returnSpecialUse && exists && !lsub)
            {
                attributes.Add(special);
            }

            var mailboxName = MailboxName.FromImap(name);
            if (!mailboxName.Succeeded)
            {
                continue;
            }

            _out.Raw(lsub ? "* LSUB (" : "* LIST (").Raw(string.Join(' ', attributes)).Raw(") \"/\" ");
            WriteMailboxName(mailboxName.Value);
            _out.Crlf();
            if (statusItems is not null && exists)
            {
                await WriteStatusAsync(existing[name], statusItems, cancellationToken);
            }

            await _out.FlushIfLargeAsync(cancellationToken);
        }

        await OkAsync(command, command.Name + " completed");
    }

    private string DecodePattern(string pattern)
    {
        if (_utf8 && pattern.Any(c => c >= 0x80))
        {
            return pattern;
        }

        var decoded = ModifiedUtf7.Decode(pattern);
        return decoded.Succeeded ? decoded.Value : pattern;
    }

    /// <summary>RFC 9051 §6.3.9: * matches anything, % anything but the delimiter; INBOX matches in any case.</summary>
    private static Regex ToRegex(string pattern)
    {
        var text = new StringBuilder("^");
        if (pattern.StartsWith("INBOX", StringComparison.OrdinalIgnoreCase) && (pattern.Length == 5 || pattern[5] == '/' || pattern[5] is '*' or '%'))
        {
            pattern = "INBOX" + pattern[5..];
        }

        foreach (var c in pattern)
        {
            text.Append(c switch
            {
                '*' => ".*",
                '%' => "[^/]*",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(text.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    private async Task StatusAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 2 || ParseMailboxName(command.Arguments[0], out _) is not { } name || command.Arguments[1] is not ImapList items)
        {
            await BadAsync(command.Tag, "STATUS takes a mailbox name and a list of items");
            return;
        }

        var names = items.Items.Select(i => i.AsText()?.ToUpperInvariant() ?? "").ToList();
        if (names.Count == 0 || names.Any(n => n is not ("MESSAGES" or "UIDNEXT" or "UIDVALIDITY" or "UNSEEN" or "RECENT" or "SIZE" or "HIGHESTMODSEQ" or "DELETED")))
        {
            await BadAsync(command.Tag, "Unknown STATUS item");
            return;
        }

        var info = await _services.Store.FindMailboxAsync(User, name, cancellationToken);
        if (info is null)
        {
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
            return;
        }

        await WriteStatusAsync(info, names, cancellationToken);
        await OkAsync(command, "STATUS completed");
    }

    private async Task WriteStatusAsync(MailboxInfo info, IReadOnlyList<string> items, CancellationToken cancellationToken)
    {
        var status = await _services.Store.GetStatusAsync(info, cancellationToken);
        var values = new List<string>();
        foreach (var item in items)
        {
            var value = item switch
            {
                "MESSAGES" => status.Messages,
                "UIDNEXT" => status.UidNext,
                "UIDVALIDITY" => status.UidValidity,
                "UNSEEN" => status.Unseen,
                "RECENT" => 0,
                "SIZE" => status.Size,
                "HIGHESTMODSEQ" => status.HighestModSeq,
                "DELETED" => status.Deleted,
                _ => -1,
            };
            if (value >= 0)
            {
                values.Add(item + " " + value.ToString(CultureInfo.InvariantCulture));
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
            await NoAsync(command.Tag, "[NONEXISTENT] No such mailbox");
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
            await NoAsync(command.Tag, "[NONEXISTENT] No such quota root");
            return;
        }

        WriteQuota(quota);
        await OkAsync(command, "GETQUOTA completed");
    }

    private Task SetQuotaAsync(ImapCommand command) => NoAsync(command.Tag, "[NOPERM] Quotas are set by the administrator");

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
