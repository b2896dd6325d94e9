using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// NOTIFY (RFC 5465): the client names mailboxes (SELECTED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES) and
/// events; changes to mailboxes other than the selected one arrive as untagged STATUS (MessageNew: MESSAGES UIDNEXT
/// UIDVALIDITY; MessageExpunge: MESSAGES; FlagChange: UIDVALIDITY HIGHESTMODSEQ), changes to the mailbox list and
/// the subscriptions as LIST, changes to annotations as METADATA. The selected mailbox reports as it always does.
/// Events travel by the same PostgreSQL notifications as IDLE's, so they come from every process.
/// </summary>
public sealed partial class ImapSession
{
    private NotifyState? _notify;

    [Flags]
    private enum NotifyEvents
    {
        None = 0,
        MessageNew = 1,
        MessageExpunge = 2,
        FlagChange = 4,
        MailboxName = 8,
        SubscriptionChange = 16,
        MailboxMetadataChange = 32,
        ServerMetadataChange = 64,
        Messages = MessageNew | MessageExpunge | FlagChange,
    }

    private sealed record NotifyGroup(string Filter, IReadOnlyList<MailboxName> Names, NotifyEvents Events);

    /// <summary>What NOTIFY SET asked for, and the watches that serve it.</summary>
    private sealed class NotifyState : IDisposable
    {
        public List<NotifyGroup> Groups { get; } = [];

        public Dictionary<long, (MailboxInfo Mailbox, NotifyEvents Events, MailboxWatch Watch)> Watched { get; } = [];

        public MailboxWatch? UserWatch { get; set; }

        public HashSet<string> KnownNames { get; set; } = new(StringComparer.Ordinal);

        public HashSet<string> KnownSubscriptions { get; set; } = new(StringComparer.Ordinal);

        public NotifyEvents AllEvents => Groups.Aggregate(NotifyEvents.None, (e, g) => e | g.Events);

        public void Dispose()
        {
            foreach (var (_, _, watch) in Watched.Values)
            {
                watch.Dispose();
            }

            Watched.Clear();
            UserWatch?.Dispose();
            UserWatch = null;
        }
    }

    /// <summary><c>NOTIFY NONE</c> or <c>NOTIFY SET [STATUS] (filter (events)) ...</c></summary>
    private async Task NotifyAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        if (args.Count == 1 && args[0] is ImapAtom none && none.Is("NONE"))
        {
            _notify?.Dispose();
            _notify = null;
            await OkAsync(command, "NOTIFY completed");
            return;
        }

        if (args.Count < 2 || !(args[0] is ImapAtom set && set.Is("SET")))
        {
            await BadAsync(command.Tag, "NOTIFY takes NONE or SET");
            return;
        }

        var index = 1;
        var status = false;
        if (args[index] is ImapAtom s && s.Is("STATUS"))
        {
            status = true;
            index++;
        }

        var state = new NotifyState();
        for (; index < args.Count; index++)
        {
            var unsupported = false;
            if (args[index] is not ImapList group || ParseNotifyGroup(group, out unsupported) is not { } parsed)
            {
                state.Dispose();
                if (args[index] is ImapList && unsupported)
                {
                    // RFC 5465 §3.1: an event the server cannot deliver is refused with the list of those it can.
                    await NoAsync(command.Tag, ImapReplies.BadEvent);
                    return;
                }

                await BadAsync(command.Tag, "Invalid NOTIFY event group");
                return;
            }

            state.Groups.Add(parsed);
        }

        if (state.Groups.Count == 0)
        {
            state.Dispose();
            await BadAsync(command.Tag, "NOTIFY SET needs an event group");
            return;
        }

        _notify?.Dispose();
        _notify = state;
        await RefreshNotifyAsync(state, cancellationToken);
        if (status)
        {
            // RFC 5465 §3.1: STATUS first tells the current state of every mailbox with message events.
            foreach (var (mailbox, events, _) in state.Watched.Values.OrderBy(w => w.Mailbox.Name.Name, StringComparer.Ordinal))
            {
                await WriteNotifyStatusAsync(mailbox, events, cancellationToken);
            }
        }

