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
public sealed class MaildropLocks : IMaildropLocks, IAsyncDisposable
{
    /// <summary>How long a lock outlives its node's last renewal.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    private readonly NpgsqlDataSource _db;
    private readonly NodeIdentity _node;
    private readonly string _dataDirectory;
    private readonly LeaseRenewer _renewer;
    private int _held;

    public MaildropLocks(StorageDatabase db, NodeIdentity node, string dataDirectory, TimeProvider time, ILogger<MaildropLocks> logger)
    {
        _db = db.Source;
        _node = node;
        _dataDirectory = dataDirectory;
        _renewer = new LeaseRenewer(Lease, RenewAsync, time, logger);
    }

    public async Task<IAsyncDisposable?> TryAcquireAsync(long mailboxId, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        if (await TryInsertAsync(mailboxId, token, deadNode: null, cancellationToken))
        {
            return Held(mailboxId, token);
        }

        // Held: by a live session, or by a node that died (take it over now rather than a minute later).
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var holder = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT node FROM maildrop_locks WHERE mailbox_id = @mailboxId", new { mailboxId }, cancellationToken: cancellationToken));
        if (holder is not null && holder != _node.Id && !NodeIdentity.IsAlive(_dataDirectory, holder)
            && await TryInsertAsync(mailboxId, token, holder, cancellationToken))
        {
            return Held(mailboxId, token);
        }

        return null;
    }

    private async Task<bool> TryInsertAsync(long mailboxId, Guid token, string? deadNode, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var taken = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition("""
            INSERT INTO maildrop_locks (mailbox_id, node, token, expires_at) VALUES (@mailboxId, @node, @token, now() + @lease)
            ON CONFLICT (mailbox_id) DO UPDATE SET node = excluded.node, token = excluded.token, expires_at = excluded.expires_at
            WHERE maildrop_locks.expires_at < now() OR maildrop_locks.node = @deadNode
            RETURNING token
            """, new { mailboxId, node = _node.Id, token, lease = Lease, deadNode }, cancellationToken: cancellationToken));
        return taken == token;
    }

    private IAsyncDisposable Held(long mailboxId, Guid token)
    {
        Interlocked.Increment(ref _held);
        return new HeldLock(this, mailboxId, token);
    }

    private async Task ReleaseAsync(long mailboxId, Guid token)
    {
        Interlocked.Decrement(ref _held);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await using var connection = await _db.OpenConnectionAsync(timeout.Token);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM maildrop_locks WHERE mailbox_id = @mailboxId AND token = @token", new { mailboxId, token }, cancellationToken: timeout.Token));
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _held) == 0)
        {
            return;
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE maildrop_locks SET expires_at = now() + @lease WHERE node = @node", new { node = _node.Id, lease = Lease }, cancellationToken: cancellationToken));
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
                // The database is away: the lease runs out on its own (and a peer sees this node renew nothing for it).
            }
        }
    }
}
