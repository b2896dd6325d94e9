namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>
/// Mail arriving over SMTP while a POP3 session reads and deletes: RFC 1939 §4 keeps the session's numbering (its
/// snapshot) fixed, the UPDATE state removes only what the session marked, and the next login sees the new mail.
/// </summary>
public sealed class Pop3ConcurrentDeliveryTests : IClassFixture<Pop3ApplianceFixture>
{
    private const int Before = 8;
    private const int During = 12;

    private readonly Pop3ApplianceFixture _app;

    public Pop3ConcurrentDeliveryTests(Pop3ApplianceFixture app) => _app = app;

    [Fact]
    public async Task Delivery_during_a_retr_loop_keeps_the_snapshot_and_the_next_login_sees_every_new_message()
    {
        var user = await _app.UserAsync("busy");
        await _app.DeliverAsync("busy", Enumerable.Range(1, Before).Select(n => $"Subject: early {n}\r\n\r\nearly body {n}\r\n").ToArray());
        var maildir = Path.Combine(_app.DataDirectory, "mail", "example.test", "busy", "Maildir");

        var (exit, output) = await Pop3ApplianceFixture.Python($$"""
            import poplib, smtplib, ssl, threading, time, os
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            def count():
                return sum(len(os.listdir(os.path.join("{{maildir}}", d))) for d in ("new", "cur"))
            def login():
                for _ in range(100):
                    p = poplib.POP3_SSL("127.0.0.1", {{_app.Pop3sPort}}, context=ctx, timeout=30)
                    p.user("{{user}}")
                    try:
                        p.pass_("pw")
                        return p
                    except poplib.error_proto as e:
                        if b"IN-USE" not in e.args[0]:
                            raise
                    p.quit(); time.sleep(0.05)
                raise Exception("still in use")
            def subject(p, n):
                return [l.decode() for l in p.top(n, 0)[1] if l.startswith(b"Subject:")][0][9:]

            p = login()
            stat0 = p.stat()
            uidl0 = [l.decode() for l in p.uidl()[1]]
            list0 = [l.decode() for l in p.list()[1]]
            errors = []
            def deliver():
                try:
                    s = smtplib.SMTP("127.0.0.1", {{_app.SmtpPort}}, timeout=30)
                    for i in range(1, {{During}} + 1):
                        s.sendmail("sender@example.net", ["{{user}}"], ("Subject: late %d\r\n\r\nlate body %d\r\n" % (i, i)).encode())
                        time.sleep(0.05)
                    s.quit()
                except Exception as e:
                    errors.append(repr(e))
            sender = threading.Thread(target=deliver)
            sender.start()

            # RETR every message, slowly and over and over, until all the new mail is in the maildir.
            mismatches = []
            passes = 0
            deadline = time.time() + 20
            while passes == 0 or ((sender.is_alive() or count() < {{Before + During}}) and time.time() < deadline):
                for n in range(1, stat0[0] + 1):
                    resp, lines, octets = p.retr(n)
                    body = b"".join(l + b"\r\n" for l in lines)
                    if len(body) != int(list0[n - 1].split()[1]) or b"early body" not in body:
                        mismatches.append(n)
                    time.sleep(0.02)
                if p.stat() != stat0 or [l.decode() for l in p.uidl()[1]] != uidl0 or [l.decode() for l in p.list()[1]] != list0:
                    mismatches.append("pass %d" % passes)
                passes += 1
            sender.join()
            print("PASSES", passes)
            print("COUNT-DURING", count())
            print("MISMATCHES", mismatches)
            print("ERRORS", errors)
            for n in range(1, stat0[0] + 1):
                p.dele(n)
            print("QUIT", p.quit().decode())

            p = login()
            print("STAT-NEXT", p.stat()[0])
            print("SUBJECTS-NEXT", ",".join(sorted(subject(p, n) for n in range(1, p.stat()[0] + 1))))
            uidl1 = [l.decode().split()[1] for l in p.uidl()[1]]
            print("OLD-UIDLS-LEFT", len(set(uidl1) & set(l.split()[1] for l in uidl0)))
            p.quit()
            """);
        Assert.True(exit == 0, output);
        var result = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l[..l.IndexOf(' ', StringComparison.Ordinal)], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..].TrimEnd('\r'));

        Assert.Equal("[]", result["ERRORS"]);
        Assert.Equal("[]", result["MISMATCHES"]);
        Assert.Equal((Before + During).ToString(System.Globalization.CultureInfo.InvariantCulture), result["COUNT-DURING"]);
        Assert.StartsWith("+OK", result["QUIT"], StringComparison.Ordinal);
        // The QUIT removed the session's snapshot only, not the messages delivered while it ran.
        Assert.Equal(During.ToString(System.Globalization.CultureInfo.InvariantCulture), result["STAT-NEXT"]);
        Assert.Equal(string.Join(",", Enumerable.Range(1, During).Select(i => $"late {i}").Order(StringComparer.Ordinal)), result["SUBJECTS-NEXT"]);
        Assert.Equal("0", result["OLD-UIDLS-LEFT"]);
        Assert.Equal(During, _app.Messages("busy").Count);
    }
}
