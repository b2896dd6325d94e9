using MailAppliance.Storage.Database;
using System.Data;
using Dapper;
using MailAppliance.Core.Addresses;
using Npgsql;

namespace MailAppliance.Storage.Accounts;

/// <summary>
/// Domains, users and aliases in PostgreSQL. Every change runs in one transaction: a refused change writes nothing.
/// There is no catch-all: an address that is neither a user nor an alias does not exist.
/// </summary>
public sealed partial class AccountDirectory
{
    // Serialises alias edits (and user removal, which must see every alias) so loop checks see a stable graph.
    private const long AliasGraphLockKey = 0x4D41_0002;

    // Aliases may point at aliases; expansion stops this deep (loops are refused on write, this guards old data).
    private const int MaxAliasDepth = 20;

    private readonly NpgsqlDataSource _dataSource;

    public AccountDirectory(StorageDatabase database) => _dataSource = database.Source;

    public async Task AddDomainAsync(DomainName domain, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "INSERT INTO domains (name) VALUES (@name) ON CONFLICT (name) DO NOTHING RETURNING id",
            new { name = domain.Ascii }, cancellationToken: cancellationToken));
        if (id is null)
        {
            throw new DirectoryException(DirectoryError.DomainExists, $"domain {domain} already exists");
        }
    }

    public async Task RemoveDomainAsync(DomainName domain, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAliasGraphAsync(connection, transaction, cancellationToken);
        var id = await DomainIdAsync(connection, transaction, domain, forUpdate: true, cancellationToken)
            ?? throw new DirectoryException(DirectoryError.UnknownDomain, $"unknown domain {domain}");

        var counts = await connection.QuerySingleAsync<(long Users, long Aliases)>(new CommandDefinition(
            "SELECT count(*) FILTER (WHERE kind = 'user'), count(*) FILTER (WHERE kind = 'alias') FROM addresses WHERE domain_id = @id",
            new { id }, transaction, cancellationToken: cancellationToken));
        if (counts.Users + counts.Aliases > 0)
        {
            throw new DirectoryException(DirectoryError.DomainNotEmpty,
                $"domain {domain} still has {counts.Users} user(s) and {counts.Aliases} alias(es); remove them first");
        }

        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM domains WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DomainEntry>> ListDomainsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, long Users, long Aliases, DateTime CreatedAt)>(new CommandDefinition("""
            SELECT d.name, count(a.id) FILTER (WHERE a.kind = 'user'), count(a.id) FILTER (WHERE a.kind = 'alias'), d.created_at
            FROM domains d LEFT JOIN addresses a ON a.domain_id = d.id
            GROUP BY d.id ORDER BY d.name
            """, cancellationToken: cancellationToken));
        return rows.Select(r => new DomainEntry(r.Name, DomainName.Parse(r.Name).Unicode, r.Users, r.Aliases, ToOffset(r.CreatedAt))).ToList();
    }

    public async Task<long> AddUserAsync(MailAddress address, string? passwordHash, long? quotaBytes, CancellationToken cancellationToken = default) =>
        await AddUserAsync(address, passwordHash, quotaBytes, admin: false, cancellationToken);

    public async Task<long> AddUserAsync(MailAddress address, string? passwordHash, long? quotaBytes, bool admin, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var domainId = await DomainIdAsync(connection, transaction, address.Domain, forUpdate: false, cancellationToken)
            ?? throw new DirectoryException(DirectoryError.UnknownDomain, $"unknown domain {address.Domain} (add it with: domain add {address.Domain})");

        var id = await InsertAddressAsync(connection, transaction, domainId, address, "user", cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (address_id, password_hash, quota_bytes, admin) VALUES (@id, @passwordHash, @quotaBytes, @admin)",
            new { id, passwordHash, quotaBytes, admin }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task SetPasswordAsync(MailAddress address, string passwordHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users u SET password_hash = @passwordHash, updated_at = now()
            FROM addresses a WHERE a.id = u.address_id AND a.address_key = @key
            """, new { passwordHash, key = address.Key }, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");
        }
    }

    /// <summary>Makes the user an admin, or no longer one.</summary>
    public async Task SetAdminAsync(MailAddress address, bool admin, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users u SET admin = @admin, updated_at = now()
            FROM addresses a WHERE a.id = u.address_id AND a.address_key = @key
            """, new { admin, key = address.Key }, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");
        }
    }

    /// <summary>True when the user exists, is enabled and is an admin.</summary>
    public async Task<bool> IsAdminAsync(MailAddress address, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition("""
            SELECT u.admin AND u.enabled FROM addresses a JOIN users u ON u.address_id = a.id WHERE a.address_key = @key
            """, new { key = address.Key }, cancellationToken: cancellationToken)) ?? false;
    }

    /// <summary>Removes the account from the directory. Its maildir stays on disk (adding the user again adopts it).</summary>
    public async Task RemoveUserAsync(MailAddress address, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAliasGraphAsync(connection, transaction, cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM addresses WHERE address_key = @key AND kind = 'user' FOR UPDATE",
            new { key = address.Key }, transaction, cancellationToken: cancellationToken))
            ?? throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");

        await EnsureNotATargetAsync(connection, transaction, address, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM addresses WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<UserEntry>> ListUsersAsync(DomainName? domain = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserRow>(new CommandDefinition("""
            SELECT a.id AS Id, a.display AS Display, u.quota_bytes AS QuotaBytes, u.quota_messages AS QuotaMessages, u.enabled AS Enabled,
                   u.password_hash IS NOT NULL AS HasPassword, a.created_at AS CreatedAt, u.admin AS Admin
            FROM addresses a JOIN users u ON u.address_id = a.id JOIN domains d ON d.id = a.domain_id
            WHERE @domain::text IS NULL OR d.name = @domain
            ORDER BY d.name, a.address_key
            """, new { domain = domain?.Ascii }, cancellationToken: cancellationToken));
        return rows.Select(r => new UserEntry(r.Id, r.Display, r.QuotaBytes, r.QuotaMessages, r.Enabled, r.HasPassword, ToOffset(r.CreatedAt)) { Admin = r.Admin }).ToList();
    }

    /// <summary>The stored password hash of an enabled user, or null (unknown, disabled, or no password set).</summary>
    public async Task<(long UserId, string PasswordHash)?> FindLoginAsync(MailAddress address, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string? Hash)?>(new CommandDefinition("""
            SELECT a.id, u.password_hash FROM addresses a JOIN users u ON u.address_id = a.id
            WHERE a.address_key = @key AND u.enabled
            """, new { key = address.Key }, cancellationToken: cancellationToken));
        return row is { Hash: not null } found ? (found.Id, found.Hash) : null;
    }

    /// <summary>
    /// Creates the alias, or adds targets to an existing one. A target in a local domain must already exist
    /// (a user or an alias); anything else is an external address. A change that would close a loop is refused.
    /// </summary>
    public async Task AddAliasAsync(MailAddress alias, IReadOnlyList<MailAddress> targets, CancellationToken cancellationToken = default)
    {
        if (targets.Count == 0)
        {
            throw new DirectoryException(DirectoryError.InvalidAddress, "an alias needs at least one target");
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAliasGraphAsync(connection, transaction, cancellationToken);
        var domainId = await DomainIdAsync(connection, transaction, alias.Domain, forUpdate: false, cancellationToken)
            ?? throw new DirectoryException(DirectoryError.UnknownDomain, $"unknown domain {alias.Domain} (add it with: domain add {alias.Domain})");

        var existing = await connection.QuerySingleOrDefaultAsync<(long Id, string Kind)?>(new CommandDefinition(
            "SELECT id, kind FROM addresses WHERE address_key = @key", new { key = alias.Key }, transaction, cancellationToken: cancellationToken));
        if (existing is { Kind: "user" })
        {
            throw new DirectoryException(DirectoryError.AddressExists, $"{alias} is a user; an address is either a user or an alias");
        }

        foreach (var target in targets)
        {
            if (target.Key == alias.Key)
            {
                throw new DirectoryException(DirectoryError.AliasLoop, $"alias {alias} cannot point to itself");
            }

            if (await DomainIdAsync(connection, transaction, target.Domain, forUpdate: false, cancellationToken) is not null
                && await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "SELECT id FROM addresses WHERE address_key = @key", new { key = target.Key }, transaction, cancellationToken: cancellationToken)) is null)
            {
                throw new DirectoryException(DirectoryError.UnknownLocalTarget, $"target {target} is in a local domain but is neither a user nor an alias");
            }
        }

        var aliasId = existing?.Id ?? await InsertAddressAsync(connection, transaction, domainId, alias, "alias", cancellationToken);
        var position = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(position), 0) FROM alias_targets WHERE alias_id = @aliasId", new { aliasId }, transaction, cancellationToken: cancellationToken));
        foreach (var target in targets)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO alias_targets (alias_id, target, target_key, position) VALUES (@aliasId, @target, @targetKey, @position)
                ON CONFLICT (alias_id, target_key) DO NOTHING
                """, new { aliasId, target = target.ToString(), targetKey = target.Key, position = ++position }, transaction, cancellationToken: cancellationToken));
        }

        var loops = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            WITH RECURSIVE reach (key, depth) AS (
                SELECT t.target_key, 1 FROM alias_targets t WHERE t.alias_id = @aliasId
                UNION
                SELECT t.target_key, r.depth + 1
                FROM reach r
                JOIN addresses a ON a.address_key = r.key AND a.kind = 'alias'
                JOIN alias_targets t ON t.alias_id = a.id
                WHERE r.depth < @maxDepth
            )
            SELECT EXISTS (SELECT 1 FROM reach WHERE key = @key)
            """, new { aliasId, key = alias.Key, maxDepth = MaxAliasDepth }, transaction, cancellationToken: cancellationToken));
        if (loops)
        {
            throw new DirectoryException(DirectoryError.AliasLoop, $"alias {alias} would lead back to itself (alias loop)");
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Removes the whole alias, or (with targets) only those targets; the last target goes only with the alias.</summary>
    public async Task RemoveAliasAsync(MailAddress alias, IReadOnlyList<MailAddress> targets, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAliasGraphAsync(connection, transaction, cancellationToken);
        var aliasId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM addresses WHERE address_key = @key AND kind = 'alias' FOR UPDATE", new { key = alias.Key }, transaction, cancellationToken: cancellationToken))
            ?? throw new DirectoryException(DirectoryError.UnknownAlias, $"unknown alias {alias}");

        if (targets.Count == 0)
        {
            await EnsureNotATargetAsync(connection, transaction, alias, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM addresses WHERE id = @aliasId", new { aliasId }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            var current = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT target_key FROM alias_targets WHERE alias_id = @aliasId", new { aliasId }, transaction, cancellationToken: cancellationToken))).ToHashSet();
            foreach (var target in targets)
            {
                if (!current.Remove(target.Key))
                {
                    throw new DirectoryException(DirectoryError.UnknownAlias, $"alias {alias} has no target {target}");
                }
            }

            if (current.Count == 0)
            {
                throw new DirectoryException(DirectoryError.StillReferenced, $"that would leave alias {alias} with no target; remove the alias itself instead");
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM alias_targets WHERE alias_id = @aliasId AND target_key = ANY(@keys)",
                new { aliasId, keys = targets.Select(t => t.Key).ToArray() }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AliasEntry>> ListAliasesAsync(DomainName? domain = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Display, DateTime CreatedAt, string Target)>(new CommandDefinition("""
            SELECT a.display, a.created_at, t.target
            FROM addresses a JOIN domains d ON d.id = a.domain_id JOIN alias_targets t ON t.alias_id = a.id
            WHERE a.kind = 'alias' AND (@domain::text IS NULL OR d.name = @domain)
            ORDER BY d.name, a.address_key, t.position
            """, new { domain = domain?.Ascii }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.Display)
            .Select(g => new AliasEntry(g.Key, g.Select(r => r.Target).ToList(), ToOffset(g.First().CreatedAt)))
            .ToList();
    }

    /// <summary>What mail to this address reaches: local users and external addresses, aliases expanded.</summary>
    /// <remarks>
    /// Runs at every RCPT, so the common case (a user) is one round trip: the domain, the address and the user's
    /// forward are looked up in one statement. Nothing is locked: outside a transaction a row lock (FOR SHARE) would be released at the
    /// end of the statement anyway, and taking it costs a transaction id (and a MultiXact when sessions share it).
    /// </remarks>
    public async Task<Resolution> ResolveAsync(MailAddress address, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var first = await connection.QuerySingleAsync<AddressRow>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM domains WHERE name = @domain) AS DomainKnown,
                   a.id AS Id, a.kind AS Kind, a.display AS Display, u.quota_bytes AS QuotaBytes, u.quota_messages AS QuotaMessages,
                   u.enabled AS Enabled, coalesce(q.bytes, 0) AS UsedBytes, coalesce(q.messages, 0) AS UsedMessages,
                   f.targets AS ForwardTargets, f.keep AS ForwardKeep, f.paused_at IS NOT NULL AS ForwardPaused
            FROM (SELECT 1) AS one
            LEFT JOIN addresses a ON a.address_key = @key
            LEFT JOIN users u ON u.address_id = a.id
            LEFT JOIN quota_usage q ON q.user_id = a.id
            LEFT JOIN forwards f ON f.user_id = u.address_id
            """, new { domain = address.Domain.Ascii, key = address.Key }, cancellationToken: cancellationToken));
        if (!first.DomainKnown)
        {
            return new Resolution.NotLocal();
        }

        var users = new List<LocalUser>();
        var external = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { address.Key };
        var frontier = new List<(string Key, string Display)>();
        var found = false;
        if (first.Id is not null)
        {
            found = true;
            await ExpandAsync(connection, first, users, frontier, cancellationToken);
        }

        for (var depth = 1; depth <= MaxAliasDepth && frontier.Count > 0; depth++)
        {
            var next = new List<(string Key, string Display)>();
            foreach (var (key, display) in frontier)
            {
                if (!seen.Add(key))
                {
                    continue;
                }

                var entry = await connection.QuerySingleOrDefaultAsync<AddressRow>(new CommandDefinition("""
                    SELECT true AS DomainKnown, a.id AS Id, a.kind AS Kind, a.display AS Display, u.quota_bytes AS QuotaBytes,
                           u.quota_messages AS QuotaMessages, u.enabled AS Enabled, coalesce(q.bytes, 0) AS UsedBytes, coalesce(q.messages, 0) AS UsedMessages,
                           f.targets AS ForwardTargets, f.keep AS ForwardKeep, f.paused_at IS NOT NULL AS ForwardPaused
                    FROM addresses a LEFT JOIN users u ON u.address_id = a.id LEFT JOIN quota_usage q ON q.user_id = a.id
                    LEFT JOIN forwards f ON f.user_id = u.address_id
                    WHERE a.address_key = @key
                    """, new { key }, cancellationToken: cancellationToken));
                if (entry is null)
                {
                    // A target outside our domains is external; one inside that vanished is skipped rather than relayed.
                    if (MailAddress.TryParse(display, out var target, out _)
                        && await DomainIdAsync(connection, null, target.Domain, forUpdate: false, cancellationToken) is null)
                    {
                        external.Add(display);
                    }

                    continue;
                }

                found = true;
                await ExpandAsync(connection, entry, users, next, cancellationToken);
            }

            frontier = next;
        }

        return found && (users.Count > 0 || external.Count > 0) ? new Resolution.Recipients(users, external) : new Resolution.Unknown();
    }

    /// <summary>A user is a result; an alias adds its targets to the next level of the expansion.</summary>
    private static async Task ExpandAsync(NpgsqlConnection connection, AddressRow entry, List<LocalUser> users, List<(string Key, string Display)> next, CancellationToken cancellationToken)
    {
        if (entry.Kind == "user")
        {
            // A forward sends the user's mail on to its targets (local ones expand like alias targets, external ones
            // are forwarded with SRS); with keep, or while the forward is paused, the mailbox gets it too.
            // The forward came with the user's row (one round trip per RCPT).
            if (entry.ForwardTargets is { } forwardTargets && entry.ForwardPaused != true)
            {
                next.AddRange(forwardTargets.Select(t => (MailAddress.TryParse(t, out var a, out _) ? a.Key : t.ToLowerInvariant(), t)));
                if (entry.ForwardKeep != true)
                {
                    return;
                }
            }

            users.Add(new LocalUser(entry.Id!.Value, entry.Display!, entry.QuotaBytes, entry.QuotaMessages, entry.Enabled ?? true) { UsedBytes = entry.UsedBytes, UsedMessages = entry.UsedMessages });
            return;
        }

        var targets = await connection.QueryAsync<(string Target, string TargetKey)>(new CommandDefinition(
            "SELECT target, target_key FROM alias_targets WHERE alias_id = @id ORDER BY position", new { id = entry.Id }, cancellationToken: cancellationToken));
        next.AddRange(targets.Select(t => (t.TargetKey, t.Target)));
    }

    private static async Task LockAliasGraphAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_advisory_xact_lock({AliasGraphLockKey})", transaction: transaction, cancellationToken: cancellationToken));

    private static async Task<long?> DomainIdAsync(NpgsqlConnection connection, IDbTransaction? transaction, DomainName domain, bool forUpdate, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            // Without a transaction a row lock would end with the statement: only a transaction's lookups lock.
            transaction is null ? "SELECT id FROM domains WHERE name = @name"
                : forUpdate ? "SELECT id FROM domains WHERE name = @name FOR UPDATE" : "SELECT id FROM domains WHERE name = @name FOR SHARE",
            new { name = domain.Ascii }, transaction, cancellationToken: cancellationToken));

    private static async Task<long> InsertAddressAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long domainId, MailAddress address, string kind, CancellationToken cancellationToken)
    {
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO addresses (domain_id, local_part, address_key, display, kind) VALUES (@domainId, @localPart, @key, @display, @kind)
            ON CONFLICT (address_key) DO NOTHING RETURNING id
            """, new { domainId, localPart = address.LocalPart, key = address.Key, display = address.ToString(), kind }, transaction, cancellationToken: cancellationToken));
        if (id is null)
        {
            var existingKind = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT kind FROM addresses WHERE address_key = @key", new { key = address.Key }, transaction, cancellationToken: cancellationToken));
            throw new DirectoryException(DirectoryError.AddressExists, $"{address} already exists as {(existingKind == "alias" ? "an alias" : "a user")}");
        }

        return id.Value;
    }

    private static async Task EnsureNotATargetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, MailAddress address, CancellationToken cancellationToken)
    {
        var referrers = (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT a.display FROM alias_targets t JOIN addresses a ON a.id = t.alias_id WHERE t.target_key = @key ORDER BY a.address_key
            """, new { key = address.Key }, transaction, cancellationToken: cancellationToken))).ToList();
        if (referrers.Count > 0)
        {
            throw new DirectoryException(DirectoryError.StillReferenced,
                $"{address} is a target of alias {string.Join(", ", referrers)}; remove it from there first (alias remove ALIAS {address})");
        }
    }

    private static DateTimeOffset ToOffset(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>One address as <see cref="ResolveAsync"/> reads it; Id is null when the address does not exist.</summary>
    private sealed class AddressRow
    {
        public bool DomainKnown { get; init; }

        public long? Id { get; init; }

        public string? Kind { get; init; }

        public string? Display { get; init; }

        public long? QuotaBytes { get; init; }

        public long? QuotaMessages { get; init; }

        public bool? Enabled { get; init; }

        public long UsedBytes { get; init; }

        public long UsedMessages { get; init; }

        /// <summary>The user's forward's targets; null: no forward.</summary>
        public string[]? ForwardTargets { get; init; }

        public bool? ForwardKeep { get; init; }

        public bool? ForwardPaused { get; init; }
    }

    private sealed class UserRow
    {
        public long Id { get; init; }

        public string Display { get; init; } = "";

        public long? QuotaBytes { get; init; }

        public long? QuotaMessages { get; init; }

        public bool Enabled { get; init; }

        public bool HasPassword { get; init; }

        public DateTime CreatedAt { get; init; }

        public bool Admin { get; init; }
    }
}
