using System.Security.Cryptography;
using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>The tests: one handler each.</summary>
public sealed partial class SieveInterpreter
{
    private static ValueTask<bool> Done(bool value) => ValueTask.FromResult(value);

    private static IReadOnlyList<SieveString> Keys(SieveNode node) => node.StringsAt(node.Positional.Count - 1);

    // RFC 5228 §5.1 (address), RFC 5260 §6 (:index).
    private static ValueTask<bool> Address(SieveRun run, SieveNode node)
    {
        var values = new List<string>();
        var index = node.TagNumber("index");
        foreach (var header in run.Expand(node.StringsAt(0)))
        {
            var raw = SieveRun.SelectIndex(run.RawHeaderValues(header), index, node.Has("last"));
            foreach (var value in raw)
            {
                var any = false;
                foreach (var address in SieveRun.Addresses(value))
                {
                    any = true;
                    if (Part(address.LocalPart ?? string.Empty, address.Domain, node.AddressPart) is { } part)
                    {
                        values.Add(part);
                    }
                }

                // An address field we cannot parse is matched whole by :all (as Pigeonhole does).
                if (!any && node.AddressPart == SieveAddressPart.All && value.Trim().Length > 0)
                {
                    values.Add(value.Trim());
                }
            }
        }

        return Done(run.Matcher.Match(node.Match, values, run.Expand(Keys(node))));
    }

    /// <summary>RFC 5228 §2.7.4 address parts; RFC 5233 §4 :user and :detail with "+" as the separator.</summary>
    internal static string? Part(string localPart, string? domain, SieveAddressPart part)
    {
        var plus = localPart.IndexOf('+', StringComparison.Ordinal);
        return part switch
        {
            SieveAddressPart.LocalPart => localPart,
            SieveAddressPart.Domain => domain ?? string.Empty,
            SieveAddressPart.User => plus < 0 ? localPart : localPart[..plus],
            // RFC 5233 §4: without a separator there is no detail, and the address is not compared.
            SieveAddressPart.Detail => plus < 0 ? null : localPart[(plus + 1)..],
            _ => domain is null ? localPart : localPart + "@" + domain,
        };
    }

    // RFC 5228 §5.4.
    private static ValueTask<bool> Envelope(SieveRun run, SieveNode node)
    {
        var values = new List<string>();
        foreach (var which in run.Expand(node.StringsAt(0)))
        {
            var address = which.Equals("from", StringComparison.OrdinalIgnoreCase) ? run.Input.Envelope.From : run.Input.Envelope.To;
            if (address.Length == 0)
            {
                // RFC 5228 §5.4: the null reverse-path compares as the empty string (for :all only).
                if (node.AddressPart == SieveAddressPart.All)
                {
                    values.Add(string.Empty);
                }

                continue;
            }

            var at = address.LastIndexOf('@');
            var part = at < 0 ? Part(address, null, node.AddressPart) : Part(address[..at], address[(at + 1)..], node.AddressPart);
            if (part is not null)
            {
                values.Add(part);
            }
        }

        return Done(run.Matcher.Match(node.Match, values, run.Expand(Keys(node))));
    }

    // RFC 5228 §5.7.
    private static ValueTask<bool> Header(SieveRun run, SieveNode node)
    {
        var values = new List<string>();
        foreach (var name in run.Expand(node.StringsAt(0)))
        {
            values.AddRange(run.HeaderValues(name, node.TagNumber("index"), node.Has("last")));
        }

        if (values.Count == 0 && node.Match.Type != SieveMatchType.Count)
        {
            return Done(false);
        }

        return Done(run.Matcher.Match(node.Match, values, run.Expand(Keys(node))));
    }

    // RFC 5228 §5.5: true when every named header exists.
    private static ValueTask<bool> Exists(SieveRun run, SieveNode node)
    {
        foreach (var name in run.Expand(node.StringsAt(0)))
        {
            if (!run.Headers.Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                return Done(false);
            }
        }

        return Done(true);
    }

    // RFC 5228 §5.9.
    private static ValueTask<bool> Size(SieveRun run, SieveNode node)
    {
        var limit = node.NumberAt(0);
        return Done(node.Has("over") ? run.Message.Size > limit : run.Message.Size < limit);
    }

    // RFC 5173 §5.
    private static ValueTask<bool> Body(SieveRun run, SieveNode node)
    {
        var transform = node.Has("raw") ? "raw" : node.Has("content") ? "content" : "text";
        var types = node.TagStrings("content") is { } t ? run.Expand(t) : [];
        var texts = run.Message.BodyTexts(transform, types, run.BodyBytesLeft);
        run.BodyBytesLeft -= texts.Sum(x => x.Length);
        return Done(run.Matcher.Match(node.Match, texts, run.Expand(Keys(node))));
    }

