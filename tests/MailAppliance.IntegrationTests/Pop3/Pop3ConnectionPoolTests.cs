using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>
/// Logged-in POP3 sessions hold their maildrop locks without holding database connections: with 60 of them open
/// (more than the pool's 50 connections), RCPT and IMAP LOGIN still answer at once. Before the locks became leases
/// each session pinned a pooled connection, and the 51st request of anyone waited for the pool's time-out.
/// </summary>
public sealed class Pop3ConnectionPoolTests : IClassFixture<Pop3ApplianceFixture>
{
    private const int Sessions = 60;
    private readonly Pop3ApplianceFixture _app;

    public Pop3ConnectionPoolTests(Pop3ApplianceFixture app) => _app = app;

    [Fact]
    public async Task Sixty_logged_in_POP3_sessions_leave_RCPT_and_IMAP_LOGIN_answering_within_a_second()
    {
        await using (var database = StorageDatabase.Create(_app.ConnectionString))
        {
            var directory = new AccountDirectory(database);
            var hash = new PasswordHasher(PasswordHasher.MinimumIterations).Hash("pw");
            for (var i = 0; i < Sessions; i++)
            {
                await directory.AddUserAsync(MailAddress.Parse($"pool{i}@example.test"), hash, null);
            }
        }

        var (exit, output) = await Pop3ApplianceFixture.Python($$"""
            import poplib, socket, ssl, smtplib, imaplib, time
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            class From(poplib.POP3):
                # 20 connections per client address at most: spread the sessions over 127.0.0.2, .3, .4 ...
                def __init__(self, source, *a, **k):
                    self.source = source
                    super().__init__(*a, **k)
                def _create_socket(self, timeout):
                    return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))
            sessions = []
            for i in range({{Sessions}}):
                p = From("127.0.0.%d" % (2 + i // 15), "127.0.0.1", {{_app.Pop3Port}}, timeout=30)
                p.stls(ctx)
                p.user("pool%d@example.test" % i)
                p.pass_("pw")
                sessions.append(p)
            print("LOGGED-IN", len(sessions))
            start = time.monotonic()
            s = smtplib.SMTP("127.0.0.1", {{_app.SmtpPort}}, timeout=30)
            s.ehlo("client.example.net")
            s.mail("sender@example.net")
            code, _ = s.rcpt("alice@example.test")
            print("RCPT", code, round(time.monotonic() - start, 3))
            s.quit()
            start = time.monotonic()
            m = imaplib.IMAP4("127.0.0.1", {{_app.ImapPort}}, timeout=30)
            m.starttls(ctx)
            typ, _ = m.login("alice@example.test", "pw")
            print("LOGIN", typ, round(time.monotonic() - start, 3))
            m.logout()
            for p in sessions:
                p.stat()
                p.quit()
            print("DONE")
            """);
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p.Skip(1).ToArray());
        Assert.Equal(Sessions.ToString(System.Globalization.CultureInfo.InvariantCulture), lines["LOGGED-IN"][0]);
        Assert.Equal("250", lines["RCPT"][0]);
        Assert.True(double.Parse(lines["RCPT"][1], System.Globalization.CultureInfo.InvariantCulture) < 1.0, output);
        Assert.Equal("OK", lines["LOGIN"][0]);
        Assert.True(double.Parse(lines["LOGIN"][1], System.Globalization.CultureInfo.InvariantCulture) < 1.0, output);
        Assert.Contains("DONE", output, StringComparison.Ordinal);
    }
}
