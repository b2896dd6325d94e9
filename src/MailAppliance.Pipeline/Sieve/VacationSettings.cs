using System.Globalization;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Sieve;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>An auto-reply as a person sets it: subject, text, how often per sender, and the period it covers.</summary>
public sealed record VacationRequest(string Subject, string Body, int Days, DateTimeOffset? From, DateTimeOffset? Until);

/// <summary>A user's auto-reply as stored, and whether its script is the active one.</summary>
public sealed record VacationState(string Subject, string Body, int Days, DateTimeOffset? From, DateTimeOffset? Until, bool Active)
{
    /// <summary>Active and inside its period at <paramref name="now"/>.</summary>
    public bool RepliesAt(DateTimeOffset now) => Active && (From is null || now >= From) && (Until is null || now < Until);
}

/// <summary>
/// A vacation script (RFC 5230) with a start and an end checked with <c>currentdate</c> (RFC 5260 §5), stored and
/// activated as the user's script <c>vacation</c> — what <c>vacation set|clear</c> and the console's vacation page
/// both do. A script that was active before keeps running: the vacation script includes it (RFC 6609), and clearing
/// activates it again. The request is written into comment lines too, so the settings read back exactly.
/// </summary>
public sealed class VacationSettings(SieveScriptStore store)
{
    public const string ScriptName = "vacation";
    public const int DefaultDays = 7;
    private const string PreviousMarker = "# previous-active: ";
    private const string SubjectMarker = "# subject: ";
    private const string DaysMarker = "# days: ";
    private const string FromMarker = "# from: ";
    private const string UntilMarker = "# until: ";

    /// <summary>Why a request is refused, or null: a one-line subject, at least one day, an end after the start.</summary>
    public static string? Validate(VacationRequest request)
    {
        if (request.Subject.Any(char.IsControl))
        {
            return "the subject must be one line";
        }

        if (request.Days < 1)
        {
            return "--days must be a whole number of at least 1";
        }

        return request.From is { } from && request.Until is { } until && until <= from ? "--until must be after --from" : null;
    }

    /// <summary>DATE: <c>YYYY-MM-DD</c> in <paramref name="zone"/> (the start of the day, or with
    /// <paramref name="endOfDay"/> the end of it) or an RFC 3339 time.</summary>
    public static bool TryParseDate(string text, bool endOfDay, TimeZoneInfo zone, out DateTimeOffset date, out string error)
    {
        error = "";
        if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var local = endOfDay ? day.AddDays(1) : day;
            date = new DateTimeOffset(local, zone.GetUtcOffset(local));
            return true;
        }

        if (text.Contains('T', StringComparison.OrdinalIgnoreCase) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return true;
        }

