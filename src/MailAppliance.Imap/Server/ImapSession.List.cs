using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// LIST (RFC 9051 §6.3.9 with RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE), LSUB (RFC 3501
/// §6.3.9) and NAMESPACE (RFC 2342).
/// </summary>
public sealed partial class ImapSession
{
    private static readonly Dictionary<string, string> SpecialUseByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sent"] = "\\Sent",
        ["Drafts"] = "\\Drafts",
        ["Junk"] = "\\Junk",
        ["Trash"] = "\\Trash",
        ["Archive"] = "\\Archive",
    };

    private sealed record ListRequest(string Reference, IReadOnlyList<string> Patterns, bool Lsub, bool Extended, bool SelectSubscribed, bool SelectSpecialUse,
        bool RecursiveMatch, bool ReturnSubscribed, bool ReturnChildren, bool ReturnSpecialUse, IReadOnlyList<string>? StatusItems);

    private Task NamespaceAsync(ImapCommand command)
    {
        // RFC 2342: one personal namespace with "/" as the separator; no shared or other users' namespaces.
        _out.Raw("* NAMESPACE ((\"\" \"/\")) NIL NIL").Crlf();
        return OkAsync(command, "NAMESPACE completed");
    }

    private async Task ListAsync(ImapCommand command, bool lsub, CancellationToken cancellationToken)
    {
        if (ParseListRequest(command.Arguments, lsub, out var error) is not { } request)
        {
            await BadAsync(command.Tag, error);
            return;
        }

        // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
        if (request.Patterns.Count == 1 && request.Patterns[0].Length == 0)
        {
            _out.Raw(lsub ? "* LSUB" : "* LIST").Raw(" (\\Noselect) \"/\" \"\"").Crlf();
            await OkAsync(command, command.Name + " completed");
            return;
        }

        var user = User;
        var mailboxes = await _services.Store.ListMailboxesAsync(user, cancellationToken);
        var existing = mailboxes.ToDictionary(m => m.Name.Name, m => m, StringComparer.Ordinal);
        var subscriptions = (await _services.Store.ListSubscriptionsAsync(user, cancellationToken)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var specialUse = await _services.Store.GetSpecialUseAsync(user, cancellationToken);
        var subscribedMode = request.Lsub || request.SelectSubscribed;
        var candidates = new SortedSet<string>(subscribedMode ? subscriptions : existing.Keys, StringComparer.Ordinal);

        // Parents that are not candidates themselves (a/b exists, a does not; or a is not subscribed).
        var all = new SortedSet<string>(candidates, StringComparer.Ordinal);
        foreach (var name in candidates)
        {
            var parts = name.Split('/');
            for (var i = 1; i < parts.Length; i++)
            {
                all.Add(string.Join('/', parts[..i]));
            }
        }

        var matchers = request.Patterns.Select(p => ToRegex(DecodePattern(request.Reference) + DecodePattern(p))).ToList();
        bool Matches(string name) => matchers.Any(m => m.IsMatch(name));
        foreach (var name in all)
        {
            if (!Matches(name))
            {
                continue;
            }

            var isCandidate = candidates.Contains(name);
            var exists = existing.ContainsKey(name);
            var attributes = new List<string>();
            var childInfo = false;
            if (!isCandidate)
            {
                // A parent stands in for descendants the pattern did not reach (RFC 3501 §6.3.9: "%" may return a
                // \Noselect parent, "*" reaches the descendants themselves); Dovecot applies the same rule to
                // RECURSIVEMATCH's CHILDINFO (RFC 5258 §3.5).
                var prefix = name + "/";
                if (!candidates.Any(c => c.StartsWith(prefix, StringComparison.Ordinal) && !Matches(c)))
                {
                    continue;
                }

                if (request.SelectSubscribed)
                {
                    if (!request.RecursiveMatch)
                    {
                        continue;
                    }

                    childInfo = true;
                    if (!exists)
                    {
                        attributes.Add("\\NonExistent");
                    }
                }
                else
                {
                    attributes.Add(request.Lsub || !request.Extended ? "\\Noselect" : "\\NonExistent");
                }
            }
            else if (!exists)
            {
                attributes.Add(request.Lsub ? "\\Noselect" : request.Extended || request.SelectSubscribed ? "\\NonExistent" : "\\Noselect");
            }

            if (request.ReturnChildren && !request.Lsub && !attributes.Contains("\\NonExistent"))
            {
                attributes.Add(existing.Keys.Any(k => k.StartsWith(name + "/", StringComparison.Ordinal)) ? "\\HasChildren" : "\\HasNoChildren");
            }

            if ((request.ReturnSubscribed || request.SelectSubscribed) && subscriptions.Contains(name))
            {
                attributes.Add("\\Subscribed");
            }

            var uses = exists ? SpecialUseOf(existing[name], specialUse) : [];
            if (request.SelectSpecialUse && uses.Count == 0)
            {
                continue;
            }

            if (request.ReturnSpecialUse && !request.Lsub)
            {
                attributes.AddRange(uses);
            }

            var mailboxName = MailboxName.FromImap(name);
            if (!mailboxName.Succeeded)
            {
                continue;
            }

            _out.Raw(request.Lsub ? "* LSUB (" : "* LIST (").Raw(string.Join(' ', attributes)).Raw(") \"/\" ");
            WriteMailboxName(mailboxName.Value);
            if (childInfo)
            {
                _out.Raw(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }

            _out.Crlf();
            if (request.StatusItems is not null && exists)
            {
                await WriteStatusAsync(existing[name], request.StatusItems, cancellationToken);
            }

            await _out.FlushIfLargeAsync(cancellationToken);
        }

        await OkAsync(command, command.Name + " completed");
    }

    /// <summary>RFC 6154: the attributes given at CREATE (kept as METADATA /private/specialuse), else those of the usual names.</summary>
    private static IReadOnlyList<string> SpecialUseOf(MailboxInfo mailbox, IReadOnlyDictionary<long, string> stored)
    {
        if (stored.TryGetValue(mailbox.Id, out var uses))
        {
            return uses.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        return mailbox.Name.Components.Count == 1 && SpecialUseByName.TryGetValue(mailbox.Name.Name, out var use) ? [use] : [];
    }

    private ListRequest? ParseListRequest(IReadOnlyList<ImapValue> args, bool lsub, out string error)
    {
        error = "";
        var index = 0;
        bool selectSubscribed = false, selectSpecialUse = false, recursiveMatch = false, extended = false, otherSelection = false;
        if (!lsub && args.Count > 0 && args[0] is ImapList selection)
        {
            extended = true;
            foreach (var option in selection.Items.Select(o => o.AsText()?.ToUpperInvariant()))
            {
                switch (option)
                {
                    case "SUBSCRIBED": selectSubscribed = otherSelection = true; break;
                    case "SPECIAL-USE": selectSpecialUse = otherSelection = true; break;
                    case "RECURSIVEMATCH": recursiveMatch = true; break;
                    case "REMOTE": break;
                    default:
                        error = $"Unknown LIST selection option {option}";
                        return null;
                }
            }

            // RFC 5258 §3: RECURSIVEMATCH needs a selection option other than REMOTE.
            if (recursiveMatch && !otherSelection)
            {
                error = "RECURSIVEMATCH needs another selection option";
                return null;
            }

            index++;
        }

        if (args.Count < index + 2 || args[index].AsText() is not { } reference)
        {
            error = (lsub ? "LSUB" : "LIST") + " takes a reference and a pattern";
            return null;
        }

        IReadOnlyList<string> patterns = args[index + 1] is ImapList patternList ? patternList.Items.Select(p => p.AsText() ?? "").ToList() : [args[index + 1].AsText() ?? ""];
        extended |= args[index + 1] is ImapList;
        index += 2;
        bool returnSubscribed = false, returnChildren = !lsub, returnSpecialUse = !lsub;
        List<string>? statusItems = null;
        if (index < args.Count)
        {
            if (lsub || !(args[index] is ImapAtom ret && ret.Is("RETURN")) || index + 1 >= args.Count || args[index + 1] is not ImapList returns || index + 2 != args.Count)
            {
                error = "Expected RETURN (options)";
                return null;
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
                        if (statusItems.Any(s => !StatusItems.Contains(s)))
                        {
                            error = "Unknown STATUS item";
                            return null;
                        }

                        i++;
                        break;
                    default:
                        error = "Unknown LIST return option";
                        return null;
                }
            }
        }

        return new ListRequest(reference, patterns, lsub, extended, selectSubscribed, selectSpecialUse, recursiveMatch, returnSubscribed, returnChildren, returnSpecialUse, statusItems);
    }

    private string DecodePattern(string pattern)
    {
        if (_modes.Utf8 && pattern.Any(c => c >= 0x80))
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
}
