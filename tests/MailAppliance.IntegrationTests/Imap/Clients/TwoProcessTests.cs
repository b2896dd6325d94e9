using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>
/// Two <c>mailappliance serve</c> processes on one configuration (one database, one data directory), process B on
/// other ports: an IMAP session on process A learns what was done through B, by LISTEN/NOTIFY.
/// </summary>
public sealed class TwoProcessFixture : ImapClientFixture, IAsyncLifetime
{
    private ServeProcess? _second;

    public int SecondSmtpPort { get; private set; }

    public int SecondImapsPort { get; private set; }

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var ports = TestPorts.Take(2);
        (SecondSmtpPort, SecondImapsPort) = (ports[0], ports[1]);
        _second = ServeProcess.Start(Cli.ConfigFile, new Dictionary<string, string>
        {
            ["MAILAPPLIANCE_Listeners__Smtp"] = $"127.0.0.1:{SecondSmtpPort}",
            ["MAILAPPLIANCE_Listeners__Imaps"] = $"127.0.0.1:{SecondImapsPort}",
            ["MAILAPPLIANCE_Listeners__Imap"] = "",
            ["MAILAPPLIANCE_Listeners__Submission"] = "",
            ["MAILAPPLIANCE_Listeners__Submissions"] = "",
            ["MAILAPPLIANCE_Listeners__Pop3"] = "",
            ["MAILAPPLIANCE_Listeners__Pop3s"] = "",
            ["MAILAPPLIANCE_Listeners__ManageSieve"] = "",
        });
        await _second.WaitForNotificationAsync("READY=1", TimeSpan.FromSeconds(90));
    }

    public override async Task DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

public sealed class TwoProcessTests : IClassFixture<TwoProcessFixture>
{
    private readonly TwoProcessFixture _app;
    private readonly ITestOutputHelper _output;

    public TwoProcessTests(TwoProcessFixture app, ITestOutputHelper output) => (_app, _output) = (app, output);

    /// <summary>Python helpers: a raw command on an imaplib connection returning its untagged lines, and polling NOOP.</summary>
    private const string RawHelpers = """
        def raw(m, command):
            tag = m._new_tag()
            m.send(tag + b" " + command.encode() + b"\r\n")
            lines = []
            while True:
                line = m.readline()
                if line.startswith(tag + b" "):
                    assert line.startswith(tag + b" OK"), (command, line, lines)
                    return lines
                lines.append(line.decode().rstrip("\r\n"))
        def noop_until(m, predicate, seconds=10):
            seen = []
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                seen += raw(m, "NOOP")
                if predicate(seen):
                    return seen
                time.sleep(0.1)
            raise AssertionError("NOOP never showed it; saw %r" % seen)
        """;

    [Fact]
    public async Task A_session_on_one_process_sees_flags_expunges_and_deliveries_made_through_the_other()
    {
        var user = await _app.UserAsync("shared");
        await _app.DeliverAsync("shared", "Subject: one\r\n\r\n1\r\n", "Subject: two\r\n\r\n2\r\n", "Subject: three\r\n\r\n3\r\n");
        await _app.ImaplibAsync($$"""
            import smtplib
            {{RawHelpers}}
            a = imaps("{{user}}")
            eq(ok(a.select("INBOX")), [b"3"])
            b = imaps("{{user}}", port={{_app.SecondImapsPort}})
            eq(ok(b.select("INBOX")), [b"3"])

            # A flag set through B: A's NOOP reports the new flags of message 2.
            ok(b.store("2", "+FLAGS", "(\\Flagged)"))
            seen = noop_until(a, lambda s: any(re.match(r"\* 2 FETCH \(.*FLAGS \(.*\\Flagged", l) for l in s))

            # An expunge through B: A's NOOP reports it, and the numbering follows.
            ok(b.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
            eq(ok(b.expunge()), [b"1"])
            seen = noop_until(a, lambda s: "* 1 EXPUNGE" in s)
            eq(ok(a.search(None, "ALL"))[0].split(), [b"1", b"2"])
            eq(ok(a.search(None, "FLAGGED"))[0], b"1")

            # A delivery through B's MX port: A's NOOP reports the new message, which A can read.
            s = smtplib.SMTP("127.0.0.1", {{_app.SecondSmtpPort}}, timeout=30)
            s.sendmail("sender@example.net", ["{{user}}"], b"Subject: through B\r\n\r\nvia the other process\r\n")
            s.quit()
            seen = noop_until(a, lambda s: "* 3 EXISTS" in s, seconds=20)
            eq(ok(a.fetch("3", "(BODY.PEEK[TEXT])"))[0][1], b"via the other process\r\n")
            eq(ok(a.search(None, "ALL"))[0].split(), [b"1", b"2", b"3"])
            a.logout()
            b.logout()
            print("ok")
            """);
        Assert.Equal(3, _app.Messages("shared").Count);
    }

    [Fact]
    public async Task An_idle_session_on_one_process_hears_of_a_delivery_through_the_other_quickly()
    {
        var user = await _app.UserAsync("idle");
        await _app.DeliverAsync("idle", "Subject: before\r\n\r\nbefore\r\n");
        var output = await _app.ImaplibAsync($$"""
            import smtplib
            {{RawHelpers}}
            a = imaps("{{user}}")
            eq(ok(a.select("INBOX")), [b"1"])
            latencies = []
            for i in range(3):
                tag = a._new_tag()
                a.send(tag + b" IDLE\r\n")
                line = a.readline()
                assert line.startswith(b"+"), line
                s = smtplib.SMTP("127.0.0.1", {{_app.SecondSmtpPort}}, timeout=30)
                s.sendmail("sender@example.net", ["{{user}}"], ("Subject: idle %d\r\n\r\nwake up\r\n" % i).encode())
                accepted = time.monotonic()
                a.sock.settimeout(30)
                line = a.readline()
                latencies.append(time.monotonic() - accepted)
                s.quit()
                eq(line, b"* %d EXISTS\r\n" % (i + 2))
                a.send(b"DONE\r\n")
                while not line.startswith(tag):
                    line = a.readline()
                assert line.startswith(tag + b" OK"), line
            a.logout()
            print("latencies " + " ".join("%.3f" % l for l in latencies))
            """);
        var latencies = Regex.Match(output, @"latencies (.*)").Groups[1].Value.Split(' ').Select(double.Parse).ToList();
        _output.WriteLine($"IDLE on process A: * n EXISTS after a delivery through process B's SMTP, seconds from 250 to EXISTS: {string.Join(", ", latencies)}");
        Console.WriteLine($"[imap-e2e] IDLE cross-process latency (s): {string.Join(", ", latencies)}");
        // The target is 1 s; a loaded 2-core machine gets a generous margin.
        Assert.All(latencies, l => Assert.True(l < 5, $"{l} s"));
    }
}