        date = default;
        error = $"'{text}' is not a date (YYYY-MM-DD or RFC 3339, e.g. 2026-07-01T08:00:00+02:00)";
        return false;
    }

    /// <summary>Stores and activates the script; a failure (a quota, a script that does not compile) as a message.</summary>
    public async Task<string?> SetAsync(long userId, MailAddress address, VacationRequest request, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } invalid)
        {
            return invalid;
        }

        var previous = store.ActiveName(store.HomeOf(address));
        if (previous == ScriptName)
        {
            previous = Marker(store.Get(address, ScriptName), PreviousMarker);
        }

        var content = Encoding.UTF8.GetBytes(Build(request, previous, address.ToString()));
        var compiled = SieveCompiler.Compile(ScriptName, Encoding.UTF8.GetString(content));
        if (!compiled.Succeeded)
        {
            return compiled.Errors.First().Format(ScriptName);
        }

        var put = await store.PutAsync(userId, address, ScriptName, content, cancellationToken);
        if (!put.Succeeded)
        {
            return put.Message;
        }

        var activated = await store.ActivateAsync(userId, address, ScriptName, cancellationToken);
        return activated.Succeeded ? null : activated.Message;
    }

    /// <summary>Removes the script and activates the one it included; the script made active again (or null), or a failure.</summary>
    public async Task<(string? Restored, string? Error)> ClearAsync(long userId, MailAddress address, CancellationToken cancellationToken)
    {
        var current = store.Get(address, ScriptName);
        var previous = Marker(current, PreviousMarker);
        if (store.ActiveName(store.HomeOf(address)) == ScriptName)
        {
            var activated = await store.ActivateAsync(userId, address, previous is not null && store.Get(address, previous) is not null ? previous : null, cancellationToken);
            if (!activated.Succeeded)
            {
                return (null, activated.Message);
            }
        }

        if (current is not null)
        {
            var deleted = await store.DeleteAsync(userId, address, ScriptName, cancellationToken);
            if (!deleted.Succeeded)
            {
                return (null, deleted.Message);
            }
        }

        return (previous, null);
    }

    /// <summary>The user's auto-reply, or null when they have none.</summary>
    public VacationState? Read(MailAddress address)
    {
        if (store.Get(address, ScriptName) is not { } content)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(content);
        static DateTimeOffset? Time(string? value) =>
            value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
        var days = int.TryParse(Marker(content, DaysMarker), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : DefaultDays;
        return new VacationState(Marker(content, SubjectMarker) ?? "", Body(text), days, Time(Marker(content, FromMarker)), Time(Marker(content, UntilMarker)),
            store.ActiveName(store.HomeOf(address)) == ScriptName);
    }

    public static string Build(VacationRequest request, string? previous, string address)
    {
        // Times are compared in UTC as iso8601 prefixes: "2026-07-01T06:00:00Z" >= "2026-07-01T06:00:00" holds, and
        // the end is exclusive (the instant after the last second of the period).
        static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var conditions = new List<string>();
        var sb = new StringBuilder();
        sb.Append("# Written by mailappliance vacation set; vacation clear removes it.\n");
        if (previous is not null)
        {
            sb.Append(PreviousMarker).Append(previous).Append('\n');
        }

        sb.Append(SubjectMarker).Append(request.Subject).Append('\n').Append(DaysMarker).Append(request.Days.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (request.From is { } start)
        {
            sb.Append(FromMarker).Append(Utc(start)).Append("Z\n");
            conditions.Add($"currentdate :zone \"+0000\" :value \"ge\" \"iso8601\" \"{Utc(start)}\"");
        }

        if (request.Until is { } end)
        {
            sb.Append(UntilMarker).Append(Utc(end)).Append("Z\n");
            conditions.Add($"currentdate :zone \"+0000\" :value \"lt\" \"iso8601\" \"{Utc(end)}\"");
        }

        sb.Append("require [\"vacation\", \"date\", \"relational\"").Append(previous is null ? "" : ", \"include\"").Append("];\n");
        var days = request.Days.ToString(CultureInfo.InvariantCulture);
        var vacation = $"vacation :days {days} :subject {Quote(request.Subject)} :addresses [{Quote(address)}] text:\n{DotStuff(request.Body)}.\n;\n";
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

    private static string? Marker(byte[]? script, string marker)
    {
        if (script is null)
        {
            return null;
        }

        // Only the comment block at the top: a line of the reply text may look like a marker.
        var line = Encoding.UTF8.GetString(script).Split('\n').TakeWhile(l => l.StartsWith('#')).FirstOrDefault(l => l.StartsWith(marker, StringComparison.Ordinal));
        return line?[marker.Length..].Trim();
    }

    /// <summary>The reply text back from the script's multi-line string (RFC 5228 §2.4.2: dot-stuffed, ends at ".").</summary>
    private static string Body(string script)
    {
        var start = script.IndexOf("text:\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }

        var lines = new List<string>();
        foreach (var line in script[(start + 6)..].Split('\n'))
        {
            if (line == ".")
            {
                break;
            }

            lines.Add(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line);
        }

        return string.Join("\n", lines);
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>RFC 5228 §2.4.2: in a multi-line string a line starting with "." gets another ".".</summary>
    private static string DotStuff(string body)
    {
        var lines = body.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        return string.Concat(lines.Select(l => (l.StartsWith('.') ? "." + l : l) + "\n"));
    }
}
