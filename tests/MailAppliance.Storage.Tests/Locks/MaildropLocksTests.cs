using MailAppliance.Storage.Locks;
using MailAppliance.Storage.Nodes;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailAppliance.Storage.Tests.Locks;

/// <summary>POP3 maildrop locks as leases shared by every node (RFC 1939 §8: one session per maildrop).</summary>
public sealed class MaildropLocksTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly DatabaseFixture _db;
    private readonly string _data = TestDirectories.Create("locks");
    private readonly NodeIdentity _node;

    public MaildropLocksTests(DatabaseFixture db)
    {
        _db = db;
        _node = NodeIdentity.Register(_data);
    }

    private MaildropLocks Locks(NodeIdentity node, TimeProvider? time = null) => new(_db.Database, node, _data, time ?? TimeProvider.System, NullLogger<MaildropLocks>.Instance);

    /// <summary>What a release that never reached the database leaves (its DELETE timed out): a live lease naming
    /// this node, with a token no session of the node holds.</summary>
    private async Task LeaveOrphanAsync(long mailboxId, string node, string expiresIn = "60 seconds")
    {
        await using var insert = _db.DataSource.CreateCommand(
            $"INSERT INTO maildrop_locks (mailbox_id, node, token, expires_at) VALUES ({mailboxId}, '{node}', gen_random_uuid(), now() + interval '{expiresIn}')");
        await insert.ExecuteNonQueryAsync();
    }

    private async Task<DateTime?> ExpiresAtAsync(long mailboxId)
    {
        await using var select = _db.DataSource.CreateCommand($"SELECT expires_at FROM maildrop_locks WHERE mailbox_id = {mailboxId}");
        return await select.ExecuteScalarAsync() as DateTime?;
    }

    [Fact]
    public async Task A_held_maildrop_is_refused_to_a_second_session_until_released()
    {
        await using var locks = Locks(_node);
        var first = await locks.TryAcquireAsync(101, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await locks.TryAcquireAsync(101, CancellationToken.None));
        Assert.NotNull(await locks.TryAcquireAsync(102, CancellationToken.None));
        await first.DisposeAsync();
        Assert.NotNull(await locks.TryAcquireAsync(101, CancellationToken.None));
    }

    [Fact]
    public async Task A_live_peer_keeps_its_lock_and_a_dead_peers_lock_is_taken_over_at_once()
    {
        using var peer = NodeIdentity.Register(_data);
        await using var peerLocks = Locks(peer);
        await using var locks = Locks(_node);
        Assert.NotNull(await peerLocks.TryAcquireAsync(201, CancellationToken.None));
        Assert.Null(await locks.TryAcquireAsync(201, CancellationToken.None)); // the peer lives: its marker is locked

        peer.Dispose(); // as a killed process: the kernel drops the marker's lock (here: it is removed)
        Assert.NotNull(await locks.TryAcquireAsync(201, CancellationToken.None));
    }

    [Fact]
    public async Task A_lock_whose_lease_ran_out_is_taken_over()
    {
        await using var locks = Locks(_node);
        await using (var insert = _db.DataSource.CreateCommand(
            "INSERT INTO maildrop_locks (mailbox_id, node, token, expires_at) VALUES (301, 'elsewhere-1-abcdef', gen_random_uuid(), now() - interval '1 second')"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        Assert.NotNull(await locks.TryAcquireAsync(301, CancellationToken.None));
    }

    /// <summary>
    /// The POP3 login flake of the reliability battery: a session's release gave up (5 s) on a database slowed by the
    /// tests running beside, and the node then answered [IN-USE] to the maildrop's owner until the lease ran out.
    /// </summary>
    [Fact]
    public async Task A_lock_left_behind_by_a_failed_release_does_not_lock_the_owner_out()
    {
        await using var locks = Locks(_node);
        var other = await locks.TryAcquireAsync(401, CancellationToken.None); // another session of the node, logged in
        Assert.NotNull(other);
        await LeaveOrphanAsync(402, _node.Id);

        var next = await locks.TryAcquireAsync(402, CancellationToken.None);
        Assert.NotNull(next);
        Assert.Null(await locks.TryAcquireAsync(402, CancellationToken.None)); // taken over: now held, exclusively again
        await next.DisposeAsync();
        await other.DisposeAsync();
    }

    /// <summary>The node renews the leases its sessions hold, not every row naming it: an orphan runs out for peers too.</summary>
    [Fact]
    public async Task Renewal_extends_the_held_leases_only()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var locks = Locks(_node, time);
        var held = await locks.TryAcquireAsync(501, CancellationToken.None);
        Assert.NotNull(held);
        await LeaveOrphanAsync(502, _node.Id, "30 seconds");
        var heldUntil = await ExpiresAtAsync(501);
        var orphanUntil = await ExpiresAtAsync(502);

        // A renewal tick (every third of the lease); its UPDATE is seen when the held lease moves.
        time.Advance(MaildropLocks.Lease / 3);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (await ExpiresAtAsync(501) == heldUntil)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the held lease was never renewed");
        }

        Assert.Equal(orphanUntil, await ExpiresAtAsync(502));
        await held.DisposeAsync();
    }

    [Fact]
    public void A_node_is_alive_while_its_marker_is_locked()
    {
        using var other = NodeIdentity.Register(_data);
        Assert.True(NodeIdentity.IsAlive(_data, other.Id));
        Assert.True(NodeIdentity.IsAlive(_data, _node.Id));
        Assert.False(NodeIdentity.IsAlive(_data, "nobody-1-000000"));
        Assert.False(NodeIdentity.IsAlive(_data, "../../etc"));
        other.Dispose();
        Assert.False(NodeIdentity.IsAlive(_data, other.Id));

        // A killed process leaves its marker, unlocked: dead, and the marker goes.
        var left = Path.Combine(NodeIdentity.MarkerDirectory(_data), "killed-42-abcdef");
        File.WriteAllBytes(left, []);
        Assert.Equal(["killed-42-abcdef"], NodeIdentity.DeadNodes(_data));
        Assert.False(File.Exists(left));
    }

    public void Dispose()
    {
        _node.Dispose();
        TestDirectories.Delete(_data);
    }
}
