using System.Text.Json;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Sieve;

/// <summary>
/// Sieve at delivery, end to end through serve: the user's active script files into folders with flags, redirects
/// (once, loops stopped), rejects (a bounce), discards, answers with vacation once per sender and not after the end
/// date, and a script that fails keeps the message.
/// </summary>
public sealed class SieveDeliveryTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public SieveDeliveryTests(ApplianceFixture app) => _app = app;

    private async Task ActivateAsync(string user, string script)
    {
        var file = Path.Combine(_app.Root, $"{user}-{Guid.NewGuid():N}.sieve");
        await File.WriteAllTextAsync(file, script);
        await _app.Ok($"sieve put {user}@example.test main {file}");
        await _app.Ok($"sieve activate {user}@example.test main");
    }

    private async Task<string> SendAsync(string from, string to, string subject, string body = "Hello.")
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.sender.test");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<{from}>");
        await smtp.Expect("250");
        await smtp.Send($"RCPT TO:<{to}>");
        await smtp.Expect("250");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send($"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@sender.test>\r\n\r\n{body}\r\n.");
        var reply = await smtp.Expect("250 ");
        return reply["250 2.0.0 Ok: queued as ".Length..].Trim();
    }

    /// <summary>Waits until every recipient of the message is settled; returns their rows from queue show.</summary>
    private async Task<JsonElement> SettledAsync(string queueId)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var show = JsonDocument.Parse((await _app.Cli.RunAsync($"queue show {queueId} --json")).Output).RootElement;
            var rows = show.GetProperty("recipients").EnumerateArray().ToList();
            if (rows.All(r => r.GetProperty("status").GetString() is "delivered" or "bounced" or "discarded" or "forwarded"))
            {
                return show;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), show.ToString());
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Fileinto_with_flags_puts_the_message_in_its_folder_and_keep_in_INBOX()
    {
        await _app.Ok("user add filer@example.test");
        await ActivateAsync("filer", """
            require ["fileinto", "imap4flags"];
            if header :contains "subject" "report" {
                fileinto :flags ["\\Flagged", "$Work"] "Work";
                stop;
            }
            """);
        await SendAsync("boss@sender.test", "filer@example.test", "Quarterly report");
        await SendAsync("friend@sender.test", "filer@example.test", "Lunch");

        var work = Assert.Single(await _app.MessagesAsync("filer", 1, ".Work"));
        Assert.Contains("Subject: Quarterly report", await File.ReadAllTextAsync(work), StringComparison.Ordinal);
        Assert.Matches(":2,[A-Za-z]*F", Path.GetFileName(work));
        var inbox = Assert.Single(await _app.MessagesAsync("filer", 1));
        Assert.Contains("Subject: Lunch", await File.ReadAllTextAsync(inbox), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_delivers_once_to_the_target_and_a_redirect_loop_stops()
    {
        await _app.Ok("user add hop1@example.test");
        await _app.Ok("user add hop2@example.test");
        await _app.Ok("user add target@example.test");
        await ActivateAsync("hop1", "redirect \"target@example.test\";");
        var queueId = await SendAsync("someone@sender.test", "hop1@example.test", "redirected");
        var show = await SettledAsync(queueId);
        Assert.Single(await _app.MessagesAsync("target", 1));
        Assert.Empty(await _app.MessagesAsync("hop1", 0));
        Assert.Contains(show.GetProperty("recipients").EnumerateArray(), r => r.GetProperty("recipient").GetString() == "target@example.test");

        // hop1 → hop2 → hop1: each recipient once in the message, then it stops; nothing waits in the queue.
        await ActivateAsync("hop1", "require \"copy\"; redirect :copy \"hop2@example.test\";");
        await ActivateAsync("hop2", "require \"copy\"; redirect :copy \"hop1@example.test\";");
        queueId = await SendAsync("someone@sender.test", "hop1@example.test", "loop");
        show = await SettledAsync(queueId);
        Assert.Equal(2, show.GetProperty("recipients").GetArrayLength());
        Assert.Single(await _app.MessagesAsync("hop1", 1));
        Assert.Single(await _app.MessagesAsync("hop2", 1));
    }

    [Fact]
    public async Task Reject_bounces_and_discard_drops_and_a_failing_script_keeps_the_message()
    {
        await _app.Ok("user add picky@example.test");
        await ActivateAsync("picky", """
            require ["reject", "copy"];
            if header :contains "subject" "offer" { reject "No offers, thank you."; }
            elsif header :contains "subject" "noise" { discard; }
            elsif header :contains "subject" "many" {
                redirect :copy "a@example.test"; redirect :copy "b@example.test"; redirect :copy "c@example.test";
                redirect :copy "d@example.test"; redirect :copy "e@example.test";
            }
            """);
        var rejected = await SettledAsync(await SendAsync("seller@sender.test", "picky@example.test", "A great offer"));
        var row = Assert.Single(rejected.GetProperty("recipients").EnumerateArray());
        Assert.Equal("bounced", row.GetProperty("status").GetString());
        Assert.Contains("No offers, thank you.", row.GetProperty("lastResult").GetString(), StringComparison.Ordinal);

        var discarded = await SettledAsync(await SendAsync("noisy@sender.test", "picky@example.test", "noise"));
        Assert.Equal("discarded", Assert.Single(discarded.GetProperty("recipients").EnumerateArray()).GetProperty("status").GetString());

        // Five redirects exceed the limit of four: a run-time error, so the actions are dropped and the message kept.
        await SettledAsync(await SendAsync("friend@sender.test", "picky@example.test", "many copies"));
        Assert.Contains("Subject: many copies", await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("picky", 1))), StringComparison.Ordinal);
        Assert.Contains(_app.Serve.OutputLines, l => l.Contains("Sieve script", StringComparison.Ordinal) && l.Contains("picky@example.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Vacation_answers_once_per_sender_with_the_null_sender_and_not_after_its_end_date()
    {
        await _app.Ok("user add away@example.test");
        await _app.Ok("user add colleague@example.test");
        var body = Path.Combine(_app.Root, "vacation.txt");
        await File.WriteAllTextAsync(body, "I am away until Monday.");
        await _app.Ok($"vacation set away@example.test --subject \"Away\" --body-file {body} --days 7");

        await SettledAsync(await SendAsync("colleague@example.test", "away@example.test", "question 1"));
        var reply = Assert.Single(await _app.MessagesAsync("colleague", 1));
        var text = await File.ReadAllTextAsync(reply);
        Assert.StartsWith("Return-Path: <>\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Auto-Submitted: auto-replied", text, StringComparison.Ordinal);
        Assert.Contains("I am away until Monday.", text, StringComparison.Ordinal);

        await SettledAsync(await SendAsync("colleague@example.test", "away@example.test", "question 2"));
        Assert.Equal(2, (await _app.MessagesAsync("away", 2)).Count);
        Assert.Single(await _app.MessagesAsync("colleague", 1)); // one reply per sender per :days

        // A vacation that ended yesterday answers no one.
        await _app.Ok("user add late@example.test");
        await _app.Ok($"vacation set away@example.test --subject \"Away\" --body-file {body} --until {DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}");
        await SettledAsync(await SendAsync("late@example.test", "away@example.test", "question 3"));
        Assert.Empty(await _app.MessagesAsync("late", 0));
    }
}
