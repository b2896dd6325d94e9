using Dapper;
using MailAppliance.Core.Addresses;

namespace MailAppliance.Storage.Accounts;

/// <summary>Users' forwards: setting and clearing them, their refusal counts, and whose forward reaches a target.</summary>
public sealed partial class AccountDirectory
{
    /// <summary>Sets a user's forward (replacing any); targets are kept as given.</summary>
    public async Task SetForwardAsync(MailAddress user, IReadOnlyList<MailAddress> targets, bool keep, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO forwards (user_id, targets, keep)
            SELECT u.address_id, @targets, @keep FROM users u JOIN addresses a ON a.id = u.address_id WHERE a.address_key = @key
            ON CONFLICT (user_id) DO UPDATE SET targets = excluded.targets, keep = excluded.keep, spam_rejections = 0, paused_at = NULL,
                paused_reason = NULL, updated_at = now()
            """, new { key = user.Key, targets = targets.Select(t => t.ToString()).ToArray(), keep }, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, $"no user {user}");
        }
    }

    /// <summary>Removes a user's forward; false when there was none.</summary>
    public async Task<bool> ClearForwardAsync(MailAddress user, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT u.address_id FROM users u JOIN addresses a ON a.id = u.address_id WHERE a.address_key = @key", new { key = user.Key }, cancellationToken: cancellationToken)) is not { } id)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, $"no user {user}");
        }

        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM forwards WHERE user_id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>A user's forward, or null.</summary>
    public async Task<ForwardEntry?> GetForwardAsync(MailAddress user, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string[] Targets, bool Keep, int Rejections, DateTime? PausedAt, string? Reason)?>(new CommandDefinition("""
            SELECT f.targets, f.keep, f.spam_rejections, f.paused_at, f.paused_reason
            FROM forwards f JOIN addresses a ON a.id = f.user_id WHERE a.address_key = @key
            """, new { key = user.Key }, cancellationToken: cancellationToken));
        return row is { } r ? new ForwardEntry(user.ToString(), r.Targets, r.Keep, r.Rejections, r.PausedAt is { } p ? ToOffset(p) : null, r.Reason) : null;
    }

    /// <summary>
    /// What a forward's destination said: a refusal as spam (5.7.x) counts, anything else resets the count; after
    /// <paramref name="pauseAfter"/> refusals in a row the forward pauses (its mail stays in the mailbox). True when
    /// this call paused it.
    /// </summary>
    public async Task<bool> RecordForwardOutcomeAsync(MailAddress user, bool refusedAsSpam, string reply, int pauseAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (!refusedAsSpam)
        {
            // The common case: only the count goes back to zero (and only when it is not already), a column the
            // directory's listeners do not hear of (migration 0010), so cached resolutions stay.
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE forwards f SET spam_rejections = 0
                FROM addresses a WHERE a.id = f.user_id AND a.address_key = @key AND f.spam_rejections > 0
                """, new { key = user.Key }, cancellationToken: cancellationToken));
            return false;
        }

        // Counted first (a column nobody listens to); the pause, which changes what RCPT resolves, only when it is due.
        var counted = await connection.QuerySingleOrDefaultAsync<(int Count, bool Paused)?>(new CommandDefinition("""
            UPDATE forwards f SET spam_rejections = f.spam_rejections + 1
            FROM addresses a WHERE a.id = f.user_id AND a.address_key = @key
            RETURNING f.spam_rejections, f.paused_at IS NOT NULL
            """, new { key = user.Key }, cancellationToken: cancellationToken));
        if (counted is not { Paused: false } c || c.Count < pauseAfter)
        {
            return false;
        }

        var paused = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE forwards f SET paused_at = now(), paused_reason = format('%s refusals as spam in a row; last: %s', f.spam_rejections, @reply)
            FROM addresses a WHERE a.id = f.user_id AND a.address_key = @key AND f.paused_at IS NULL
            """, new { key = user.Key, reply }, cancellationToken: cancellationToken)) > 0;
        return paused;
    }

    /// <summary>
    /// The users whose forward sends mail for <paramref name="recipient"/> on to <paramref name="target"/>: the
    /// recipient itself, or users it reaches through aliases and other forwards (an alias whose member forwards).
    /// The same walk as <see cref="ResolveAsync"/>, keeping who owns each forward, so a destination's refusals count
    /// against the right forward.
    /// </summary>
    public async Task<IReadOnlyList<MailAddress>> ForwardOwnersAsync(MailAddress recipient, MailAddress target, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var owners = new List<MailAddress>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var frontier = new List<string> { recipient.Key };
        for (var depth = 0; depth <= MaxAliasDepth && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var key in frontier.Where(seen.Add))
            {
                var entry = await connection.QuerySingleOrDefaultAsync<(long Id, string Kind, string Display, string[]? Targets)?>(new CommandDefinition("""
                    SELECT a.id, a.kind, a.display, f.targets FROM addresses a LEFT JOIN forwards f ON f.user_id = a.id
                    WHERE a.address_key = @key
                    """, new { key }, cancellationToken: cancellationToken));
                if (entry is not { } e)
                {
                    continue;
                }

                if (e.Kind == "user")
                {
                    var targets = (e.Targets ?? []).Select(t => MailAddress.TryParse(t, out var a, out _) ? a.Key : t.ToLowerInvariant()).ToList();
                    if (targets.Contains(target.Key) && MailAddress.TryParse(e.Display, out var owner, out _))
                    {
                        owners.Add(owner);
                    }

                    next.AddRange(targets);
                    continue;
                }

                next.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT target_key FROM alias_targets WHERE alias_id = @id", new { id = e.Id }, cancellationToken: cancellationToken)));
            }

            frontier = next;
        }

        return owners;
    }
}
