using System.Text;
using MailAppliance.Storage.Durability;
using System.Security.Cryptography;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;

namespace MailAppliance.Storage.Tests.Spool;

public sealed class MessageSpoolTests : IDisposable
{
    private readonly string _root = TestDirectories.Create("spool");
    private readonly MessageSpool _spool;

    public MessageSpoolTests() => _spool = new MessageSpool(Path.Combine(_root, "spool"), TimeProvider.System);

    public void Dispose() => TestDirectories.Delete(_root);

    private SpoolEnvelope Envelope(params string[] recipients) => new()
    {
        QueueId = _spool.NewQueueId(),
        ReceivedAt = DateTimeOffset.UtcNow,
        MailFrom = "sender@example.net",
        Recipients = [.. recipients.Select(r => new SpoolRecipient(r))],
        ClientAddress = "192.0.2.1",
        Helo = "client.example\r\nInjected: header",
        Tls = "TLSv1.3",
        SmtpUtf8 = true,
        Body = "8BITMIME",
    };

    [Fact]
    public async Task A_committed_message_reads_back_with_its_envelope_and_exact_bytes()
    {
        var message = RandomNumberGenerator.GetBytes(300_000);
        var envelope = Envelope("a@example.test", "b@example.test");
        await using (var writer = await _spool.BeginAsync(envelope, CancellationToken.None))
        {
            await writer.Body.WriteAsync(message);
            await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
        }

        Assert.Equal([envelope.QueueId], _spool.List());
        Assert.Empty(Directory.GetFiles(_spool.TmpDirectory));
        var (read, _, stream) = _spool.Open(envelope.QueueId)!;
        await using (stream)
        {
            Assert.Equal(envelope.Recipients, read.Recipients);
            Assert.Equal(["a@example.test", "b@example.test"], read.Recipients.Select(r => r.Address));
            Assert.Equal("sender@example.net", read.MailFrom);
            Assert.Equal("client.example  Injected: header", read.Helo); // no header injection through the envelope
            Assert.True(read.SmtpUtf8);
            Assert.Equal("8BITMIME", read.Body);
            Assert.Equal(message.Length, stream.Length);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(message, copy.ToArray());
        }
    }

    [Fact]
    public async Task The_verdict_and_the_DSN_parameters_are_kept_with_the_message_and_the_message_ends_where_it_ended()
    {
        var message = RandomNumberGenerator.GetBytes(5000);
        var envelope = Envelope("a@example.test") with
        {
            Recipients = [new SpoolRecipient("a@example.test", "SUCCESS,DELAY", "rfc822;a+40example.test"), new SpoolRecipient("b@example.test", "NEVER")],
            Ret = "HDRS",
            EnvelopeId = "QQ314159",
            RequireTls = true,
        };
        var verdict = new SpoolVerdict
        {
            Score = 3.5,
            Symbols = [new VerdictSymbol("MISSING_DATE", 1.0), new VerdictSymbol("HELO_NOT_FQDN", 2.5)],
            Headers = ["X-Test: one", "Authentication-Results: mx.example.test;\r\n\tspf=pass smtp.mailfrom=example.net"],
        };
        await using (var writer = await _spool.BeginAsync(envelope, CancellationToken.None))
        {
            await writer.Body.WriteAsync(message);
            await using (var view = await writer.OpenWrittenAsync(CancellationToken.None))
            {
                var seen = new MemoryStream();
                await view.CopyToAsync(seen);
                Assert.Equal(message, seen.ToArray()); // what the checks read before the 250
            }

            await writer.CommitAsync(verdict, CancellationToken.None);
        }

        await using var opened = _spool.Open(envelope.QueueId)!;
        Assert.Equal(envelope.Recipients, opened.Envelope.Recipients);
        Assert.Equal("HDRS", opened.Envelope.Ret);
        Assert.Equal("QQ314159", opened.Envelope.EnvelopeId);
        Assert.True(opened.Envelope.RequireTls); // RFC 8689 §4.1: the message stays tagged for REQUIRETLS
        Assert.Equal(3.5, opened.Verdict.Score);
        Assert.Equal(verdict.Symbols, opened.Verdict.Symbols);
        Assert.Equal(verdict.Headers, opened.Verdict.Headers);
        Assert.Equal(message.Length, opened.Message.Length);
        var copy = new MemoryStream();
        await opened.Message.CopyToAsync(copy);
        Assert.Equal(message, copy.ToArray()); // the trailer is not part of the message
    }

