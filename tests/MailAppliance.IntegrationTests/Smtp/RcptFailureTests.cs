using MailAppliance.Database;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>An appliance on its embedded PostgreSQL, so the test can take the database away from under it.</summary>
public sealed class EmbeddedApplianceFixture : ApplianceFixture
{
    protected override bool UseTestCluster => false;
}

public sealed class RcptFailureTests : IClassFixture<EmbeddedApplianceFixture>
{
    private readonly EmbeddedApplianceFixture _app;

    public RcptFailureTests(EmbeddedApplianceFixture app) => _app = app;

    private async Task PgCtlAsync(params string[] arguments)
    {
        var bin = await PostgresBinaries.LocateAsync(null, CancellationToken.None);
        var (exit, output) = await ApplianceFixture.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), .. arguments, "-D", Path.Combine(_app.DataDirectory, "pg")]);
        Assert.True(exit == 0, output);
    }

    /// <summary>Stops the appliance's PostgreSQL, runs <paramref name="during"/>, and starts it again whatever happened.</summary>
    private async Task WhileDatabaseIsDownAsync(Func<Task> during)
    {
        await PgCtlAsync("stop", "-m", "fast", "-w");
        try
        {
            await during();
        }
        finally
        {
            await PgCtlAsync("start", "-w", "-l", Path.Combine(_app.DataDirectory, "pg", "postgresql.log"));
        }
    }

    [Fact]
    public async Task A_database_outage_answers_451_never_5xx_and_mail_flows_again_after()
    {
        await using (var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort))
        {
            await smtp.Send("EHLO client.example");
            await smtp.Expect("250");
            await WhileDatabaseIsDownAsync(async () =>
            {
                await smtp.Send("MAIL FROM:<a@example.net>");
                await smtp.Expect("250");
                await smtp.Send("RCPT TO:<alice@example.test>");
                await smtp.Expect("451 4.3.0");
            });

            await smtp.Send("RCPT TO:<alice@example.test>");
            await smtp.Expect("250 2.1.5");
            await smtp.Send("DATA");
            await smtp.Expect("354");
            await smtp.Send("Subject: after the outage\r\n\r\nhello\r\n.");
            await smtp.Expect("250 2.0.0 Ok: queued as");
        }

        Assert.Single(await _app.MessagesAsync("alice"));
    }

    [Fact]
    public async Task A_message_acknowledged_while_the_database_is_away_is_delivered_once_it_is_back_without_a_restart()
    {
        await _app.Ok("user add dbaway@example.test");
        await using (var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort))
        {
            await smtp.Send("EHLO client.example");
            await smtp.Expect("250");
            await smtp.Send("MAIL FROM:<a@example.net>\r\nRCPT TO:<dbaway@example.test>\r\nDATA");
            await smtp.Expect("250");
            await smtp.Expect("250 2.1.5");
            await smtp.Expect("354");
            await WhileDatabaseIsDownAsync(async () =>
            {
                // The spool file is the truth: durable, it gets its 250 though its queue rows cannot be written now.
                await smtp.Send("Subject: while the database was away\r\n\r\nhello\r\n.");
                await smtp.Expect("250 2.0.0 Ok: queued as");
            });
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<string> delivered = [];
        while (delivered.Count == 0 && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            delivered = await _app.MessagesAsync("dbaway");
        }

        Assert.Contains("while the database was away", await File.ReadAllTextAsync(Assert.Single(delivered)));
    }

    [Fact]
    public async Task A_full_mailbox_is_refused_at_rcpt_with_452()
    {
        await _app.Ok("user add tiny@example.test --quota 2K");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<a@example.net>\r\nRCPT TO:<tiny@example.test>\r\nDATA");
        await smtp.Expect("250");
        await smtp.Expect("250");
        await smtp.Expect("354");
        await smtp.Send("Subject: fills it\r\n\r\n" + new string('q', 2500) + "\r\n.");
        await smtp.Expect("250");

        // The first message did not fit: it waits in the queue. Once what is left cannot hold the declared SIZE, RCPT says so.
        await smtp.Send("MAIL FROM:<a@example.net>\r\nRCPT TO:<tiny@example.test>\r\nDATA");
        await smtp.Expect("250");
        await smtp.Expect("250");
        await smtp.Expect("354");
        await smtp.Send("Subject: small\r\n\r\n" + new string('s', 1500) + "\r\n.");
        await smtp.Expect("250");
        Assert.Single(await _app.MessagesAsync("tiny"));
        await smtp.Send("RSET");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<a@example.net> SIZE=1000");
        await smtp.Expect("250");
        await smtp.Send("RCPT TO:<tiny@example.test>");
        await smtp.Expect("452 4.2.2");
        await smtp.Send("RCPT TO:<alice@example.test>");
        await smtp.Expect("250 2.1.5");
    }
}
