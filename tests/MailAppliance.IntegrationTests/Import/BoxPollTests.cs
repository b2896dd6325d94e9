using System.Globalization;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// <c>fetch add</c>: a running <c>serve</c> polls a live Dovecot's POP3 maildrop into the user's INBOX, with
/// <c>--delete</c> empties it there, and <c>fetch list</c> shows the result; nothing is fetched twice.
/// </summary>
public sealed class BoxPollTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    [Fact]
    public async Task A_pop3_box_poll_fetches_into_inbox_and_deletes_on_the_server()
    {
        var user = await app.UserAsync("poller");
        await using var server = await DovecotServer.StartAsync(app.Scratch("dovecot-poll"), ("remote@example.test", "rpass"));
        await using (var imap = await ImapClientScript.ConnectAsync(server.ImapPort))
        {
            await imap.Send("l LOGIN remote@example.test rpass");
            await imap.Expect("l OK");
            foreach (var subject in new[] { "polled one", "polled two" })
            {
                await imap.SendLiteral("a APPEND INBOX ", $"Subject: {subject}\r\n\r\nbody\r\n");
                await imap.Expect("a OK");
            }
        }

        var password = Path.Combine(app.Root, "poll-password");
        await File.WriteAllTextAsync(password, "rpass\n");
        var result = await app.Cli.RunAsync(["fetch", "add", user, "--protocol", "pop3", "--host", "127.0.0.1", "--port", server.Pop3Port.ToString(CultureInfo.InvariantCulture),
            "--login", "remote@example.test", "--password-file", password, "--plain", "--every", "1m", "--delete"]);
        Assert.True(result.ExitCode == 0, result.ToString());

        var files = await app.MessagesAsync("poller", atLeast: 2);
        Assert.True(files.Count == 2, (await app.Cli.RunAsync(["fetch", "list", "--json"])).ToString() + string.Join("\n", app.Serve.OutputLines.Where(l => l.Contains("BoxPoller", StringComparison.Ordinal) || l.Contains("Box poll", StringComparison.Ordinal))));
        var remoteInbox = Path.Combine(server.Root, "home", "remote", "Maildir");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (Directory.GetFiles(Path.Combine(remoteInbox, "cur")).Length + Directory.GetFiles(Path.Combine(remoteInbox, "new")).Length > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the messages stayed on the server");
            await Task.Delay(100);
        }

        var list = await app.Cli.RunAsync(["fetch", "list", user, "--json"]);
        Assert.Contains("\"lastResult\":\"fetched 2, duplicates 0, skipped 0, failed 0\"", list.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await app.Cli.RunAsync(["fetch", "remove", user])).ExitCode);
        Assert.Equal("[]\n", (await app.Cli.RunAsync(["fetch", "list", user, "--json"])).Output);
    }
}
