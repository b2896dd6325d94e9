using MailAppliance.Imap.Protocol;
using MailAppliance.Imap.Search;

namespace MailAppliance.Imap.Server;

/// <summary>
/// SORT and THREAD (RFC 5256, RFC 5957 SORT=DISPLAY), with ESORT and CONTEXT=SORT (RFC 5267: RETURN options,
/// PARTIAL, UPDATE).
/// </summary>
public sealed partial class ImapSession
{
    /// <summary><c>SORT [RETURN (options)] (criteria) charset search-key...</c></summary>
    private async Task SortAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        var args = command.Arguments.ToList();
        var index = 0;
        SearchReturn? returns = null;
        if (args.Count > 1 && args[0] is ImapAtom r && r.Is("RETURN"))
        {
            if (args[1] is not ImapList options || !SearchParser.TryParseReturn(options, out var parsed, out var returnError))
            {
                await BadAsync(command.Tag, "Invalid RETURN options");
                return;
            }

            returns = parsed;
            index = 2;
        }

        if (args.Count < index + 3 || args[index] is not ImapList criteriaList || MessageSorter.ParseCriteria(criteriaList.Items.Select(i => i.AsText())) is not { } criteria)
        {
            await BadAsync(command.Tag, "SORT takes sort criteria, a charset and search keys");
            return;
        }

        var charset = args[index + 1].AsText();
        if (!SearchParser.TryParse(args.Skip(index + 2).ToList(), out var request, out var error))
        {
            await BadAsync(command.Tag, error);
            return;
        }

        if (!IsSupportedCharset(charset))
        {
            await NoAsync(command.Tag, ImapReplies.No(ImapReplies.BadCharset("UTF-8 US-ASCII"), "Unsupported charset"));
            return;
        }

        var mailbox = selected.Mailbox;
        var matches = await EvaluateAsync(mailbox, request!.Program, null, cancellationToken);
        var rows = await _services.Store.LoadSortRowsAsync(mailbox.Info, matches.Select(i => mailbox.Messages[i].Uid).ToList(), cancellationToken);
        var sorted = MessageSorter.Sort(matches.Where(i => rows.ContainsKey(mailbox.Messages[i].Uid)).Select(i => new SortItem(i, rows[mailbox.Messages[i].Uid])), criteria)
            .Select(s => s.Index).ToList();
        var numbers = sorted.Select(i => command.IsUid ? mailbox.Messages[i].Uid : (uint)(i + 1)).ToList();
        if (returns is null)
        {
            _out.Raw("* SORT");
            foreach (var n in numbers)
            {
                _out.Space().Number(n);
            }

            _out.Crlf();
        }
        else
        {
            if (returns.Save)
            {
                mailbox.SavedResult = sorted.Select(i => mailbox.Messages[i].Uid).ToList();
            }

            if (returns.Update)
            {
                mailbox.UpdateSearches.Add(new UpdateSearch(command.Tag, request.Program, command.IsUid, sorted.Select(i => mailbox.Messages[i].Uid).ToHashSet()));
            }

            if (!returns.SaveOnly)
            {
                // RFC 5267 §3: ESORT answers with ESEARCH; MIN and MAX are the first and last in sort order.
                WriteEsearch(command, returns, mailbox, sorted, numbers, withModSeq: false, sorted: true);
            }
        }

        await OkAsync(command, "SORT completed", allowExpunge: command.IsUid);
    }

    /// <summary><c>THREAD algorithm charset search-key...</c> (RFC 5256 §3).</summary>
    private async Task ThreadAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        var args = command.Arguments.ToList();
        if (args.Count < 3 || args[0].AsText()?.ToUpperInvariant() is not ("REFERENCES" or "ORDEREDSUBJECT") || !SearchParser.TryParse(args.Skip(2).ToList(), out var request, out var error))
        {
            await BadAsync(command.Tag, "THREAD takes an algorithm (REFERENCES or ORDEREDSUBJECT), a charset and search keys");
            return;
        }

        if (!IsSupportedCharset(args[1].AsText()))
        {
            await NoAsync(command.Tag, ImapReplies.No(ImapReplies.BadCharset("UTF-8 US-ASCII"), "Unsupported charset"));
            return;
        }

        var mailbox = selected.Mailbox;
        var matches = await EvaluateAsync(mailbox, request!.Program, null, cancellationToken);
        var rows = await _services.Store.LoadSortRowsAsync(mailbox.Info, matches.Select(i => mailbox.Messages[i].Uid).ToList(), cancellationToken);
        var items = matches.Where(i => rows.ContainsKey(mailbox.Messages[i].Uid)).Select(i => new SortItem(i, rows[mailbox.Messages[i].Uid])).ToList();
        var threads = args[0].AsText()!.Equals("REFERENCES", StringComparison.OrdinalIgnoreCase)
            ? MessageThreader.References(items)
            : MessageThreader.OrderedSubject(items);
        _out.Raw("* THREAD ").Raw(MessageThreader.Format(threads, item => command.IsUid ? mailbox.Messages[item.Index].Uid : (uint)(item.Index + 1))).Crlf();
        await OkAsync(command, "THREAD completed", allowExpunge: command.IsUid);
    }
}
