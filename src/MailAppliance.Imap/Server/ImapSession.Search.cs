using MailAppliance.Imap.Protocol;
using MailAppliance.Imap.Search;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// SEARCH (RFC 9051 §6.4.4) with ESEARCH (RFC 4731), MODSEQ (RFC 7162), SEARCHRES (RFC 5182: SAVE and "$"),
/// CONTEXT=SEARCH (RFC 5267: PARTIAL, UPDATE and CANCELUPDATE) and WITHIN (RFC 5032).
/// </summary>
public sealed partial class ImapSession
{
    private async Task SearchAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (!SearchParser.TryParse(command.Arguments, out var request, out var error))
        {
            await BadAsync(command.Tag, error);
            return;
        }

        if (!IsSupportedCharset(request!.Charset))
        {
            // RFC 9051 §6.4.4: an unsupported charset is refused with the list of those we take.
            await NoAsync(command.Tag, ImapReplies.No(ImapReplies.BadCharset("UTF-8 US-ASCII"), "Unsupported charset"));
            return;
        }

        var mailbox = selected.Mailbox;
        var program = request.Program;
        if (program.Descendants().Any(k => k.Kind == SearchKind.ModSeq))
        {
            EnableCondStore();
        }

        var matches = await EvaluateAsync(mailbox, program, null, cancellationToken);
        var result = request.Return;
        if (result.Save)
        {
            // RFC 5182 §2.4: SAVE with MIN and/or MAX keeps only those; otherwise every match.
            var kept = (result.Min || result.Max) && !result.All && !result.Count
                ? new[] { result.Min ? matches.FirstOrDefault(-1) : -1, result.Max ? matches.LastOrDefault(-1) : -1 }.Where(i => i >= 0).Distinct()
                : matches;
            mailbox.SavedResult = kept.Select(i => mailbox.Messages[i].Uid).ToList();
        }

        if (result.Update)
        {
            // RFC 5267 §4.3: the client hears of later changes to this result until CANCELUPDATE.
            mailbox.UpdateSearches.Add(new UpdateSearch(command.Tag, program, command.IsUid, matches.Select(i => mailbox.Messages[i].Uid).ToHashSet()));
        }

        if (!result.SaveOnly)
        {
            WriteSearchResult(command, request, mailbox, matches, program.Descendants().Any(k => k.Kind == SearchKind.ModSeq));
        }