    [Theory]
    [InlineData(1_000, true)]
    [InlineData(SpoolWriter.MirrorLimit, true)]
    [InlineData(SpoolWriter.MirrorLimit + 1, false)]
    [InlineData(300_000, false)]
    public async Task The_checks_read_a_small_message_from_memory_and_a_large_one_from_the_file_and_both_see_every_octet(int size, bool fromMemory)
    {
        var message = RandomNumberGenerator.GetBytes(size);
        var envelope = Envelope("a@example.test");
        await using var writer = await _spool.BeginAsync(envelope, CancellationToken.None);
        // Written in uneven pieces, as DATA and BDAT write it: the copy in memory grows, or is dropped on the way.
        for (var at = 0; at < size; at += 7_001)
        {
            await writer.Body.WriteAsync(message.AsMemory(at, Math.Min(7_001, size - at)));
        }

        await using (var view = await writer.OpenWrittenAsync(CancellationToken.None))
        {
            Assert.Equal(size, view.Length);
            var seen = new MemoryStream();
            await view.CopyToAsync(seen);
            Assert.Equal(message, seen.ToArray());
        }

        // A small message was never read back from the file: emptied under it, the checks still see the message.
        var file = Directory.GetFiles(_spool.TmpDirectory).Single();
        await writer.Body.FlushAsync();
        File.WriteAllBytes(file, []);
        await using (var again = await writer.OpenWrittenAsync(CancellationToken.None))
        {
            var seen = new MemoryStream();
            await again.CopyToAsync(seen);
            Assert.Equal(fromMemory ? size : 0, seen.Length);
        }
    }

    [Fact]
    public async Task Per_recipient_verdicts_removed_ranges_and_the_insertion_point_survive_the_spool_and_shape_the_delivered_message()
    {
        var message = Encoding.ASCII.GetBytes("Received: from x\r\nAuthentication-Results: mx.example.test; spf=pass\r\nSubject: s\r\n\r\nbody\r\n");
        var receivedLength = "Received: from x\r\n".Length;
        var forged = new MessageRange(receivedLength, "Authentication-Results: mx.example.test; spf=pass\r\n".Length);
        var envelope = Envelope("a@example.test") with { Recipients = [new SpoolRecipient("a@example.test"), new SpoolRecipient("b@example.test")] };
        var verdict = new SpoolVerdict
        {
            Score = 7,
            Headers = ["Authentication-Results: mx.example.test; spf=none"],
            HeadersAt = receivedLength,
            Removed = [forged],
            Recipients =
            [
                new RecipientVerdict("a@example.test", 7.25, true, 1.0, ["X-Spam-Flag: YES", "X-Spam-Status: Yes, score=7.3 required=5.0 tests=A,\r\n\tB"]),
                new RecipientVerdict("B@example.test", -0.5, false, null, []),
            ],
        };
        await using (var writer = await _spool.BeginAsync(envelope, CancellationToken.None))
        {
            await writer.Body.WriteAsync(message);
            await writer.CommitAsync(verdict, CancellationToken.None);
        }

        await using var opened = _spool.Open(envelope.QueueId)!;
        Assert.Equal(receivedLength, opened.Verdict.HeadersAt);
        Assert.Equal([forged], opened.Verdict.Removed);
        Assert.Equal(verdict.Recipients[0].Headers, opened.Verdict.For("A@example.test")!.Headers);
        Assert.Equal((7.25, true, (double?)1.0), (opened.Verdict.For("a@example.test")!.Score, opened.Verdict.For("a@example.test")!.Junk, opened.Verdict.For("a@example.test")!.DiscardForwardThreshold));
        Assert.Equal((-0.5, false, (double?)null), (opened.Verdict.For("b@example.test")!.Score, opened.Verdict.For("b@example.test")!.Junk, opened.Verdict.For("b@example.test")!.DiscardForwardThreshold));
        Assert.Null(opened.Verdict.For("c@example.test"));

        // Composed twice from the one shared message stream: prefix, Received, the added fields, the rest without the forged field.
        for (var round = 0; round < 2; round++)
        {
            using var composed = opened.Compose(Encoding.ASCII.GetBytes("Return-Path: <s@example.net>\r\n"), Encoding.ASCII.GetBytes("Authentication-Results: mx.example.test; spf=none\r\n"));
            var expected = "Return-Path: <s@example.net>\r\nReceived: from x\r\nAuthentication-Results: mx.example.test; spf=none\r\nSubject: s\r\n\r\nbody\r\n";
            Assert.Equal(expected.Length, composed.Length);
            var copy = new MemoryStream();
            var buffer = new byte[7]; // small reads cross every piece boundary
            int n;
            while ((n = await composed.ReadAsync(buffer)) > 0)
            {
                copy.Write(buffer, 0, n);
            }

            Assert.Equal(expected, Encoding.ASCII.GetString(copy.ToArray()));
            composed.Position = expected.IndexOf("Subject", StringComparison.Ordinal);
            Assert.Equal((byte)'S', (byte)composed.ReadByte());
        }
    }

