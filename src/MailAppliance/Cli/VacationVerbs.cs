using System.Globalization;
using System.Text;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary>
/// <c>vacation set|clear</c>: the user's auto-reply, kept by <see cref="VacationSettings"/> (the console's vacation
/// page uses the same) as the sieve script <c>vacation</c>.
/// </summary>
public static class VacationVerbs
{
    public const string ScriptName = VacationSettings.ScriptName;

    public static async Task Set(AdminContext c)
    {
        var subject = c.Command.Value("--subject");
        var bodyFile = c.Command.Value("--body-file");
        if (c.Arguments.Count != 1 || subject is null || bodyFile is null)
        {
            throw new UsageException("usage: vacation set ADDRESS --subject S --body-file F [--from DATE] [--until DATE] [--days N]");
        }

        var days = VacationSettings.DefaultDays;
        if (c.Command.Value("--days") is { } d && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days < 1))
        {
            throw new UsageException("--days must be a whole number of at least 1");
        }

        var from = c.Command.Value("--from") is { } f ? ParseDate(f, endOfDay: false) : (DateTimeOffset?)null;
        var until = c.Command.Value("--until") is { } u ? ParseDate(u, endOfDay: true) : (DateTimeOffset?)null;
        var request = new VacationRequest(subject, Encoding.UTF8.GetString(SieveVerbs.ReadFile(bodyFile)), days, from, until);
        if (VacationSettings.Validate(request) is { } invalid)
        {
            throw new UsageException(invalid);
        }

        var (id, address) = await SieveVerbs.UserAsync(c, c.Arguments[0]);
        if (await new VacationSettings(SieveVerbs.Store(c)).SetAsync(id, address, request, c.CancellationToken) is { } error)
        {
            throw new DirectoryException(DirectoryError.InvalidAddress, error);
        }

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
        var (previous, error) = await new VacationSettings(SieveVerbs.Store(c)).ClearAsync(id, address, c.CancellationToken);
        if (error is not null)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, error);
        }

        c.Output.Done($"vacation cleared for {address}", new { address = address.ToString(), active = previous });
    }

    /// <summary>DATE: YYYY-MM-DD in the server's zone (--from from its start, --until through its end) or RFC 3339.</summary>
    internal static DateTimeOffset ParseDate(string text, bool endOfDay) =>
        VacationSettings.TryParseDate(text, endOfDay, TimeZoneInfo.Local, out var date, out var error) ? date : throw new UsageException(error);
}
