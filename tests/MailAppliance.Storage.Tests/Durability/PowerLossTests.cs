using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Storage.Tests.Durability;

/// <summary>
/// Power loss at every step. A SIGKILL cannot show that nothing is acknowledged before it is durable: the page cache
/// survives a killed process. Here the barrier stands in for the disk: what a sync call covers (the tree as it was
/// when the call was made) becomes "durable" when the call completes; at a chosen call the power fails, that call and
/// every later one fail, and the tree is put back to its last durable state, losing every write, rename and unlink
/// that was not synced. Then recovery runs on what is left, and every message that was acknowledged must be there,
/// whole.
/// </summary>
public sealed class PowerLossTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _db;

    public PowerLossTests(DatabaseFixture db) => _db = db;

    /// <summary>The disk as the barrier sees it: a snapshot per sync call, the last completed one durable.</summary>
    private sealed class PowerLossBarrier(string root, int failAt) : IFileSystemBarrier
    {
        private readonly object _gate = new();
        private Dictionary<string, byte[]> _durable = Snapshot(root);
        private long _durableCall;
        private int _calls;

        public bool PowerLost { get; private set; }

        public int Calls => _calls;

        public Task SyncAsync(IEnumerable<string> directories) => SyncAsync(root);

        public Task SyncAsync(string directory)
        {
            Dictionary<string, byte[]> state;
            long call;
            lock (_gate)
            {
                call = ++_calls;
                if (PowerLost || call >= failAt)
                {
                    PowerLost = true;
                    return Task.FromException(new IOException("power lost"));
                }

                state = Snapshot(root); // what this call covers: everything done before it
            }

            return Task.Run(() =>
            {
                lock (_gate)
                {
                    if (PowerLost)
                    {
                        throw new IOException("power lost");
                    }

                    if (call > _durableCall)
                    {
                        (_durable, _durableCall) = (state, call);
                    }
                }
            });
        }

        /// <summary>
        /// After the power comes back: the tree holds exactly what was durable, and no process that held a dot-lock
        /// then runs any more.
        /// </summary>
        public void Restore()
        {
            lock (_gate)
            {
                foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToList())
                {
                    if (!_durable.ContainsKey(Path.GetRelativePath(root, file)))
                    {
                        File.Delete(file);
                    }
                }

                foreach (var (path, content) in _durable)
                {
                    var full = Path.Combine(root, path);
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    File.WriteAllBytes(full, path.EndsWith(DotLock.Suffix, StringComparison.Ordinal) ? HolderGone(content) : content);
                }
            }
        }

        /// <summary>
        /// A dot-lock that a sync made durable while a delivery held it names that delivery's process: this test
        /// host, which keeps running, and in which the rebooted store runs too. Its lock would look held until the
        /// stale timeout. After a real power loss the holder is gone, and DotLock takes its lock over at once.
        /// </summary>
        private static byte[] HolderGone(byte[] content)
        {
            var ours = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}:");
            var text = Encoding.ASCII.GetString(content);
            // Above Linux's PID_MAX_LIMIT (2^22): no process has this pid.
            return text.StartsWith(ours, StringComparison.Ordinal)
                ? Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{int.MaxValue}:{text[ours.Length..]}"))
                : content;
        }

        private static Dictionary<string, byte[]> Snapshot(string root)
        {
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                try
                {
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    var content = new byte[stream.Length];
                    stream.ReadAtLeast(content, content.Length, throwOnEndOfStream: false);
                    files[Path.GetRelativePath(root, file)] = content;
                }
                catch (FileNotFoundException)
                {
                    // Renamed or removed while we looked: it is in the snapshot under its other name, or gone.
                }
                catch (IOException)
                {
                    // A node marker (locked by its live process): not mail.
                }
            }

            return files;
        }
    }

    private static SpoolEnvelope Envelope(MessageQueue queue, int i) => new()
    {
        QueueId = queue.NewQueueId(), ReceivedAt = DateTimeOffset.UtcNow, MailFrom = "sender@example.net", Recipients = [new SpoolRecipient($"r{i}@example.test")],
    };

    [Fact]
    public async Task No_submission_is_acknowledged_before_its_spool_file_is_durable_at_any_step()
    {
        const int Messages = 6;
        // A first run without a failure counts the steps; then the power fails at each of them in turn.
        var steps = 0;
        for (var run = 0; run == 0 || run <= steps; run++)
        {
            var failAt = run == 0 ? int.MaxValue : run;
            var root = TestDirectories.Create("power-spool");
            try
            {
                var barrier = new PowerLossBarrier(root, failAt);
                using var node = NodeIdentity.Register(Path.Combine(root, "data"));
                var spool = new MessageSpool(Path.Combine(root, "spool"), TimeProvider.System, SyncMode.SyncFs, barrier, node);
                await using var queue = new MessageQueue(_db.Database, spool, node, TimeProvider.System, NullLogger<MessageQueue>.Instance);
                var acknowledged = new ConcurrentDictionary<string, byte[]>();
                await Task.WhenAll(Enumerable.Range(0, Messages).Select(i => Task.Run(async () =>
                {
                    var body = RandomNumberGenerator.GetBytes(2000 + (i * 700));
                    var envelope = Envelope(queue, i);
                    var result = await queue.SubmitAsync(envelope, new MemoryStream(body), new SpoolVerdict { Score = i, Symbols = [new VerdictSymbol("N", i)] }, CancellationToken.None);
                    if (result.IsAccepted)
                    {
                        acknowledged[envelope.QueueId] = body;
                    }
                    else if (!barrier.PowerLost)
                    {
                        throw new InvalidOperationException("refused without a power loss", result.Error);
                    }
                })));

                if (!barrier.PowerLost)
                {
                    steps = barrier.Calls; // a run without a failure: how many steps there are to fail at
                    Assert.Equal(Messages, acknowledged.Count);
                    continue;
                }

                barrier.Restore();
                using var rebooted = NodeIdentity.Register(Path.Combine(root, "data"));
                var after = new MessageSpool(Path.Combine(root, "spool"), TimeProvider.System, SyncMode.SyncFs, new FileSystemBarrier(), rebooted);
                await using var recovered = new MessageQueue(_db.Database, after, rebooted, TimeProvider.System, NullLogger<MessageQueue>.Instance);
                await recovered.RecoverAsync(CancellationToken.None);
                foreach (var (queueId, body) in acknowledged)
                {
                    await using var message = recovered.Open(queueId);
                    Assert.True(message is not null, $"power lost at step {failAt}: {queueId} was acknowledged but is gone");
                    var copy = new MemoryStream();
                    await message.Message.CopyToAsync(copy);
                    Assert.Equal(body, copy.ToArray());
                    Assert.Single(message.Verdict.Symbols);
                }
            }
            finally
            {
                TestDirectories.Delete(root);
            }
        }

        Assert.True(steps >= 2, $"only {steps} sync steps seen");
    }

    [Fact]
    public async Task No_local_delivery_returns_before_its_message_file_is_durable_at_any_step()
    {
        var directory = new Storage.Accounts.AccountDirectory(_db.Database);
        var domain = $"p{Guid.NewGuid():N}"[..10] + ".test";
        await directory.AddDomainAsync(DomainName.Parse(domain));
        // A first run without a failure counts the steps; then the power fails at each of them in turn.
        var steps = 0;
        for (var run = 0; run == 0 || run <= steps; run++)
        {
            var failAt = run == 0 ? int.MaxValue : run;
            var root = TestDirectories.Create("power-store");
            try
            {
                var address = MailAddress.Parse($"u{failAt}@{domain}");
                var user = new MailUser(await directory.AddUserAsync(address, null, null), address);
                var barrier = new PowerLossBarrier(root, int.MaxValue);
                var store = new MailStore(_db.Database, new MailstoreOptions(root) { SyncMode = SyncMode.SyncFs, Barrier = barrier }, TimeProvider.System, NullLogger<MailStore>.Instance);
                await store.EnsureUserAsync(user, CancellationToken.None);
                var failing = new PowerLossBarrier(root, failAt);
                store = new MailStore(_db.Database, new MailstoreOptions(root) { SyncMode = SyncMode.SyncFs, Barrier = failing }, TimeProvider.System, NullLogger<MailStore>.Instance);

                var bodies = Enumerable.Range(0, 4)
                    .Select(i => Encoding.ASCII.GetBytes($"Subject: m{i}\r\nMessage-ID: <{i}@power>\r\n\r\n{Convert.ToBase64String(RandomNumberGenerator.GetBytes(900))}\r\n"))
                    .ToList();
                async Task DeliverAllAsync(MailStore into, ConcurrentDictionary<int, uint>? acknowledged) => await Task.WhenAll(bodies.Select((body, i) => Task.Run(async () =>
                {
                    try
                    {
                        var result = await into.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = $"power:{failAt}:{i}" }, new MemoryStream(body), CancellationToken.None);
                        acknowledged?.TryAdd(i, result.Uid);
                    }
                    catch (IOException)
                    {
                        // Not acknowledged: the queue tries again (below).
                    }
                })));

                var delivered = new ConcurrentDictionary<int, uint>();
                await DeliverAllAsync(store, delivered);
                if (!failing.PowerLost)
                {
                    steps = failing.Calls;
                    Assert.Equal(4, delivered.Count);
                    continue;
                }

                // The power comes back: recovery runs, and the queue retries what was not acknowledged, with the same
                // delivery keys. Whatever the step, every message ends up in the mailbox once, whole.
                failing.Restore();
                var after = new MailStore(_db.Database, new MailstoreOptions(root) { SyncMode = SyncMode.SyncFs, Barrier = new FileSystemBarrier() }, TimeProvider.System, NullLogger<MailStore>.Instance);
                await after.RecoverAsync(CancellationToken.None);
                await DeliverAllAsync(after, null);
                var inbox = (await after.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
                var stored = new List<(uint Uid, byte[] Bytes)>();
                foreach (var row in await after.ListMessagesAsync(inbox, CancellationToken.None))
                {
                    await using var stream = after.OpenMessage(inbox, row);
                    Assert.True(stream is not null, $"power lost at step {failAt}: uid {row.Uid} is listed but its file is gone");
                    var copy = new MemoryStream();
                    await stream.CopyToAsync(copy);
                    stored.Add((row.Uid, copy.ToArray()));
                }

                foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
                {
                    var copies = stored.Where(s => s.Bytes.AsSpan().SequenceEqual(body)).ToList();
                    Assert.True(copies.Count == 1, $"power lost at step {failAt}: message {i} (acknowledged: {delivered.ContainsKey(i)}) is in the mailbox {copies.Count} times");
                    if (delivered.TryGetValue(i, out var uid))
                    {
                        Assert.True(copies[0].Uid == uid, $"power lost at step {failAt}: message {i} was acknowledged with UID {uid}, has {copies[0].Uid} now");
                    }
                }
            }
            finally
            {
                TestDirectories.Delete(root);
            }
        }

        Assert.True(steps >= 2, $"only {steps} sync steps seen");
    }

    [Fact]
    public async Task A_uidlist_lock_on_disk_at_the_power_loss_does_not_block_the_mailbox_after_it()
    {
        var directory = new Storage.Accounts.AccountDirectory(_db.Database);
        var domain = $"p{Guid.NewGuid():N}"[..10] + ".test";
        await directory.AddDomainAsync(DomainName.Parse(domain));
        var address = MailAddress.Parse($"locked@{domain}");
        var user = new MailUser(await directory.AddUserAsync(address, null, null), address);
        var root = TestDirectories.Create("power-lock");
        try
        {
            var barrier = new PowerLossBarrier(root, int.MaxValue);
            var store = new MailStore(_db.Database, new MailstoreOptions(root) { SyncMode = SyncMode.SyncFs, Barrier = barrier }, TimeProvider.System, NullLogger<MailStore>.Instance);
            await store.EnsureUserAsync(user, CancellationToken.None);
            var inbox = (await store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;

            // A group appends to the uidlist while another delivery's sync covers the whole tree: the lock file is
            // durable. The power fails before the next sync.
            using (await UidListLock.AcquireAsync(inbox.FolderPath, new DotLockOptions(), TimeProvider.System, CancellationToken.None))
            {
                await barrier.SyncAsync(inbox.FolderPath);
            }

            barrier.Restore();
            Assert.True(File.Exists(UidListFile.PathIn(inbox.FolderPath) + DotLock.Suffix), "the lock file did not reach the disk");

            // Its holder did not survive the power loss: the lock is taken over at once, not after the stale timeout.
            var locks = new DotLockOptions { Timeout = TimeSpan.FromSeconds(5), RetryInterval = TimeSpan.FromMilliseconds(2) };
            var after = new MailStore(_db.Database, new MailstoreOptions(root) { SyncMode = SyncMode.SyncFs, Barrier = new FileSystemBarrier(), Locks = locks }, TimeProvider.System, NullLogger<MailStore>.Instance);
            await after.RecoverAsync(CancellationToken.None);
            var body = Encoding.ASCII.GetBytes("Subject: after\r\nMessage-ID: <after@power>\r\n\r\nhello\r\n");
            var result = await after.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(body), CancellationToken.None);
            Assert.Equal(DeliveryStatus.Delivered, result.Status);
        }
        finally
        {
            TestDirectories.Delete(root);
        }
    }
}
