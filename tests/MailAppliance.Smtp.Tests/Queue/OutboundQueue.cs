using System.Net;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Smtp.Client;
using RecipientStatus = MailAppliance.Storage.Queue.RecipientStatus;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Smtp.Queue;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Nodes;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using MailAppliance.Testing;
using MailAppliance.Testing.Dns;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailAppliance.Smtp.Tests.Queue;

/// <summary>
/// The queue with outbound delivery, on loopback: a real database, spool and mail store, a local domain with users,
/// the test's DNS server, the SMTP client, and the scheduler on a fake clock (retries, delay warnings and expiry
/// come from advancing it, never from sleeping). Remote servers are <see cref="SmtpSink"/>s on 127.0.0.x, all on
/// one port (<c>Delivery:Port</c>).
/// </summary>
internal sealed class OutboundQueue : IAsyncDisposable
{
    private readonly string _root = TestDirectories.Create("outbound");
    private readonly RecipientCache _recipients;
    private readonly NodeIdentity _node;
    private readonly SmtpDelivery _client;
    private readonly DeliveryScheduler _scheduler;

    private OutboundQueue(DatabaseFixture db, DeliveryOptions? options, int port)
    {
        Port = port;
        Domain = $"o{Guid.NewGuid():N}"[..10] + ".test";
        Directory = new AccountDirectory(db.Database);
        _recipients = new RecipientCache(Directory, db.Database, TimeProvider.System, NullLogger<RecipientCache>.Instance);
        _node = NodeIdentity.Register(Path.Combine(_root, "data"));
        Spool = new MessageSpool(Path.Combine(_root, "spool"), Time, node: _node);
        Queue = new MessageQueue(db.Database, Spool, _node, Time, NullLogger<MessageQueue>.Instance);
        Store = new MailStore(db.Database, new MailstoreOptions(_root), TimeProvider.System, NullLogger<MailStore>.Instance);
        Dns = LoopbackDnsServer.Start();
        var resolver = new DnsResolver(new DnsResolverOptions { Servers = [Dns.Endpoint], Timeout = TimeSpan.FromSeconds(2), Attempts = 1, UseCache = false });
        _client = new SmtpDelivery(new SmtpClientOptions
        {
            HeloName = "mx.local.test",
            Timeouts = new SmtpClientTimeouts { Connect = TimeSpan.FromSeconds(10), Greeting = TimeSpan.FromSeconds(30) },
            ConnectionIdleTime = TimeSpan.Zero,
        });
        var destinations = new DestinationResolver(resolver, DeliveryRouting.Default with { Port = port }, new DestinationOptions { LocalHostNames = ["mx.local.test"] });
        Options = (options ?? new DeliveryOptions()) with { Hostname = "mx.local.test" };
        _scheduler = new DeliveryScheduler(Queue, new RecipientRouter(_recipients), new LocalTransport(Store), null, Time, NullLogger<DeliveryScheduler>.Instance,
            Options, new SmtpTransport(_client, destinations, NullLogger<SmtpTransport>.Instance));
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public string Domain { get; }

    public int Port { get; }

    public DeliveryOptions Options { get; }

    public AccountDirectory Directory { get; }

    public MessageSpool Spool { get; }

    public MessageQueue Queue { get; }

    public MailStore Store { get; }

    public LoopbackDnsServer Dns { get; }

    /// <summary>A queue whose remote servers listen on <paramref name="port"/> (0: a free one is picked).</summary>
    public static async Task<OutboundQueue> StartAsync(DatabaseFixture db, DeliveryOptions? options = null)
    {
        var queue = new OutboundQueue(db, options, TestPorts.Take(1)[0]);
        await queue.Directory.AddDomainAsync(DomainName.Parse(queue.Domain));
        return queue;
    }

    /// <summary>A sink for <paramref name="domain"/>: MX mx.DOMAIN → 127.0.0.<paramref name="host"/>.</summary>
    public SmtpSink Sink(string domain, int host, SmtpSinkOptions? options = null)
    {
        Dns.Mx(domain, 10, "mx." + domain).A("mx." + domain, $"127.0.0.{host}");
        return SmtpSink.Start(options, IPAddress.Parse($"127.0.0.{host}"), Port);
    }

    public string A(string local) => $"{local}@{Domain}";

    public async Task<MailUser> UserAsync(string local) =>
        new(await Directory.AddUserAsync(MailAddress.Parse(A(local)), null, null), MailAddress.Parse(A(local)));

    /// <summary>Queues a message as intake would.</summary>
    public async Task<string> SubmitAsync(string from, byte[] message, IEnumerable<SpoolRecipient> recipients, string? ret = null, string? envid = null, string? user = null)
    {
        var envelope = new SpoolEnvelope
        {
            QueueId = Queue.NewQueueId(), ReceivedAt = Time.GetUtcNow(), MailFrom = from, Recipients = [.. recipients], Ret = ret, EnvelopeId = envid,
            AuthenticatedUser = user, ClientAddress = "192.0.2.1",
        };
        var result = await Queue.SubmitAsync(envelope, new MemoryStream(message), SpoolVerdict.None, CancellationToken.None);
        Assert.True(result.IsAccepted);
        return envelope.QueueId;
    }

    public Task<string> SubmitAsync(string from, byte[] message, params string[] recipients) =>
        SubmitAsync(from, message, recipients.Select(r => new SpoolRecipient(r)));

    /// <summary>One scheduler round at the fake clock's time; returns how many recipients were claimed.</summary>
    public Task<int> RunAsync() => _scheduler.RunOnceAsync(CancellationToken.None);

    /// <summary>Rounds until nothing is due now (DSNs made by a round are delivered by the next).</summary>
    public async Task DrainAsync()
    {
        for (var i = 0; i < 10 && await RunAsync() > 0; i++)
        {
        }
    }

    /// <summary>Moves the clock to the next attempt of <paramref name="queueId"/> and runs the rounds then due.</summary>
    public async Task RetryAsync(string queueId)
    {
        var row = (await RowsAsync(queueId)).Where(r => r.Status == RecipientStatus.Deferred).MinBy(r => r.NextAttemptAt)!;
        Time.SetUtcNow(row.NextAttemptAt);
        await DrainAsync();
    }

    public async Task<IReadOnlyList<QueueRecipient>> RowsAsync(string queueId) => (await Queue.ShowAsync(queueId, CancellationToken.None))!.Recipients;

    public async Task<IReadOnlyList<QueueAttempt>> AttemptsAsync(string queueId) => (await Queue.ShowAsync(queueId, CancellationToken.None))!.Attempts;

    /// <summary>The messages in a user's INBOX, as stored.</summary>
    public async Task<IReadOnlyList<string>> InboxAsync(MailUser user)
    {
        var inbox = await Store.FindMailboxAsync(user, Storage.Maildir.MailboxName.Inbox, CancellationToken.None);
        if (inbox is null)
        {
            return [];
        }

        var messages = new List<string>();
        foreach (var row in await Store.ListMessagesAsync(inbox, CancellationToken.None))
        {
            await using var stream = Store.OpenMessage(inbox, row)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            messages.Add(await reader.ReadToEndAsync());
        }

        return messages;
    }

    public static byte[] Message(string from, string subject, string body = "Hello.\r\n") =>
        Encoding.UTF8.GetBytes($"From: {from}\r\nTo: someone@remote.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@test>\r\n\r\n{body}");

    public async ValueTask DisposeAsync()
    {
        await _scheduler.StopAsync(CancellationToken.None);
        _scheduler.Dispose();
        await _client.DisposeAsync();
        await Queue.DisposeAsync();
        await _recipients.DisposeAsync();
        await Dns.DisposeAsync();
        _node.Dispose();
        TestDirectories.Delete(_root);
    }
}
