using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Hostile;

/// <summary>
/// Memory per session, measured as the serve process's resident set (VmRSS) before and after opening sessions,
/// divided by their count: idle sessions, and hostile ones that each hold a command line just short of the limit.
/// INTERFACE.md: 2,000 idle connections cost under 400 MiB and a new client is still served within 2 s.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class SessionMemoryTests(HostileFixture app, ITestOutputHelper output)
{
    private sealed record Protocol(string Name, int Port, int PerAddress, string Greeting, string? Setup, string SetupDone);

    private Protocol Smtp => new("SMTP", app.SmtpPort, 20, "^220 ", "EHLO idle.example\r\n", "^250 ");

    private Protocol Imap => new("IMAP", app.ImapPort, 200, @"^\* OK", "l LOGIN alice@example.test pw\r\ns SELECT INBOX\r\n", "^s OK");

    private Protocol Pop3 => new("POP3", app.Pop3Port, 20, @"^\+OK", "CAPA\r\n", @"^\.$");

    /// <summary>Opens <paramref name="count"/> sessions of a protocol, each from an address with room under its limit.</summary>
    private async Task<List<HostileClient>> OpenAsync(Protocol protocol, int count)
    {
        var clients = new List<HostileClient>();
        IPAddress? from = null;
        for (var i = 0; i < count; i++)
        {
            if (i % protocol.PerAddress == 0)
            {
                from = app.NextSourceAddress();
            }

            var client = await HostileClient.ConnectAsync(protocol.Port, from);
            clients.Add(client);
            Assert.NotNull(await client.ReadUntilAsync(protocol.Greeting));
            if (protocol.Setup is not null)
            {
                await client.SendAsync(protocol.Setup);
                Assert.NotNull(await client.ReadUntilAsync(protocol.SetupDone));
            }
        }

        return clients;
    }

    private static async Task CloseAllAsync(List<HostileClient> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Each_protocol_costs_bounded_memory_per_idle_and_per_hostile_session()
    {
        // Enough sessions that their cost exceeds what the warm heap has spare (SMTP allows 1,000 per listener).
        const int Sessions = 400;
        var figures = new List<string>();
        foreach (var protocol in new[] { Smtp, Imap, Pop3 })
        {
            // Idle: greeted (and logged in with a mailbox selected, for IMAP).
            var before = app.ResidentBytes();
            var idle = await OpenAsync(protocol, Sessions);
            var perIdle = (app.ResidentBytes() - before) / Sessions;

            // Hostile: the same count again, each holding a line just short of its protocol's limit.
            var hostile = await OpenAsync(protocol, Sessions);
            var mid = app.ResidentBytes();
            var partial = Encoding.ASCII.GetBytes(protocol.Name switch { "IMAP" => "h NOOP " + new string('x', 60_000), "SMTP" => "NOOP " + new string('x', 4000), _ => "NOOP " + new string('x', 240) });
            foreach (var client in hostile)
            {
                await client.SendAsync(partial);
            }

            // The last line sent is read by the server before a NOOP on a fresh session is answered.
            await app.AssertServesOthersAsync();
            var perHostile = (app.ResidentBytes() - mid) / Sessions;
            figures.Add($"{protocol.Name}: {perIdle / 1024:N0} KiB per idle session, +{perHostile / 1024:N0} KiB per session holding a {partial.Length:N0}-byte partial line");
            Assert.True(perIdle < 512 * 1024, $"{protocol.Name}: {perIdle:N0} bytes per idle session");
            Assert.True(perHostile < 1024 * 1024, $"{protocol.Name}: {perHostile:N0} bytes per hostile session");
            await CloseAllAsync(idle);
            await CloseAllAsync(hostile);
        }

        foreach (var figure in figures)
        {
            output.WriteLine(figure);
        }
    }

    [Fact]
    public async Task Two_thousand_idle_connections_cost_under_400_mib_and_others_are_still_served()
    {
        var count = Battery.Scale(1000, 2000);
        var before = app.ResidentBytes();
        var clients = new List<HostileClient>();
        try
        {
            clients.AddRange(await OpenAsync(Imap with { Setup = null }, count * 4 / 10));
            clients.AddRange(await OpenAsync(Smtp with { Setup = null }, count * 3 / 10));
            clients.AddRange(await OpenAsync(Pop3 with { Setup = null }, count * 3 / 10));
            var grown = app.ResidentBytes() - before;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await app.AssertServesOthersAsync();
            output.WriteLine($"{clients.Count:N0} idle connections: +{grown / (1024 * 1024):N0} MiB resident ({grown / clients.Count / 1024:N0} KiB each); three other clients served in {watch.ElapsedMilliseconds:N0} ms");
            Assert.True(grown < 400L << 20, $"{clients.Count} idle connections grew serve by {grown:N0} bytes");
        }
        finally
        {
            await CloseAllAsync(clients);
        }
    }
}