        await OkAsync(command, "SEARCH completed", allowExpunge: command.IsUid);
    }

    private static bool IsSupportedCharset(string? charset) =>
        charset is null || charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase);

    private Task<List<int>> EvaluateAsync(SelectedMailbox mailbox, SearchKey program, IReadOnlyList<int>? subset, CancellationToken cancellationToken) =>
        new SearchEvaluator(_services.Store, mailbox, _services.Time, mailbox.SavedResult).EvaluateAsync(program, subset, _options.FetchBatchSize, cancellationToken);

    private void WriteSearchResult(ImapCommand command, SearchRequest request, SelectedMailbox mailbox, List<int> matches, bool withModSeq)
    {
        var numbers = matches.Select(i => command.IsUid ? mailbox.Messages[i].Uid : (uint)(i + 1)).ToList();
        if (!request.Extended && !_modes.Rev2)
        {
            _out.Raw("* SEARCH");
            foreach (var n in numbers)
            {
                _out.Space().Number(n);
            }

            if (withModSeq && numbers.Count > 0)
            {
                _out.Raw(" (MODSEQ ").Number(matches.Max(i => mailbox.Messages[i].ModSeq)).Raw(")");
            }

            _out.Crlf();
            return;
        }

        WriteEsearch(command, request.Return, mailbox, matches, numbers, withModSeq);
    }

    /// <summary>RFC 4731 §3.1 ESEARCH (also for SORT with ESORT, where <paramref name="numbers"/> are in sort order).</summary>
    private void WriteEsearch(ImapCommand command, SearchReturn options, SelectedMailbox mailbox, List<int> matches, List<uint> numbers, bool withModSeq, bool sorted = false)
    {
        // RFC 4731 §3.1: an empty RETURN list means ALL.
        if (options.IsEmpty || (options.Save && !options.Min && !options.Max && !options.Count && !options.Update && options.Partial is null))
        {
            options = options with { All = true };
        }

        _out.Raw("* ESEARCH (TAG ").String(command.Tag).Raw(")");
        if (command.IsUid)
        {
            _out.Raw(" UID");
        }

        var reported = new List<int>();
        if (numbers.Count > 0 && options.Min)
        {
            _out.Raw(" MIN ").Number(sorted ? numbers[0] : numbers.Min());
            reported.Add(sorted ? matches[0] : matches[numbers.IndexOf(numbers.Min())]);
        }

        if (numbers.Count > 0 && options.Max)
        {
            _out.Raw(" MAX ").Number(sorted ? numbers[^1] : numbers.Max());
            reported.Add(sorted ? matches[^1] : matches[numbers.IndexOf(numbers.Max())]);
        }

        if (options.Count)
        {
            _out.Raw(" COUNT ").Number(numbers.Count);
        }

        if (numbers.Count > 0 && options.All)
        {
            _out.Raw(" ALL ").Raw(sorted ? FormatInOrder(numbers) : SequenceSet.Format(numbers));
        }

        if (options.Partial is { } partial)
        {
            // RFC 5267 §4.4: the positions low..high of the result (1-based), NIL when none is there.
            var from = (int)Math.Min(partial.Low - 1, numbers.Count);
            var to = (int)Math.Min(partial.High, numbers.Count);
            var slice = numbers.Skip(from).Take(Math.Max(0, to - from)).ToList();
            _out.Raw(" PARTIAL (").Number(partial.Low).Raw(":").Number(partial.High).Space()
                .Raw(slice.Count == 0 ? "NIL" : sorted ? FormatInOrder(slice) : SequenceSet.Format(slice)).Raw(")");
        }

        if (withModSeq && numbers.Count > 0)
        {
            // RFC 7162 §3.1.5: with only MIN and/or MAX, the modseq of what was returned; else the highest of all.
            var counted = (options.Min || options.Max) && !options.All && !options.Count ? reported : matches;
            _out.Raw(" MODSEQ ").Number(counted.Max(i => mailbox.Messages[i].ModSeq));
        }

        _out.Crlf();
    }

    /// <summary>Numbers in the given order, with runs of consecutive ascending numbers as ranges (RFC 5267 sort order kept).</summary>
    private static string FormatInOrder(IReadOnlyList<uint> numbers)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < numbers.Count)
        {
            var j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1)
            {
                j++;
            }

            parts.Add(j == i ? numbers[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : SequenceSet.Format([numbers[i], numbers[j]]).Replace(',', ':'));
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    /// <summary>RFC 5267 §4.3 CANCELUPDATE "tag" ...: stops updates of those searches.</summary>
    private async Task CancelUpdateAsync(ImapCommand command)
    {
        var selected = (ImapSessionState.Selected)_state;
        if (command.Arguments.Count == 0 || command.Arguments.Any(a => a is not ImapString))
        {
            await BadAsync(command.Tag, "CANCELUPDATE takes the tags of searches");
            return;
        }

        foreach (var tag in command.Arguments.Select(a => a.AsText()))
        {
            selected.Mailbox.UpdateSearches.RemoveAll(u => u.Tag == tag);
        }

        await OkAsync(command, "CANCELUPDATE completed");
    }

    /// <summary>
    /// After the client heard of changes (its own STORE/EXPUNGE, or other sessions' through a sync): every
    /// CONTEXT UPDATE search is evaluated again for the changed and new messages, and the differences are sent as
    /// ESEARCH ADDTO / REMOVEFROM (RFC 5267 §4.3, position 0 as Dovecot sends for unsorted results).
    /// </summary>
    private async Task AfterChangesAsync(ImapSessionState.Selected selected, SyncReport report, CancellationToken cancellationToken)
    {
        var mailbox = selected.Mailbox;
        if (report.Changed.Count + report.Added.Count == 0 || mailbox.UpdateSearches.Count == 0)
        {
            return;
        }

        // Expunged messages were taken out of the results as they were reported (SelectedMailbox.ExpungeReported).
        var touched = report.Changed.Concat(report.Added).Select(mailbox.IndexOf).Where(i => i >= 0).Distinct().Order().ToList();
        foreach (var update in mailbox.UpdateSearches)
        {
            var now = touched.Count == 0 ? [] : (await EvaluateAsync(mailbox, update.Program, touched, cancellationToken)).Select(i => mailbox.Messages[i].Uid).ToHashSet();
            var added = touched.Select(i => mailbox.Messages[i].Uid).Where(u => now.Contains(u) && !update.Uids.Contains(u)).Order().ToList();
            var removed = touched.Select(i => mailbox.Messages[i].Uid).Where(u => !now.Contains(u) && update.Uids.Contains(u)).Order().ToList();
            if (added.Count == 0 && removed.Count == 0)
            {
                continue;
            }

            update.Uids.UnionWith(added);
            update.Uids.ExceptWith(removed);
            _out.Raw("* ESEARCH (TAG ").String(update.Tag).Raw(")");
            if (update.ByUid)
            {
                _out.Raw(" UID");
            }

            if (removed.Count > 0)
            {
                var numbers = update.ByUid ? removed : removed.Select(u => (uint)(mailbox.IndexOf(u) + 1)).ToList();
                _out.Raw(" REMOVEFROM (0 ").Raw(SequenceSet.Format(numbers.Order())).Raw(")");
            }

            if (added.Count > 0)
            {
                var numbers = update.ByUid ? added : added.Select(u => (uint)(mailbox.IndexOf(u) + 1)).ToList();
                _out.Raw(" ADDTO (0 ").Raw(SequenceSet.Format(numbers.Order())).Raw(")");
            }

            _out.Crlf();
        }
    }

    /// <summary>
    /// RFC 7162 §3.1: a command that enables CONDSTORE while a mailbox is selected makes the server send
    /// HIGHESTMODSEQ for it, once.
    /// </summary>
    private void EnableCondStore()
    {
        if (_modes.CondStore)
        {
            return;
        }

        _modes.CondStore = true;
        if (_state is ImapSessionState.Selected selected)
        {
            _out.Raw("* OK [").Raw(ImapReplies.Number(ImapCodes.HighestModSeq, selected.Mailbox.ModSeq)).Raw("] Highest").Crlf();
        }
    }

    /// <summary>
    /// The messages a sequence set names: numbers or UIDs, or "$" (RFC 5182: the saved search result, which names
    /// the same messages for UID and number commands). Null with an error for bad syntax or a number past the end.
    /// </summary>
    private static List<int>? ResolveSet(SelectedMailbox mailbox, string text, bool uid, out string? error)
    {
        error = null;
        if (text == "$")
        {
            return (mailbox.SavedResult ?? []).Select(mailbox.IndexOf).Where(i => i >= 0).Order().ToList();
        }

        if (!SequenceSet.TryParse(text, out var set))
        {
            error = "Invalid message set";
            return null;
        }

        var indexes = mailbox.Resolve(set!, uid);
        if (indexes is null)
        {
            error = "Invalid message sequence number";
        }

        return indexes;
    }
}

/// <summary>A CONTEXT UPDATE search (RFC 5267 §4.3): its tag, program, and the UIDs of its current result.</summary>
public sealed record UpdateSearch(string Tag, SearchKey Program, bool ByUid, HashSet<uint> Uids);
