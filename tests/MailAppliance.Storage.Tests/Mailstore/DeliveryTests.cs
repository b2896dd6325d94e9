using MailAppliance.Storage.Durability;
using System.Security.Cryptography;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

public sealed class DeliveryTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<DeliveryResult> Deliver(MailUser user, byte[] message, string? key = null, MailStore? store = null) =>
        await (store ?? _f.Store).DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = key }, new MemoryStream(message), CancellationToken.None);

    [Fact]
    public async Task A_first_delivery_creates_the_maildir_and_stores_the_bytes_unchanged()
    {
        var user = await _f.UserAsync("alice@example.test");
        var message = MailstoreFixture.Message("hello", 5000);
        var result = await Deliver(user, message);

        Assert.Equal(DeliveryStatus.Delivered, result.Status);
        Assert.Equal(1u, result.Uid);
        var root = _f.Store.RootOf(user);
        Assert.Equal(Path.Combine(_f.DataDirectory, "mail", "example.test", "alice", "Maildir"), root.Path);
        foreach (var folder in new[] { "Sent", "Drafts", "Junk", "Trash" })
        {
            Assert.True(new MaildirFolder(Path.Combine(root.Path, "." + folder)).Exists, folder);
        }

        var file = Assert.Single(Directory.GetFiles(root.Inbox.NewPath));
        Assert.Equal(SHA256.HashData(message), SHA256.HashData(await File.ReadAllBytesAsync(file)));
        Assert.Empty(Directory.GetFiles(root.Inbox.TmpPath));

        var list = UidListFile.Read(root.Inbox.Path).Value;
        Assert.Equal(result.UidValidity, list.UidValidity);
        Assert.Equal(Path.GetFileName(file), Assert.Single(list.Records).BaseName);

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var row = Assert.Single(await _f.Store.ListMessagesAsync(inbox, CancellationToken.None));
        Assert.Equal(1u, row.Uid);
        Assert.Equal(message.Length, row.Size);
        Assert.Equal(message.Length, row.CrlfSize);
        Assert.Equal(2u, inbox.UidNext);
        await using var stream = _f.Store.OpenMessage(inbox, row)!;
        Assert.Equal(message.Length, stream.Length);
    }

    [Fact]
    public async Task The_index_caches_envelope_structure_and_full_text()
    {
        var user = await _f.UserAsync("bob@example.test");
        await Deliver(user, MailstoreFixture.Message("Quarterly report"));
        await using var command = _f.DataSource.CreateCommand("""
            SELECT convert_from(envelope, 'LATIN1'), convert_from(bodystructure, 'LATIN1'), search @@ to_tsquery('simple', 'quarterly & fox')
            FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.user_id = $1
            """);
        command.Parameters.AddWithValue(user.Id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Contains("\"Quarterly report\"", reader.GetString(0), StringComparison.Ordinal);
        Assert.StartsWith("(\"text\" \"plain\"", reader.GetString(1), StringComparison.OrdinalIgnoreCase);
        Assert.True(reader.GetBoolean(2));
    }

    [Theory]
    [InlineData(SyncMode.SyncFs)]
    [InlineData(SyncMode.Fsync)]
    public async Task Eight_concurrent_deliverers_get_strictly_increasing_unique_uids(SyncMode mode)
    {
        var user = await _f.UserAsync($"carol-{mode}@example.test");
        await _f.Store.EnsureUserAsync(user, CancellationToken.None);
        var barrier = new FileSystemBarrier(); // one per process, shared by every store of that process
        var stores = Enumerable.Range(0, 8).Select(_ => _f.NewStore(options: new MailstoreOptions(_f.DataDirectory) { SyncMode = mode, Barrier = barrier })).ToList();
        var results = await Task.WhenAll(stores.Select((store, worker) => Task.Run(async () =>
        {
            var uids = new List<uint>();
            for (var i = 0; i < 15; i++)
            {
                uids.Add((await Deliver(user, MailstoreFixture.Message($"w{worker} m{i}"), store: store)).Uid);
            }

            return uids;
        })));

        foreach (var perWorker in results)
        {
            Assert.Equal(perWorker.Order(), perWorker); // each deliverer sees its UIDs rise
        }

        var all = results.SelectMany(r => r).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (uint)i), all);

        var root = _f.Store.RootOf(user);
        var list = UidListFile.Read(root.Inbox.Path).Value;
        Assert.Equal(all, list.Records.Select(r => r.Uid));
        Assert.Equal(120, Directory.GetFiles(root.Inbox.NewPath).Length);
        Assert.Equal(121u, list.NextUid);
        if (mode == SyncMode.SyncFs)
        {
            Assert.True(barrier.Flushes > 0); // durable by the shared syncfs
        }
    }

    [Fact]
    public async Task A_retried_delivery_with_the_same_key_is_not_stored_twice()
    {
        var user = await _f.UserAsync("dave@example.test");
        var message = MailstoreFixture.Message("once");
        var first = await Deliver(user, message, key: "Q1:dave@example.test");
        var again = await Deliver(user, message, key: "Q1:dave@example.test");
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Deliver(user, message, key: "Q2:dave@example.test", store: _f.NewStore())));

        Assert.Equal(DeliveryStatus.Delivered, first.Status);
        Assert.Equal(DeliveryStatus.AlreadyDelivered, again.Status);
        Assert.Equal(first.Uid, again.Uid);
        Assert.Single(concurrent, r => r.Status == DeliveryStatus.Delivered);
        Assert.Equal(2, Directory.GetFiles(_f.Store.RootOf(user).Inbox.NewPath).Length);
    }

    [Fact]
    public async Task Quota_is_exact_under_concurrent_delivery_and_says_how_full()
    {
        var message = MailstoreFixture.Message("fill", 900);
        var user = await _f.UserAsync("erin@example.test", quotaBytes: message.Length * 10L);
        await _f.Store.EnsureUserAsync(user, CancellationToken.None);
        var results = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => Task.Run(() => Deliver(user, message, store: _f.NewStore()))));

        Assert.Equal(10, results.Count(r => r.Status == DeliveryStatus.Delivered));
        var refused = results.Where(r => r.Status == DeliveryStatus.OverQuota).ToList();
        Assert.Equal(15, refused.Count);
        Assert.All(refused, r => Assert.Contains("storage quota exceeded", r.Reason, StringComparison.Ordinal));
        Assert.Contains("(100%)", refused[0].Reason, StringComparison.Ordinal);
        Assert.Equal(10, Directory.GetFiles(_f.Store.RootOf(user).Inbox.NewPath).Length);
        Assert.Empty(Directory.GetFiles(_f.Store.RootOf(user).Inbox.TmpPath));

        await using var usage = _f.DataSource.CreateCommand("SELECT bytes, messages FROM quota_usage WHERE user_id = $1");
        usage.Parameters.AddWithValue(user.Id);
        await using var reader = await usage.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(message.Length * 10L, reader.GetInt64(0));
        Assert.Equal(10L, reader.GetInt64(1));
    }

    [Fact]
    public async Task A_message_count_quota_names_itself()
    {
        var user = await _f.UserAsync("fay@example.test", quotaMessages: 1);
        Assert.Equal(DeliveryStatus.Delivered, (await Deliver(user, MailstoreFixture.Message("1"))).Status);
        var second = await Deliver(user, MailstoreFixture.Message("2"));
        Assert.Equal(DeliveryStatus.OverQuota, second.Status);
        Assert.Equal("message count quota exceeded: 1 of 1 messages", second.Reason);
    }

    [Fact]
    public async Task Deliveries_with_bare_lf_files_count_crlf_sizes()
    {
        var user = await _f.UserAsync("gus@example.test");
        var message = "Subject: lf\nFrom: a@b.example\n\nline one\nline two\n"u8.ToArray();
        await Deliver(user, message);
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var row = Assert.Single(await _f.Store.ListMessagesAsync(inbox, CancellationToken.None));
        Assert.Equal(message.Length, row.Size);
        Assert.Equal(message.Length + 5, row.CrlfSize);
        Assert.Contains($",W={message.Length + 5}", row.FileName, StringComparison.Ordinal);
    }
}
