using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Spam;

/// <summary>A serve whose DATA checks have a short budget and whose SMTP takes 48 MiB messages.</summary>
public sealed class SpamApplianceFixture : ApplianceFixture
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    protected override object ExtraSmtpSettings => new { MaxMessageSize = 48 * 1024 * 1024, MaxRecipients = 5 };

    protected override void Configure(Dictionary<string, object> config) => config["Spam"] = new { TimeBudget = "3s" };
}

/// <summary>
/// Scoring in intake, end to end through serve: the verdict per recipient (Junk, X-Spam-* fields, reject only when
/// every recipient's policy agrees), one Authentication-Results of ours (forged ones removed), a hanging DNS server
/// that costs no more than the budget, a 40 MiB message delivered whole, and moves into Junk over IMAP that teach
/// the user's classifier.
/// </summary>
public sealed class SpamIntakeTests : IClassFixture<SpamApplianceFixture>
{
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private readonly SpamApplianceFixture _app;

    public SpamIntakeTests(SpamApplianceFixture app) => _app = app;

    private async Task<string> SendAsync(string from, IReadOnlyList<string> to, string message)
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        foreach (var rcpt in to)
        {
            await smtp.Send($"RCPT TO:<{rcpt}>");
            await smtp.Expect("250");
        }

        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send(message.Replace("\r\n.", "\r\n..", StringComparison.Ordinal) + ".");
        return await smtp.ReadReplyAsync();
    }

    private static string Message(string subject, string body, string extraHeaders = "") =>
        $"From: Someone <someone@sender.test>\r\nTo: you@example.test\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@sender.test>\r\n{extraHeaders}\r\n{body}\r\n";

    private static string[] HeaderNames(string file) =>
        File.ReadAllText(file).Split("\r\n\r\n")[0].Split("\r\n").Where(l => l.Length > 0 && l[0] is not (' ' or '\t')).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToArray();

    [Fact]
    public async Task Gtube_goes_to_Junk_for_a_user_who_accepts_it_and_is_refused_when_every_recipient_refuses()
    {
        await _app.Ok("user add tolerant@example.test");
        await _app.Ok("user add strict@example.test");
        await _app.Ok("spam threshold reject 2000 --user tolerant@example.test");

        // Two recipients who disagree: accepted, each gets their own verdict; both score 1000, both over the tag threshold.
        var reply = await SendAsync("spammer@sender.test", ["tolerant@example.test", "strict@example.test"], Message("gtube", Gtube));
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        foreach (var user in new[] { "tolerant", "strict" })
        {
            var file = Assert.Single(await _app.MessagesAsync(user, 1, ".Junk"));
            var text = await File.ReadAllTextAsync(file);
            Assert.Contains("\r\nX-Spam-Flag: YES\r\n", text, StringComparison.Ordinal);
            Assert.Contains("\r\nX-Spam-Status: Yes, score=1000.0 required=5.0 tests=", text, StringComparison.Ordinal);
            Assert.Contains("GTUBE", text, StringComparison.Ordinal);
            // INTERFACE.md's order: Return-Path, Delivered-To, Received, Authentication-Results, X-Spam-*.
            var names = HeaderNames(file);
            Assert.Equal(["Return-Path", "Delivered-To", "Received", "Authentication-Results"], names[..4]);
            Assert.Contains("X-Spam-Score", names[4..7]);
            Assert.Empty(await _app.MessagesAsync(user, 0));
        }

        // The strict user alone: every recipient refuses, so the message is refused at the end of DATA.
        reply = await SendAsync("spammer@sender.test", ["strict@example.test"], Message("gtube again", Gtube));
        Assert.StartsWith("550 5.7.1 ", reply, StringComparison.Ordinal);
        Assert.Single(await _app.MessagesAsync("strict", 1, ".Junk"));
    }

    [Fact]
    public async Task Ham_goes_to_INBOX_with_our_one_Authentication_Results_and_forged_ones_removed()
    {
        await _app.Ok("user add hammy@example.test");
        var forged = "Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=paypal.com;\r\n\tdkim=pass header.d=paypal.com\r\n";
        var foreign = "Authentication-Results: mail.other.test; spf=fail smtp.mailfrom=sender.test\r\n";
        var reply = await SendAsync("friend@sender.test", ["hammy@example.test"],
            Message("lunch", "Shall we meet for lunch on Tuesday at the usual place? Let me know.", forged + foreign));
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);

        var text = await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("hammy")));
        Assert.DoesNotContain("paypal.com", text, StringComparison.Ordinal);
        Assert.Contains(foreign, text, StringComparison.Ordinal);
        var ours = text.Split("\r\n").Where(l => l.StartsWith("Authentication-Results: mx.example.test", StringComparison.Ordinal)).ToList();
        Assert.Single(ours);
        Assert.Contains("spf=none", text, StringComparison.Ordinal); // sender.test publishes nothing on the test's DNS server
        Assert.Contains("\r\nX-Spam-Status: No, score=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam-Flag", text, StringComparison.Ordinal);
        Assert.EndsWith("Shall we meet for lunch on Tuesday at the usual place? Let me know.\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_DNS_server_costs_no_more_than_the_budget_and_is_a_temperror()
    {
        await _app.Ok("user add patient@example.test");
        _app.Dns.Hang("hanging.test");
        var watch = Stopwatch.StartNew();
        var reply = await SendAsync("someone@hanging.test", ["patient@example.test"], Message("slow dns", "Hello from a domain whose DNS never answers."));
        var elapsed = watch.Elapsed;
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);
        // A bound, not a benchmark: the reply waited for the budget at most (plus the machine's own slowness).
        Assert.True(elapsed < SpamApplianceFixture.Budget + TimeSpan.FromSeconds(5), $"the 250 took {elapsed}");

        var text = await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("patient")));
        Assert.Contains("spf=temperror", text, StringComparison.Ordinal);
        Assert.EndsWith("Hello from a domain whose DNS never answers.\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_40_MiB_message_is_scored_on_its_first_part_and_delivered_whole()
    {
        await _app.Ok("user add big@example.test");
        var line = new string('x', 76) + "\r\n";
        var body = new StringBuilder("Some text before the attachment.\r\n");
        while (body.Length < 40 * 1024 * 1024)
        {
            body.Append(line);
        }

        var message = Message("big", body.ToString());
        var reply = await SendAsync("big@sender.test", ["big@example.test"], message);
        Assert.StartsWith("250 ", reply, StringComparison.Ordinal);

        var file = Assert.Single(await _app.MessagesAsync("big"));
        var stored = await File.ReadAllTextAsync(file);
        Assert.EndsWith(message, stored, StringComparison.Ordinal);
        Assert.Contains("SCAN_TRUNCATED", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Moving_spam_into_Junk_over_IMAP_teaches_that_users_classifier()
    {
        await _app.Ok("user add learner@example.test --password-stdin", "pw\n");
        for (var i = 0; i < 12; i++)
        {
            Assert.StartsWith("250 ", await SendAsync("colleague@sender.test", ["learner@example.test"],
                Message($"Project status {i}", $"Hi team, the build for milestone {i} passed; please review the release notes and the test plan before the meeting.")), StringComparison.Ordinal);
        }

        await _app.MessagesAsync("learner", 12);
        await _app.Ok($"spam learn ham {Path.Combine(_app.DataDirectory, "mail", "example.test", "learner", "Maildir")} --user learner@example.test");
        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("250 ", await SendAsync("shop@sender.test", ["learner@example.test"],
                Message($"Cheap replica watches {i}", $"Buy cheap replica watches and designer handbags now, discount {i} percent, limited offer, order today at our online shop.")), StringComparison.Ordinal);
        }

        await _app.MessagesAsync("learner", 32);
        var probe = Path.Combine(_app.Root, "probe.eml");
        await File.WriteAllTextAsync(probe, Message("offer", "Cheap replica watches and designer handbags, big discount, order now from our shop."));
        var before = await ProbeAsync(probe);

        await using (var imap = await ImapClientScript.ConnectAsync(_app.ImapsPort, implicitTls: true))
        {
            await imap.Send("l LOGIN learner@example.test pw");
            await imap.Expect("l OK");
            await imap.Send("c CREATE Junk");
            await imap.Expect("c ");
            await imap.Send("s SELECT INBOX");
            await imap.Expect("s OK");
            await imap.Send("f UID SEARCH SUBJECT \"replica\"");
            var search = await imap.Expect("f OK");
            var uids = search.Single(l => l.StartsWith("* SEARCH", StringComparison.Ordinal))["* SEARCH ".Length..].Trim().Replace(' ', ',');
            Assert.Equal(20, uids.Split(',').Length);
            await imap.Send($"m UID MOVE {uids} Junk");
            await imap.Expect("m OK");
        }

        // INTERFACE.md: a move counts from the next message scored within 10 s.
        var watch = Stopwatch.StartNew();
        double after;
        while ((after = await ProbeAsync(probe)) <= before + 1.0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"score still {after} (was {before}) 10 s after the moves");
            await Task.Delay(200);
        }
    }

    private async Task<double> ProbeAsync(string file)
    {
        var result = await _app.Cli.RunAsync($"spam check {file} --user learner@example.test --json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement[0].GetProperty("score").GetDouble();
    }
}
