using System.Globalization;
using MailAppliance.Import;
using MailAppliance.Storage.Import;

namespace MailAppliance.Cli;

/// <summary>
/// Box polls: <c>fetch add ADDRESS --host H [--protocol imap|pop3] [--port P] --login L --password-file F
/// [--starttls|--plain] [--every 10m] [--keep|--delete]</c>, <c>fetch list [ADDRESS]</c>, <c>fetch remove ADDRESS
/// [--host H]</c>. A running <c>serve</c> picks a new poll up within seconds. The password is stored in the database
/// (fetchmail keeps it in .fetchmailrc): the server needs it at every poll.
/// </summary>
public static class FetchVerbs
{
    public const string AddUsage = "fetch add ADDRESS --host H [--protocol imap|pop3] [--port P] --login L --password-file F [--starttls|--plain] [--every 10m] [--keep|--delete]";
    public const string ListUsage = "fetch list [ADDRESS]";
    public const string RemoveUsage = "fetch remove ADDRESS [--host H]";

    public static async Task Add(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {AddUsage}");
        }

        var user = await ImportVerbs.UserAsync(c, c.Arguments[0]);
        var protocol = (c.Command.Value("--protocol") ?? "imap").ToLowerInvariant() switch
        {
            "imap" => RemoteProtocol.Imap,
            "pop3" => RemoteProtocol.Pop3,
            var other => throw new UsageException($"--protocol: '{other}' is not imap or pop3"),
        };
        if (c.Command.Has("--keep") && c.Command.Has("--delete"))
        {
            throw new UsageException("--keep and --delete exclude each other");
        }

        var every = TimeSpan.FromMinutes(10);
        if (c.Command.Value("--every") is { } text && !TryDuration(text, out every))
        {
            throw new UsageException($"--every: '{text}' is not a duration of a minute or more (30m, 1h)");
        }

        var account = await ImportVerbs.RemoteAccountAsync(c, protocol);
        var keep = !c.Command.Has("--delete");
        var id = await new FetchAccountStore(c.Database).AddAsync(user.Id, protocol.ToString().ToLowerInvariant(), account.Host, account.Port,
            account.Security.ToString().ToLowerInvariant(), account.Login, account.Password, (int)every.TotalSeconds, keep, c.CancellationToken);
        c.Output.Done($"fetching {account.Description} into {user.Address} every {(int)every.TotalMinutes}m ({(keep ? "keep" : "delete")})",
            new { added = "fetch", id, address = user.Address.ToString(), protocol = protocol.ToString().ToLowerInvariant(), host = account.Host, port = account.Port, everySeconds = (int)every.TotalSeconds, keep });
    }

    public static async Task List(AdminContext c)
    {
        long? userId = c.Arguments.Count switch
        {
            0 => null,
            1 => (await ImportVerbs.UserAsync(c, c.Arguments[0])).Id,
            _ => throw new UsageException($"usage: {ListUsage}"),
        };
        var rows = (await new FetchAccountStore(c.Database).ListAsync(userId, c.CancellationToken))
            .Select(a => new { a.User, a.Protocol, a.Host, a.Port, a.Security, a.Login, a.EverySeconds, a.Keep, NextRun = a.NextRun.UtcDateTime, LastRun = a.LastRun?.UtcDateTime, a.LastResult })
            .ToList();
        c.Output.Table(rows, ["USER", "PROTOCOL", "HOST", "LOGIN", "EVERY", "MODE", "LAST RUN", "LAST RESULT"], r =>
            [r.User, r.Protocol, string.Create(CultureInfo.InvariantCulture, $"{r.Host}:{r.Port}"), r.Login,
             string.Create(CultureInfo.InvariantCulture, $"{r.EverySeconds / 60}m"), r.Keep ? "keep" : "delete",
             r.LastRun?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-", r.LastResult ?? "-"]);
    }

    public static async Task Remove(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {RemoveUsage}");
        }

        var user = await ImportVerbs.UserAsync(c, c.Arguments[0]);
        var host = c.Command.Value("--host");
        var removed = await new FetchAccountStore(c.Database).RemoveAsync(user.Id, host, c.CancellationToken);
        if (removed == 0)
        {
            throw new CommandFailedException($"{user.Address} has no box poll{(host is null ? "" : " of " + host)}");
        }

        c.Output.Done($"removed {removed} box poll(s) of {user.Address}", new { removed = "fetch", address = user.Address.ToString(), count = removed });
    }

    private static bool TryDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length < 2 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        value = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return value >= TimeSpan.FromMinutes(1);
    }
}
