using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary><c>user forward ADDRESS TARGET... [--keep]</c> and <c>user forward ADDRESS --clear</c> (issue 16).</summary>
internal static class ForwardVerbs
{
    private const string Usage = "usage: user forward ADDRESS TARGET... [--keep] | user forward ADDRESS --clear";

    public static async Task Forward(AdminContext c)
    {
        if (c.Arguments.Count < 1)
        {
            throw new UsageException(Usage);
        }

        var user = DirectoryVerbs.Address(c.Arguments[0]);
        if (c.Command.Has("--clear"))
        {
            if (c.Arguments.Count != 1 || c.Command.Has("--keep"))
            {
                throw new UsageException(Usage);
            }

            var removed = await c.Directory.ClearForwardAsync(user, c.CancellationToken);
            c.Output.Done(removed ? $"forward of {user} cleared" : $"{user} had no forward", new { cleared = removed, address = user.ToString() });
            return;
        }

        if (c.Arguments.Count < 2)
        {
            var current = await c.Directory.GetForwardAsync(user, c.CancellationToken);
            if (current is null)
            {
                c.Output.Done($"{user} has no forward", new { address = user.ToString(), targets = Array.Empty<string>() });
                return;
            }

            var paused = current.PausedAt is { } at ? $" (paused since {at:yyyy-MM-dd HH:mm}: {current.PausedReason})" : "";
            c.Output.Done($"{user} -> {string.Join(", ", current.Targets)}{(current.Keep ? " (keeping a copy)" : "")}{paused}",
                new { address = user.ToString(), targets = current.Targets, keep = current.Keep, paused = current.PausedAt is not null, pausedReason = current.PausedReason });
            return;
        }

        if (!ForwardTargets.TryParse(user, c.Arguments.Skip(1), out var targets, out var error, out var invalidAddress))
        {
            throw invalidAddress ? new DirectoryException(DirectoryError.InvalidAddress, error) : new UsageException(error);
        }

        var keep = c.Command.Has("--keep");
        await c.Directory.SetForwardAsync(user, targets, keep, c.CancellationToken);
        c.Output.Done($"{user} forwards to {string.Join(", ", targets)}{(keep ? ", keeping a copy" : "")}",
            new { address = user.ToString(), targets = targets.Select(t => t.ToString()), keep });
    }
}
