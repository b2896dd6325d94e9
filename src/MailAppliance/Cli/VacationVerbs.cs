using System.Globalization;
using System.Text;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary>
/// <c>vacation set|clear</c>: a vacation script (RFC 5230) with a start and an end date checked with
/// <c>currentdate</c> (RFC 5260 §5), stored and activated as the user's script <c>vacation</c>. A script that was
/// active before keeps running: the vacation script includes it, and <c>vacation clear</c> activates it again.
/// </summary>
public static class VacationVerbs
{
    public const string ScriptName = "vacation";
    private const string PreviousMarker = "# previous-active: ";

    public static async Task Set(AdminContext c)
    {
        var subject = c.Command.Value("--subject");
        var bodyFile = c.Command.Value("--body-file");
        if (c.Arguments.Count != 1 || subject is null || bodyFile is null)
        {
            throw new UsageException("usage: vacation set ADDRESS --subject S --body-file F [--from DATE] [--until DATE] [--days N]");
        }

        var days = 7;
        if (c.Command.Value("--days") is { } d && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days < 1))
        {
            throw new UsageException("--days must be a whole number of at least 1");
        }

        var from = c.Command.Value("--from") is { } f ? ParseDate(f, endOfDay: false) : (DateTimeOffset?)null;
        var until = c.Command.Value("--until") is { } u ? ParseDate(u, endOfDay: true) : (DateTimeOffset?)null;
        if (from is not null && until is not null && until <= from)
        {
            throw new UsageException("--until must be after --from");
        }

        var (id, address) = await SieveVerbs.UserAsync(c, c.Arguments[0]);
        var body = Encoding.UTF8.GetString(SieveVerbs.ReadFile(bodyFile));
        var store = SieveVerbs.Store(c);
        var previous = store.ActiveName(store.HomeOf(address));
        if (previous == ScriptName)
        {
            previous = PreviousOf(store.Get(address, ScriptName));
        }

        var script = Build(subject, body, days, from, until, previous, address.ToString());
        var content = Encoding.UTF8.GetBytes(script);
        SieveVerbs.Compile(ScriptName, content);
        SieveVerbs.Check(await store.PutAsync(id, address, ScriptName, content, c.CancellationToken));
        SieveVerbs.Check(await store.ActivateAsync(id, address, ScriptName, c.CancellationToken));
        if (until is { } end && end <= DateTimeOffset.UtcNow)
        {
            await c.Progress.WriteLineAsync($"warning: the end date {end:yyyy-MM-dd'T'HH:mm:ssK} is already past: no reply will be sent");
        }

        var range = (from is null ? "now" : from.Value.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture))
            + " until " + (until is null ? "cleared" : until.Value.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture));
        c.Output.Done($"vacation set for {address}: {range}, one reply per sender every {days} days",
            new { address = address.ToString(), from = from?.UtcDateTime, until = until?.UtcDateTime, days, script = ScriptName });
    }

    public static async Task Clear(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException("usage: vacation clear ADDRESS");
        }

        var (id, address) = await SieveVerbs.UserAsync(c, c.Arguments[0]);
        var store = SieveVerbs.Store(c);
        var previous = PreviousOf(store.Get(address, ScriptName));
        if (store.ActiveName(store.HomeOf(address)) == ScriptName)
        {
            SieveVerbs.Check(await store.ActivateAsync(id, address, previous is not null && store.Get(address, previous) is not null ? previous : null, c.CancellationToken));
        }

        if (store.Get(address, ScriptName) is not null)
        {
            SieveVerbs.Check(await store.DeleteAsync(id, address, ScriptName, c.CancellationToken));
        }

        c.Output.Done($"vacation cleared for {address}", new { address = address.ToString(), active = previous });
    }

    /// <summary>DATE: YYYY-MM-DD in the server's zone (--from from its start, --until through its end) or RFC 3339.</summary>
    internal static DateTimeOffset ParseDate(string text, bool endOfDay)
    {
        if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var local = endOfDay ? day.AddDays(1) : day;
            return new DateTimeOffset(local, TimeZoneInfo.Local.GetUtcOffset(local));
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant) && text.Contains('T', StringComparison.OrdinalIgnoreCase))
        {
            return instant;
        }

        throw new UsageException($"'{text}' is not a date (YYYY-MM-DD or RFC 3339, e.g. 2026-07-01T08:00:00+02:00)");
    }

    internal static string Build(string subject, string body, int days, DateTimeOffset? from, DateTimeOffset? until, string? previous, string address)
    {
        // Times are compared in UTC as iso8601 prefixes: "2026-07-01T06:00:00Z" >= "2026-07-01T06:00:00" holds, and
        // --until is exclusive (the instant after the last second of the period).
        static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var conditions = new List<string>();
        if (from is { } start)
        {
            conditions.Add($"currentdate :zone \"+0000\" :value \"ge\" \"iso8601\" \"{Utc(start)}\"");
        }

        if (until is { } end)
        {
            conditions.Add($"currentdate :zone \"+0000\" :value \"lt\" \"iso8601\" \"{Utc(end)}\"");
        }

        var sb = new StringBuilder();
        sb.Append("# Written by mailappliance vacation set; vacation clear removes it.\n");
        if (previous is not null)
        {
            sb.Append(PreviousMarker).Append(previous).Append('\n');
        }

        sb.Append("require [\"vacation\", \"date\", \"relational\"").Append(previous is null ? "" : ", \"include\"").Append("];\n");
        var vacation = $"vacation :days {days} :subject {Quote(subject)} :addresses [{Quote(address)}] text:\n{DotStuff(body)}.\n;\n";
        if (conditions.Count > 0)
        {
            sb.Append("if allof (").Append(string.Join(", ", conditions)).Append(") {\n").Append(vacation).Append("}\n");
        }
        else
        {
            sb.Append(vacation);
        }

        if (previous is not null)
        {
            sb.Append("include :personal ").Append(Quote(previous)).Append(";\n");
        }

        return sb.ToString();
    }

    private static string? PreviousOf(byte[]? script)
    {
        if (script is null)
        {
            return null;
        }

        var line = Encoding.UTF8.GetString(script).Split('\n').FirstOrDefault(l => l.StartsWith(PreviousMarker, StringComparison.Ordinal));
        return line?[PreviousMarker.Length..].Trim();
    }

    internal static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>RFC 5228 §2.4.2: in a multi-line string a line starting with "." gets another ".".</summary>
    private static string DotStuff(string body)
    {
        var lines = body.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        return string.Concat(lines.Select(l => (l.StartsWith('.') ? "." + l : l) + "\n"));
    }
}
