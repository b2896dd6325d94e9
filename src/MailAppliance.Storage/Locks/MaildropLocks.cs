using System.Collections.Concurrent;
using Dapper;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Locks;

/// <summary>
/// POP3 maildrop locks shared by every node: a row per locked maildrop naming its node, with a lease the node renews
/// (one statement for all its locks) while it lives. No connection is held while a session waits for its client, so
/// a thousand logged-in POP3 clients cost no pooled connections. A lock whose node is dead (its marker unlocked) is
/// taken over at once; one whose node is unreachable, when its lease runs out.
/// </summary>
/// <remarks>
/// A release is one DELETE; when it cannot be made (a slow or restarting database: it gives up after 5 s) the row
/// stays behind, naming this node, with a token no session holds. Such an orphan must not lock the user out: this
/// node renews only the tokens its sessions hold (renewing "every row of the node" kept an orphan alive for as long
/// as any other POP3 session was logged in) and takes its own orphans over at once. That relies on one instance per
/// node identity, as serve registers it.
/// </remarks>
public sealed class MaildropLocks : IMaildropLocks, IAsyncDisposable
{
    /// <summary>How long a lock outlives its node's last renewal.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    private readonly NpgsqlDataSource _db;
    private readonly NodeIdentity _node;
    private readonly string _dataDirectory;
    private readonly LeaseRenewer _renewer;
    private readonly ILogger _logger;

    /// <summary>The tokens of this node's sessions, each entered before its INSERT so that no acquire running beside
    /// it mistakes the row for an orphan.</summary>
    private readonly ConcurrentDictionary<Guid, long> _held = new();

    public MaildropLocks(StorageDatabase db, NodeIdentity node, string dataDirectory, TimeProvider time, ILogger<MaildropLocks> logger)
    {
        _db = db.Source;
        _node = node;
        _dataDirectory = dataDirectory;
        _logger = logger;
        _renewer = new LeaseRenewer(Lease, RenewAsync, time, logger);
    }

    public async Task<IAsyncDisposable?> TryAcquireAsync(long mailboxId, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        _held[token] = mailboxId;
        var taken = false;
        try
        {
            if (await TryInsertAsync(mailboxId, token, stale: null, cancellationToken))
            {
                taken = true;
                return new HeldLock(this, mailboxId, token);
            }

            // Held: by a live session, by a node that died (take it over now rather than a minute later), or by
            // nobody — this node's own row whose release never reached the database.
            await using var connection = await _db.OpenConnectionAsync(cancellationToken);
            var holder = await connection.QuerySingleOrDefaultAsync<(string Node, Guid Token)?>(new CommandDefinition(
                "SELECT node, token FROM maildrop_locks WHERE mailbox_id = @mailboxId", new { mailboxId }, cancellationToken: cancellationToken));
            var orphaned = holder is { } h && (h.Node == _node.Id ? !_held.ContainsKey(h.Token) : !NodeIdentity.IsAlive(_dataDirectory, h.Node));
            if (orphaned && await TryInsertAsync(mailboxId, token, holder!.Value.Token, cancellationToken))
            {
                taken = true;
                return new HeldLock(this, mailboxId, token);
            }

            return null;
        }
        finally
        {
            if (!taken)
            {
                _held.TryRemove(token, out _);
            }
        }
    }

    /// <summary>Inserts the lock row, or replaces one whose lease ran out or whose token is <paramref name="stale"/>
    /// (an orphan just found: the token makes the takeover exact, a row taken meanwhile by another is left alone).</summary>
    private async Task<bool> TryInsertAsync(long mailboxId, Guid token, Guid? stale, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var taken = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition("""
            INSERT INTO maildrop_locks (mailbox_id, node, token, expires_at) VALUES (@mailboxId, @node, @token, now() + @lease)
            ON CONFLICT (mailbox_id) DO UPDATE SET node = excluded.node, token = excluded.token, expires_at = excluded.expires_at
            WHERE maildrop_locks.expires_at < now() OR maildrop_locks.token = @stale
            RETURNING token
            """, new { mailboxId, node = _node.Id, token, lease = Lease, stale }, cancellationToken: cancellationToken));
        return taken == token;
    }

    private async Task ReleaseAsync(long mailboxId, Guid token)
    {
        // Forgotten first: should the DELETE fail, the row is an orphan this node takes over at the next login.
        _held.TryRemove(token, out _);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await using var connection = await _db.OpenConnectionAsync(timeout.Token);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM maildrop_locks WHERE mailbox_id = @mailboxId AND token = @token", new { mailboxId, token }, cancellationToken: timeout.Token));
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var tokens = _held.Keys.ToArray();
        if (tokens.Length == 0)
        {
            return;
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE maildrop_locks SET expires_at = now() + @lease WHERE node = @node AND token = ANY(@tokens)", new { node = _node.Id, lease = Lease, tokens }, cancellationToken: cancellationToken));
    }

    public ValueTask DisposeAsync() => _renewer.DisposeAsync();

    private sealed class HeldLock(MaildropLocks owner, long mailboxId, Guid token) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1)
            {
                return;
            }

            try
            {
                await owner.ReleaseAsync(mailboxId, token);
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e) || e is OperationCanceledException)
            {
                // The row stays, an orphan: this node takes it over at the maildrop's next login; a peer, once its
                // lease (no longer renewed) runs out.
                owner._logger.LogWarning(e, "Releasing the POP3 lock of mailbox {MailboxId} failed; it is taken over at the next login", mailboxId);
            }
        }
    }
}