    [Fact]
    public async Task A_spool_file_whose_trailer_is_damaged_is_not_read_as_a_message()
    {
        var queueId = await CommitAsync(_spool, RandomNumberGenerator.GetBytes(100));
        await using (var file = new FileStream(_spool.PathOf(queueId), FileMode.Open))
        {
            file.SetLength(file.Length - 3); // a torn write at the end
        }

        Assert.Null(_spool.Open(queueId));
    }

    /// <summary>Counts the flushes asked of the file system; each completes at once (the page cache is the disk here).</summary>
    private sealed class CountingBarrier : IFileSystemBarrier
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task SyncAsync(string directory)
        {
            Interlocked.Increment(ref _calls);
            return Task.CompletedTask;
        }

        public Task SyncAsync(IEnumerable<string> directories) => SyncAsync("");
    }

    [Fact]
    public async Task A_message_is_sealed_with_one_flush_of_the_file_system_for_its_bytes_and_its_rename_together()
    {
        var barrier = new CountingBarrier();
        var spool = new MessageSpool(Path.Combine(_root, "one-flush"), TimeProvider.System, SyncMode.SyncFs, barrier);
        var queueId = await CommitAsync(spool, RandomNumberGenerator.GetBytes(2000));

        Assert.Equal(1, barrier.Calls); // it was two, one after the other: the bytes, then the rename
        Assert.NotNull(spool.Open(queueId));
    }

    [Fact]
    public async Task A_spool_file_whose_rename_outlived_a_power_loss_but_whose_end_did_not_is_not_read_as_a_message()
    {
        // With one flush for bytes and rename, a power loss may keep the name without the last blocks: they read as
        // zeros (or as nothing). Such a file never had its 250; it must never be taken for a message either.
        var queueId = await CommitAsync(_spool, RandomNumberGenerator.GetBytes(10_000));
        var length = new FileInfo(_spool.PathOf(queueId)).Length;
        await using (var file = new FileStream(_spool.PathOf(queueId), FileMode.Open))
        {
            file.Position = length - 4096;
            file.Write(new byte[4096]);
        }

        Assert.Null(_spool.Open(queueId));
    }

    [Fact]
    public async Task A_version_1_spool_file_is_still_read()
    {
        var queueId = _spool.NewQueueId();
        await File.WriteAllTextAsync(_spool.PathOf(queueId),
            $"MailAppliance-Spool: 1\nQueue-Id: {queueId}\nReceived-At: 2026-11-30T10:00:00.0000000Z\nMail-From: s@example.net\nRcpt-To: a@example.test\nBody: 7BIT\n\nSubject: old\r\n\r\nbody\r\n");
        await using var opened = _spool.Open(queueId)!;
        Assert.Equal("a@example.test", Assert.Single(opened.Envelope.Recipients).Address);
        Assert.Same(SpoolVerdict.None, opened.Verdict);
        Assert.Equal("Subject: old\r\n\r\nbody\r\n".Length, opened.Message.Length);
    }

    [Fact]
    public async Task Start_up_leaves_a_live_peers_message_in_progress_and_removes_a_dead_ones()
    {
        var data = Path.Combine(_root, "nodes-data");
        using var me = MailAppliance.Storage.Nodes.NodeIdentity.Register(data);
        using var peer = MailAppliance.Storage.Nodes.NodeIdentity.Register(data);
        var dead = MailAppliance.Storage.Nodes.NodeIdentity.Register(data);
        var spoolDir = Path.Combine(_root, "shared-spool");
        var peerWriter = await new MessageSpool(spoolDir, TimeProvider.System, node: peer).BeginAsync(Envelope("a@example.test"), CancellationToken.None);
        await peerWriter.Body.FlushAsync();
        var deadWriter = await new MessageSpool(spoolDir, TimeProvider.System, node: dead).BeginAsync(Envelope("b@example.test"), CancellationToken.None);
        await deadWriter.Body.FlushAsync();
        dead.Dispose(); // the process is gone

        Assert.Equal(1, new MessageSpool(spoolDir, TimeProvider.System, node: me).DeleteUncommitted());
        var left = Assert.Single(Directory.GetFiles(Path.Combine(spoolDir, "tmp")));
        Assert.StartsWith(peer.Id + ".", Path.GetFileName(left), StringComparison.Ordinal);
        await peerWriter.DisposeAsync();
        await deadWriter.DisposeAsync();
    }

    [Theory]
    [InlineData(SyncMode.SyncFs)]
    [InlineData(SyncMode.Fsync)]
    public async Task Messages_committed_at_the_same_time_are_each_sealed_with_their_own_bytes(SyncMode mode)
    {
        var spool = new MessageSpool(_spool.Directory, TimeProvider.System, mode);
        var messages = Enumerable.Range(0, 48).Select(_ => (Envelope: Envelope("a@example.test"), Bytes: RandomNumberGenerator.GetBytes(1500))).ToList();

        await Task.WhenAll(messages.Select(m => Task.Run(async () =>
        {
            await using var writer = await spool.BeginAsync(m.Envelope, CancellationToken.None);
            await writer.Body.WriteAsync(m.Bytes);
            await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
        })));

        Assert.Equal(messages.Select(m => m.Envelope.QueueId).Order(StringComparer.Ordinal), _spool.List());
        Assert.Empty(Directory.GetFiles(_spool.TmpDirectory));
        foreach (var (envelope, bytes) in messages)
        {
            var (_, _, stream) = _spool.Open(envelope.QueueId)!;
            await using (stream)
            {
                var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                Assert.Equal(bytes, copy.ToArray());
            }
        }

        foreach (var (envelope, _) in messages)
        {
            _spool.Delete(envelope.QueueId);
        }

        Assert.Empty(_spool.List());
    }

    [Fact]
    public async Task The_null_sender_survives_the_round_trip()
    {
        var envelope = Envelope("a@example.test") with { MailFrom = "" };
        await using (var writer = await _spool.BeginAsync(envelope, CancellationToken.None))
        {
            await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
        }

        await using var opened = _spool.Open(envelope.QueueId)!;
        Assert.Equal("", opened.Envelope.MailFrom);
    }

    [Fact]
    public async Task An_aborted_message_leaves_nothing()
    {
        await using (var writer = await _spool.BeginAsync(Envelope("a@example.test"), CancellationToken.None))
        {
            await writer.Body.WriteAsync(new byte[1000]);
        }

        Assert.Empty(_spool.List());
        Assert.Empty(Directory.GetFiles(_spool.TmpDirectory));
    }

    [Fact]
    public async Task Start_up_removes_messages_that_never_got_their_250()
    {
        var writer = await _spool.BeginAsync(Envelope("a@example.test"), CancellationToken.None);
        await writer.Body.WriteAsync(new byte[10]);
        await writer.Body.FlushAsync(); // the process dies here: no commit, no dispose
        Assert.Equal(1, new MessageSpool(_spool.Directory, TimeProvider.System).DeleteUncommitted());
        Assert.Empty(_spool.List());
    }

    [Fact]
    public async Task Many_concurrent_commits_share_directory_fsyncs_and_all_are_durable()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var envelope = Envelope($"r{i}@example.test");
            await using var writer = await _spool.BeginAsync(envelope, CancellationToken.None);
            await writer.Body.WriteAsync(new byte[512]);
            await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
            return envelope.QueueId;
        })));

        Assert.Equal(ids.Order(StringComparer.Ordinal), _spool.List());
        Assert.Equal(200, ids.Distinct().Count());
    }

    [Fact]
    public void Queue_ids_are_unique_and_sort_by_time()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => _spool.NewQueueId()).ToList();
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{16}$", id));
        var later = new MessageSpool(_spool.Directory, new ShiftedTime(TimeSpan.FromSeconds(2))).NewQueueId();
        Assert.True(string.CompareOrdinal(later, ids.Max()) > 0);
    }

    [Fact]
    public async Task Deleting_a_settled_message_removes_its_file()
    {
        var envelope = Envelope("a@example.test");
        await using (var writer = await _spool.BeginAsync(envelope, CancellationToken.None))
        {
            await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
        }

        _spool.Delete(envelope.QueueId);
        Assert.Empty(_spool.List());
        Assert.Null(_spool.Open(envelope.QueueId));
    }

    private async Task<string> CommitAsync(MessageSpool spool, byte[] message)
    {
        var envelope = Envelope("a@example.test");
        envelope = envelope with { QueueId = spool.NewQueueId() };
        await using var writer = await spool.BeginAsync(envelope, CancellationToken.None);
        await writer.Body.WriteAsync(message);
        await writer.CommitAsync(SpoolVerdict.None, CancellationToken.None);
        return envelope.QueueId;
    }

    private static async Task<byte[]> ReadAsync(MessageSpool spool, string queueId)
    {
        var (_, _, stream) = spool.Open(queueId)!;
        await using (stream)
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public async Task A_settled_small_message_leaves_its_file_for_the_next_one_which_holds_only_its_own_bytes()
    {
        var first = await CommitAsync(_spool, RandomNumberGenerator.GetBytes(20_000));
        _spool.Delete(first);
        Assert.Empty(_spool.List());
        Assert.Null(_spool.Open(first));
        Assert.Equal(1, _spool.FreeFiles);
        Assert.Single(Directory.GetFiles(_spool.FreeDirectory));

        var shorter = RandomNumberGenerator.GetBytes(700);
        var second = await CommitAsync(_spool, shorter);
        Assert.Equal(0, _spool.FreeFiles);
        Assert.Empty(Directory.GetFiles(_spool.FreeDirectory)); // written over, not a new file
        Assert.Equal(shorter, await ReadAsync(_spool, second)); // nothing of the longer first message is left
        Assert.Equal([second], _spool.List());
    }

    [Fact]
    public async Task A_freed_file_keeps_no_bytes_of_the_delivered_message()
    {
        _spool.Delete(await CommitAsync(_spool, RandomNumberGenerator.GetBytes(5000)));
        Assert.Equal(0, new FileInfo(Assert.Single(Directory.GetFiles(_spool.FreeDirectory))).Length);
    }

    [Fact]
    public async Task With_per_file_fsyncs_files_are_not_recycled()
    {
        // Only the barrier makes the renames in spool/free and spool/tmp durable with those in spool/.
        var spool = new MessageSpool(Path.Combine(_root, "fsync-spool"), TimeProvider.System, SyncMode.Fsync);
        spool.Delete(await CommitAsync(spool, RandomNumberGenerator.GetBytes(100)));
        Assert.Equal(0, spool.FreeFiles);
        Assert.Empty(Directory.GetFiles(spool.FreeDirectory));
    }

    [Fact]
    public async Task A_file_holding_another_messages_bytes_is_never_read_as_this_message()
    {
        var queueId = await CommitAsync(_spool, RandomNumberGenerator.GetBytes(100));
        var other = _spool.NewQueueId();
        File.Move(_spool.PathOf(queueId), _spool.PathOf(other));
        Assert.Null(_spool.Open(other));
    }

    [Fact]
    public async Task Large_messages_and_removals_by_the_administrator_are_unlinked_not_kept()
    {
        var large = await CommitAsync(_spool, RandomNumberGenerator.GetBytes((int)MessageSpool.MaxRecycledSize + 1));
        _spool.Delete(large);
        var removed = await CommitAsync(_spool, RandomNumberGenerator.GetBytes(100));
        _spool.Delete(removed, recycle: false);

        Assert.Empty(_spool.List());
        Assert.Equal(0, _spool.FreeFiles);
        Assert.Empty(Directory.GetFiles(_spool.FreeDirectory));
    }

    [Fact]
    public async Task Free_files_left_by_the_last_run_are_reused_after_a_restart()
    {
        var settled = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            settled.Add(await CommitAsync(_spool, RandomNumberGenerator.GetBytes(1000)));
        }

        settled.ForEach(id => _spool.Delete(id));

        var restarted = new MessageSpool(_spool.Directory, TimeProvider.System);
        Assert.Equal(3, restarted.AdoptFreeFiles());
        var message = RandomNumberGenerator.GetBytes(10);
        var queueId = await CommitAsync(restarted, message);
        Assert.Equal(2, Directory.GetFiles(restarted.FreeDirectory).Length);
        Assert.Equal(message, await ReadAsync(restarted, queueId));
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
