using Dapper;
using MailAppliance.Storage.Database;
using Npgsql;

namespace MailAppliance.Storage.Spam;

/// <summary>The level a spam setting or list entry applies at; narrower levels win.</summary>
public enum SpamScopeKind
{
    Global = 0,
    Domain = 1,
    User = 2,
}

/// <summary>A level and its name: "" for global, a domain's A-label, or a user's address key (all lower case).</summary>
public sealed record SpamScope(SpamScopeKind Kind, string Name)
{
    public static SpamScope Global { get; } = new(SpamScopeKind.Global, "");

    public static SpamScope ForDomain(string domain) => new(SpamScopeKind.Domain, domain.ToLowerInvariant());

    public static SpamScope ForUser(string addressKey) => new(SpamScopeKind.User, addressKey.ToLowerInvariant());

    public override string ToString() => Kind switch { SpamScopeKind.Global => "global", SpamScopeKind.Domain => "domain " + Name, _ => "user " + Name };
}

/// <summary>Which threshold: tag (X-Spam-Flag, Junk), reject (550 at DATA), discard-forward (forwards not relayed).</summary>
public enum SpamThresholdKind
{
    Tag,
    Reject,
    DiscardForward,
}

/// <summary>The thresholds set at one scope (null: not set there, the wider level applies).</summary>
public sealed record SpamThresholdRow(SpamScope Scope, double? Tag, double? Reject, double? DiscardForward);

/// <summary>An allow or block entry: an address (local@domain) or a domain (which also covers its subdomains).</summary>
public sealed record SpamListEntry(SpamScope Scope, string Entry, bool Allow);

/// <summary>Every setting and list entry that can apply to one recipient: global, their domain's, their own.</summary>
public sealed record SpamPolicyRows(IReadOnlyList<SpamThresholdRow> Thresholds, IReadOnlyList<SpamListEntry> Entries);

/// <summary>Where a scan reads the spam policy rows of its scopes.</summary>
public interface ISpamPolicySource
{
    Task<SpamPolicyRows> ReadAsync(IReadOnlyList<SpamScope> scopes, CancellationToken cancellationToken);
}

/// <summary>Spam thresholds and allow/block lists at global, domain and user level, in PostgreSQL.</summary>
public sealed class SpamSettingsStore(StorageDatabase database) : ISpamPolicySource
{
    private readonly NpgsqlDataSource db = database.Source;

    public async Task SetThresholdAsync(SpamScope scope, SpamThresholdKind kind, double value, CancellationToken cancellationToken)
    {
        var column = kind switch { SpamThresholdKind.Tag => "tag", SpamThresholdKind.Reject => "reject", _ => "discard_forward" };
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO spam_settings (scope_kind, scope, {column}) VALUES (@kind, @name, @value)
            ON CONFLICT (scope_kind, scope) DO UPDATE SET {column} = excluded.{column}, updated_at = now()
            """, new { kind = (short)scope.Kind, name = scope.Name, value }, cancellationToken: cancellationToken));
    }

    /// <summary>Unsets a threshold at one scope (the wider level's applies again); false when it was not set.</summary>
    public async Task<bool> ClearThresholdAsync(SpamScope scope, SpamThresholdKind kind, CancellationToken cancellationToken)
    {
        var column = kind switch { SpamThresholdKind.Tag => "tag", SpamThresholdKind.Reject => "reject", _ => "discard_forward" };
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE spam_settings SET {column} = NULL, updated_at = now() WHERE scope_kind = @kind AND scope = @name AND {column} IS NOT NULL",
            new { kind = (short)scope.Kind, name = scope.Name }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Adds an entry, or changes an existing entry of the same scope to this action.</summary>
    public async Task SetListEntryAsync(SpamScope scope, string entry, bool allow, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO spam_list_entries (scope_kind, scope, entry, action) VALUES (@kind, @name, @entry, @action)
            ON CONFLICT (scope_kind, scope, entry) DO UPDATE SET action = excluded.action
            """, new { kind = (short)scope.Kind, name = scope.Name, entry = entry.ToLowerInvariant(), action = allow ? "allow" : "block" }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes an entry; false when there was none.</summary>
    public async Task<bool> RemoveListEntryAsync(SpamScope scope, string entry, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM spam_list_entries WHERE scope_kind = @kind AND scope = @name AND entry = @entry",
            new { kind = (short)scope.Kind, name = scope.Name, entry = entry.ToLowerInvariant() }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>The rows of the given scopes (global, a domain, a user: whichever are given), in one round trip.</summary>
    public async Task<SpamPolicyRows> ReadAsync(IReadOnlyList<SpamScope> scopes, CancellationToken cancellationToken)
    {
        var kinds = scopes.Select(s => (short)s.Kind).ToArray();
        var names = scopes.Select(s => s.Name).ToArray();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        using var grid = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT s.scope_kind AS Kind, s.scope AS Name, tag AS Tag, reject AS Reject, discard_forward AS DiscardForward
            FROM spam_settings s JOIN unnest(@kinds::smallint[], @names::text[]) AS u (k, n) ON s.scope_kind = u.k AND s.scope = u.n;
            SELECT e.scope_kind AS Kind, e.scope AS Name, entry AS Entry, action = 'allow' AS Allow
            FROM spam_list_entries e JOIN unnest(@kinds::smallint[], @names::text[]) AS u (k, n) ON e.scope_kind = u.k AND e.scope = u.n
            ORDER BY e.scope_kind, e.entry;
            """, new { kinds, names }, cancellationToken: cancellationToken));
        var thresholds = (await grid.ReadAsync<ThresholdRow>()).Select(r => new SpamThresholdRow(new SpamScope((SpamScopeKind)r.Kind, r.Name), r.Tag, r.Reject, r.DiscardForward)).ToList();
        var entries = (await grid.ReadAsync<EntryRow>()).Select(r => new SpamListEntry(new SpamScope((SpamScopeKind)r.Kind, r.Name), r.Entry, r.Allow)).ToList();
        return new SpamPolicyRows(thresholds, entries);
    }

    private sealed record ThresholdRow(short Kind, string Name, double? Tag, double? Reject, double? DiscardForward);

    private sealed record EntryRow(short Kind, string Name, string Entry, bool Allow);
}