    // RFC 5260 §4.
    private static ValueTask<bool> Date(SieveRun run, SieveNode node)
    {
        var header = run.Expand(node.StringAt(0));
        var part = run.Expand(node.StringAt(1));
        var values = new List<string>();
        foreach (var raw in run.HeaderValues(header, node.TagNumber("index"), node.Has("last")))
        {
            // RFC 5260 §4: in a Received field the date follows the last ";".
            var text = header.Equals("received", StringComparison.OrdinalIgnoreCase) && raw.LastIndexOf(';') is var semi and >= 0 ? raw[(semi + 1)..] : raw;
            if (DateParser.Parse(text) is not { } date)
            {
                continue;
            }

            if (!node.Has("originalzone"))
            {
                date = Zoned(run, node, date);
            }

            if (SieveDates.Part(date, part) is { } value)
            {
                values.Add(value);
            }
        }

        return Done(values.Count > 0 && run.Matcher.Match(node.Match, values, run.Expand(Keys(node))));
    }

    /// <summary>RFC 5260 §4.1: :zone converts; without it the server's local zone applies.</summary>
    private static DateTimeOffset Zoned(SieveRun run, SieveNode node, DateTimeOffset date)
    {
        if (node.TagString("zone") is { } zoneText && SieveDates.TryParseZone(run.Expand(zoneText), out var offset))
        {
            return date.ToOffset(offset);
        }

        return TimeZoneInfo.ConvertTime(date, run.Time.LocalTimeZone);
    }

    // RFC 5260 §5.
    private static ValueTask<bool> CurrentDate(SieveRun run, SieveNode node)
    {
        var now = Zoned(run, node, run.Now);
        var value = SieveDates.Part(now, run.Expand(node.StringAt(0)));
        return Done(value is not null && run.Matcher.Match(node.Match, [value], run.Expand(Keys(node))));
    }

    // RFC 5229 §5: the string test; an empty source counts as no value for :count.
    private static ValueTask<bool> StringTest(SieveRun run, SieveNode node)
    {
        var sources = run.Expand(node.StringsAt(0));
        if (node.Match.Type == SieveMatchType.Count)
        {
            sources = sources.Where(s => s.Length > 0).ToList();
        }

        return Done(run.Matcher.Match(node.Match, sources, run.Expand(Keys(node))));
    }

    // RFC 5232 §4.
    private static ValueTask<bool> HasFlag(SieveRun run, SieveNode node)
    {
        var variables = node.StringsAt(0);
        var flags = variables.Count == 0
            ? run.InternalFlags.ToList()
            : run.Expand(variables).SelectMany(v => SplitFlags(run.GetVariable(v) ?? string.Empty)).ToList();
        var keys = run.Expand(node.StringsAt(1)).SelectMany(SplitFlags).ToList();
        return Done(run.Matcher.Match(node.Match, flags, keys));
    }

    // RFC 5490 §3.1.
    private static async ValueTask<bool> MailboxExists(SieveRun run, SieveNode node)
    {
        if (run.Input.User.Mailboxes is not { } mailboxes)
        {
            return false;
        }

        foreach (var name in run.Expand(node.StringsAt(0)))
        {
            if (!await mailboxes.ExistsAsync(name, run.CancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    // RFC 7352 §3.
    private static async ValueTask<bool> Duplicate(SieveRun run, SieveNode node)
    {
        string? id;
        if (node.TagString("uniqueid") is { } unique)
        {
            id = run.Expand(unique);
        }
        else
        {
            var header = node.TagString("header") is { } h ? run.Expand(h) : "message-id";
            id = run.Headers.FirstOrDefault(x => x.Name.Equals(header, StringComparison.OrdinalIgnoreCase))?.Value.Trim();
        }

        if (string.IsNullOrEmpty(id))
        {
            return false;
        }

        var handle = node.TagString("handle") is { } handleText ? run.Expand(handleText) : string.Empty;
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(handle + "\0" + id)));
        var seconds = node.TagNumber("seconds") is { } s ? TimeSpan.FromSeconds(s) : run.Limits.DuplicateDefaultPeriod;
        if (seconds > run.Limits.DuplicateMaxPeriod)
        {
            seconds = run.Limits.DuplicateMaxPeriod;
        }

        var seen = run.DuplicateMarks.Any(m => m.Key == key);
        if (!seen && !run.Input.DryRun && run.Input.User.Duplicates is { } store)
        {
            seen = await store.IsTrackedAsync(run.Input.User.UserId, key, run.Now, run.CancellationToken);
        }

        // RFC 7352 §3.1: a new id is stored; with :last the period also restarts for one already seen.
        if (!seen || node.Has("last"))
        {
            run.DuplicateMarks.Add((key, run.Now + seconds));
        }

        return seen;
    }

    // RFC 5235 §3.2, §3.3.
    private static ValueTask<bool> SpamTest(SieveRun run, SieveNode node) =>
        Done(run.Matcher.Match(node.Match, [run.Input.User.Scores.SpamTestValue(node.Has("percent"))], run.Expand(node.StringsAt(0))));

    private static ValueTask<bool> VirusTest(SieveRun run, SieveNode node) =>
        Done(run.Matcher.Match(node.Match, [run.Input.User.Scores.VirusTestValue], run.Expand(node.StringsAt(0))));

    internal static IEnumerable<string> SplitFlags(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