        await OkAsync(command, "NOTIFY completed");
    }

    private static NotifyGroup? ParseNotifyGroup(ImapList group, out bool unsupported)
    {
        unsupported = false;
        if (group.Items.Count < 1)
        {
            return null;
        }

        var filter = group.Items[0].AsText()?.ToUpperInvariant();
        var at = 1;
        var names = new List<MailboxName>();
        switch (filter)
        {
            case "SELECTED" or "SELECTED-DELAYED" or "INBOXES" or "PERSONAL" or "SUBSCRIBED":
                break;
            case "SUBTREE" or "MAILBOXES":
                if (group.Items.Count < 2)
                {
                    return null;
                }

                var list = group.Items[1] is ImapList l ? l.Items : [group.Items[1]];
                foreach (var item in list)
                {
                    var name = item.AsText() is { } text ? MailboxName.FromModifiedUtf7(text.TrimEnd('/')) : default;
                    if (item.AsText() is null || !name.Succeeded)
                    {
                        return null;
                    }

                    names.Add(name.Value);
                }

                at = 2;
                break;
            default:
                return null;
        }

        if (group.Items.Count == at)
        {
            return null;
        }

        if (group.Items.Count != at + 1 || group.Items[at] is not ImapList events)
        {
            // NONE instead of an event list: no events for these mailboxes.
            return group.Items.Count == at + 1 && group.Items[at] is ImapAtom n && n.Is("NONE") ? new NotifyGroup(filter!, names, NotifyEvents.None) : null;
        }

        var wanted = NotifyEvents.None;
        for (var i = 0; i < events.Items.Count; i++)
        {
            NotifyEvents? one = events.Items[i].AsText()?.ToUpperInvariant() switch
            {
                "MESSAGENEW" => NotifyEvents.MessageNew,
                "MESSAGEEXPUNGE" => NotifyEvents.MessageExpunge,
                "FLAGCHANGE" => NotifyEvents.FlagChange,
                "MAILBOXNAME" => NotifyEvents.MailboxName,
                "SUBSCRIPTIONCHANGE" => NotifyEvents.SubscriptionChange,
                "MAILBOXMETADATACHANGE" => NotifyEvents.MailboxMetadataChange,
                "SERVERMETADATACHANGE" => NotifyEvents.ServerMetadataChange,
                _ => null, // AnnotationChange (RFC 5257 ANNOTATE is not offered) and unknown events
            };
            if (one is null)
            {
                unsupported = true;
                return null;
            }

            wanted |= one.Value;
            if (one == NotifyEvents.MessageNew && i + 1 < events.Items.Count && events.Items[i + 1] is ImapList)
            {
                // MessageNew (fetch-att ...): the attributes concern the selected mailbox, which reports anyway.
                i++;
            }
        }

        return new NotifyGroup(filter!, names, wanted);
    }

    /// <summary>Which of the user's mailboxes each group covers now, with a watch on each that has message events.</summary>
    private async Task RefreshNotifyAsync(NotifyState state, CancellationToken cancellationToken)
    {
        var user = User;
        var mailboxes = await _services.Store.ListMailboxesAsync(user, cancellationToken);
        var subscriptions = (await _services.Store.ListSubscriptionsAsync(user, cancellationToken)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        state.KnownNames = mailboxes.Select(m => m.Name.Name).ToHashSet(StringComparer.Ordinal);
        state.KnownSubscriptions = subscriptions;
        var wanted = new Dictionary<long, (MailboxInfo Mailbox, NotifyEvents Events)>();
        foreach (var mailbox in mailboxes)
        {
            var events = NotifyEvents.None;
            foreach (var group in state.Groups)
            {
                var covered = group.Filter switch
                {
                    "INBOXES" => mailbox.Name.IsInbox,
                    "PERSONAL" => true,
                    "SUBSCRIBED" => subscriptions.Contains(mailbox.Name.Name),
                    "MAILBOXES" => group.Names.Any(n => n.Equals(mailbox.Name)),
                    "SUBTREE" => group.Names.Any(n => mailbox.Name.IsSelfOrDescendantOf(n)),
                    _ => false,
                };
                if (covered)
                {
                    events |= group.Events & NotifyEvents.Messages;
                }
            }

            if (events != NotifyEvents.None)
            {
                wanted[mailbox.Id] = (mailbox, events);
            }
        }

        foreach (var id in state.Watched.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
        {
            state.Watched[id].Watch.Dispose();
            state.Watched.Remove(id);
        }

        foreach (var (id, (mailbox, events)) in wanted)
        {
            var watch = state.Watched.TryGetValue(id, out var existing) ? existing.Watch : _services.Changes.Watch(id);
            state.Watched[id] = (mailbox, events, watch);
        }

        if ((state.AllEvents & ~NotifyEvents.Messages) != 0 || state.Groups.Any(g => g.Filter is "PERSONAL" or "SUBSCRIBED" or "SUBTREE"))
        {
            state.UserWatch ??= _services.Changes.WatchUser(user.Id);
        }
    }

    /// <summary>What IDLE waits on besides the selected mailbox.</summary>
    private IEnumerable<Task> NotifyWaits() =>
        _notify is null ? [] : _notify.Watched.Values.Select(w => w.Watch.WaitAsync()).Concat(_notify.UserWatch is { } u ? [u.WaitAsync()] : []);

    /// <summary>Sends what NOTIFY asked for about mailboxes other than the selected one.</summary>
    private async Task NotifyOtherMailboxesAsync(CancellationToken cancellationToken)
    {
        if (_notify is not { } state || _state is not (ImapSessionState.Authenticated or ImapSessionState.Selected))
        {
            return;
        }

        var selectedId = _state is ImapSessionState.Selected selected ? selected.Mailbox.Info.Id : -1;
        if (state.UserWatch is { IsDirty: true } userWatch)
        {
            await ReportListChangesAsync(state, userWatch.TakeKinds(), cancellationToken);
        }

        foreach (var (mailbox, events, watch) in state.Watched.Values.ToList())
        {
            if (!watch.IsDirty)
            {
                continue;
            }

            var kinds = watch.TakeKinds();
            if (mailbox.Id == selectedId)
            {
                continue;
            }

            var happened = NotifyEvents.None;
            happened |= kinds.Contains("exists") ? NotifyEvents.MessageNew : NotifyEvents.None;
            happened |= kinds.Contains("expunge") ? NotifyEvents.MessageExpunge : NotifyEvents.None;
            happened |= kinds.Contains("flags") ? NotifyEvents.FlagChange : NotifyEvents.None;
            if (kinds.Contains("reconstruct") || kinds.Contains("reconnect"))
            {
                happened = NotifyEvents.Messages;
            }

            if ((happened & events) != NotifyEvents.None)
            {
                await WriteNotifyStatusAsync(mailbox, happened & events, cancellationToken);
            }
        }
    }

    private async Task WriteNotifyStatusAsync(MailboxInfo mailbox, NotifyEvents events, CancellationToken cancellationToken)
    {
        var items = new List<string>();
        if ((events & (NotifyEvents.MessageNew | NotifyEvents.MessageExpunge)) != 0)
        {
            items.Add("MESSAGES");
        }

        if ((events & NotifyEvents.MessageNew) != 0)
        {
            items.AddRange(["UIDNEXT", "UIDVALIDITY"]);
        }

        if ((events & NotifyEvents.FlagChange) != 0)
        {
            items.AddRange(["UIDVALIDITY", "HIGHESTMODSEQ"]);
        }

        try
        {
            await WriteStatusAsync(mailbox, items.Distinct().ToList(), cancellationToken);
        }
        catch (MailstoreException e) when (e.Error == MailstoreError.NoSuchMailbox)
        {
            // Deleted meanwhile: the MailboxName event says so, if asked for.
        }
    }

    /// <summary>RFC 5465 §5.4–5.6: LIST for created, deleted (\NonExistent) and (un)subscribed mailboxes; METADATA for changed entries.</summary>
    private async Task ReportListChangesAsync(NotifyState state, IReadOnlySet<string> kinds, CancellationToken cancellationToken)
    {
        var events = state.AllEvents;
        var oldNames = state.KnownNames;
        var oldSubscriptions = state.KnownSubscriptions;
        if (kinds.Contains("list") || kinds.Contains("reconnect"))
        {
            await RefreshNotifyAsync(state, cancellationToken);
            if ((events & NotifyEvents.MailboxName) != 0)
            {
                foreach (var name in state.KnownNames.Except(oldNames).Order(StringComparer.Ordinal))
                {
                    WriteListLine("", name);
                }

                foreach (var name in oldNames.Except(state.KnownNames).Order(StringComparer.Ordinal))
                {
                    WriteListLine("\\NonExistent", name);
                }
            }

            if ((events & NotifyEvents.SubscriptionChange) != 0)
            {
                foreach (var name in state.KnownSubscriptions.Except(oldSubscriptions).Order(StringComparer.Ordinal))
                {
                    WriteListLine("\\Subscribed", name);
                }

                foreach (var name in oldSubscriptions.Except(state.KnownSubscriptions).Order(StringComparer.Ordinal))
                {
                    WriteListLine(state.KnownNames.Contains(name) ? "" : "\\NonExistent", name);
                }
            }
        }

        foreach (var kind in kinds.Where(k => k.StartsWith("metadata:", StringComparison.Ordinal)))
        {
            // metadata:<mailbox id, 0 for the server>:<entry>
            var parts = kind.Split(':', 3);
            if (parts.Length != 3 || !long.TryParse(parts[1], out var mailboxId))
            {
                continue;
            }

            if (mailboxId == 0 && (events & NotifyEvents.ServerMetadataChange) != 0)
            {
                _out.Raw("* METADATA \"\" (").AString(parts[2]).Raw(")").Crlf();
            }
            else if (mailboxId != 0 && (events & NotifyEvents.MailboxMetadataChange) != 0
                && (await _services.Store.ListMailboxesAsync(User, cancellationToken)).FirstOrDefault(m => m.Id == mailboxId) is { } mailbox)
            {
                _out.Raw("* METADATA ");
                WriteMailboxName(mailbox.Name);
                _out.Raw(" (").AString(parts[2]).Raw(")").Crlf();
            }
        }
    }

    private void WriteListLine(string attributes, string name)
    {
        var parsed = MailboxName.FromImap(name);
        if (!parsed.Succeeded)
        {
            return;
        }

        _out.Raw("* LIST (").Raw(attributes).Raw(") \"/\" ");
        WriteMailboxName(parsed.Value);
        _out.Crlf();
    }
}
