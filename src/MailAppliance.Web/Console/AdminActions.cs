using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Queue;

namespace MailAppliance.Web.Console;

/// <summary>What an admin may change from the console or <c>/api</c>: the same operations, the same rules and the
/// same messages as the CLI verbs, each a result value (never an exception) for the page or JSON to show.</summary>
internal static class AdminActions
{
    public sealed record Outcome(bool Ok, string Message);

    public static async Task<Outcome> QueueAsync(WebServices services, string queueId, string action, CancellationToken cancellationToken)
    {
        if (queueId.Length is < 8 or > 32 || !queueId.All(char.IsAsciiLetterOrDigit))
        {
            return new(false, "bad queue id");
        }

        var queue = services.Queue;
        switch (action)
        {
            case "retry":
                return Changed(await queue.RetryAsync(queueId, cancellationToken), "made due now");
            case "hold":
                return Changed(await queue.HoldAsync(queueId, cancellationToken), "held");
            case "release":
                return Changed(await queue.ReleaseAsync(queueId, cancellationToken), "released");
            case "delete":
                var (found, discarded) = await queue.DeleteAsync(queueId, cancellationToken);
                return found ? new(true, $"{queueId}: deleted ({discarded} recipients discarded)") : new(false, $"no message {queueId} in the queue");
            default:
                return new(false, $"unknown action '{action}'");
        }

        Outcome Changed(int count, string what) => count > 0 ? new(true, $"{queueId}: {count} recipients {what}") : new(false, $"{queueId}: no recipient to change");
    }

    public static async Task<Outcome> DomainAsync(WebServices services, string name, bool add, CancellationToken cancellationToken) =>
        await DirectoryAsync(async () =>
        {
            if (!DomainName.TryParse(name, out var domain, out var error))
            {
                return new Outcome(false, error ?? "bad domain");
            }

            if (add)
            {
                await services.Directory.AddDomainAsync(domain, cancellationToken);
            }
            else
            {
                await services.Directory.RemoveDomainAsync(domain, cancellationToken);
            }

            return new Outcome(true, $"{(add ? "added" : "removed")} domain {domain.Ascii}");
        });

    public static async Task<Outcome> AddUserAsync(WebServices services, PasswordHasher hasher, string address, string? password, bool admin, CancellationToken cancellationToken) =>
        await DirectoryAsync(async () =>
        {
            if (!MailAddress.TryParse(address, out var parsed, out var error))
            {
                return new Outcome(false, error ?? "bad address");
            }

            await services.Directory.AddUserAsync(parsed, string.IsNullOrEmpty(password) ? null : hasher.Hash(password), null, admin, cancellationToken);
            return new Outcome(true, $"added {(admin ? "admin" : "user")} {parsed}");
        });

    public static async Task<Outcome> UserAsync(WebServices services, string address, string action, CancellationToken cancellationToken) =>
        await DirectoryAsync(async () =>
        {
            if (!MailAddress.TryParse(address, out var parsed, out var error))
            {
                return new Outcome(false, error ?? "bad address");
            }

            switch (action)
            {
                case "remove":
                    await services.Directory.RemoveUserAsync(parsed, cancellationToken);
                    return new Outcome(true, $"removed user {parsed}");
                case "admin-on" or "admin-off":
                    await services.Directory.SetAdminAsync(parsed, action == "admin-on", cancellationToken);
                    return new Outcome(true, action == "admin-on" ? $"{parsed} is an admin" : $"{parsed} is no longer an admin");
                default:
                    return new Outcome(false, $"unknown action '{action}'");
            }
        });

    public static async Task<Outcome> AliasAsync(WebServices services, string alias, IEnumerable<string> targets, bool add, CancellationToken cancellationToken) =>
        await DirectoryAsync(async () =>
        {
            if (!MailAddress.TryParse(alias, out var parsed, out var error))
            {
                return new Outcome(false, error ?? "bad alias");
            }

            var list = new List<MailAddress>();
            foreach (var target in targets.SelectMany(t => t.Split([',', ' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)))
            {
                if (!MailAddress.TryParse(target, out var t, out var targetError))
                {
                    return new Outcome(false, $"{target}: {targetError}");
                }

                list.Add(t);
            }

            if (add && list.Count == 0)
            {
                return new Outcome(false, "an alias needs at least one target");
            }

            if (add)
            {
                await services.Directory.AddAliasAsync(parsed, list, cancellationToken);
            }
            else
            {
                await services.Directory.RemoveAliasAsync(parsed, list, cancellationToken);
            }

            return new Outcome(true, $"{(add ? "added" : "removed")} alias {parsed}");
        });

    private static async Task<Outcome> DirectoryAsync(Func<Task<Outcome>> change)
    {
        try
        {
            return await change();
        }
        catch (DirectoryException e)
        {
            return new Outcome(false, e.Message);
        }
    }
}
