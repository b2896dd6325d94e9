using System.Text;

namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>The POP3 server of the real appliance, driven by python3's poplib: mail arrives over SMTP first.</summary>
public sealed class Pop3SessionTests : IClassFixture<Pop3ApplianceFixture>
{
    private const string Preamble = """
        import poplib, ssl, sys, base64, time, os
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        def err(f, *a):
            try:
                return "OK " + str(f(*a))
            except poplib.error_proto as e:
                return str(e.args[0].decode() if isinstance(e.args[0], bytes) else e.args[0])
        """;

    private readonly Pop3ApplianceFixture _app;

    public Pop3SessionTests(Pop3ApplianceFixture app) => _app = app;

    private static string Message(string subject, string body) =>
        $"From: sender@example.net\r\nTo: someone@example.test\r\nSubject: {subject}\r\n\r\n{body}";

    private async Task<Dictionary<string, string>> RunAsync(string script)
    {
        var (exit, output) = await Pop3ApplianceFixture.Python(Preamble + "\n" + script);
        Assert.True(exit == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains(' ', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(' ', StringComparison.Ordinal)], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..].TrimEnd('\r'));
    }

    private static string Crlf(byte[] file) => Encoding.Latin1.GetString(file).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);

    [Fact]
    public async Task Stls_then_user_pass_stat_list_uidl_retr_top()
    {
        var user = await _app.UserAsync("reader");
        await _app.DeliverAsync("reader", Message("one", "first\r\n.leading dot\r\n"), Message("two", "second\r\nline 2\r\nline 3\r\n"));
        var files = _app.Messages("reader");
        var result = await RunAsync($$"""
            p = poplib.POP3("127.0.0.1", {{_app.Pop3Port}}, timeout=30)
            print("CAPA-PLAIN", sorted(p.capa()))
            print("USER-PLAIN", err(p.user, "{{user}}"))
            print("AUTH-PLAIN", err(p._shortcmd, "AUTH PLAIN " + base64.b64encode(b"\0{{user}}\0pw").decode()))
            p.stls(ctx)
            print("CAPA-TLS", sorted(p.capa()))
            p.user("{{user}}")
            print("LOGIN", p.pass_("pw").decode())
            print("STAT", p.stat())
            print("LIST", [l.decode() for l in p.list()[1]])
            print("UIDL", [l.decode() for l in p.uidl()[1]])
            print("UIDL1", p.uidl(1).decode())
            resp, lines, octets = p.retr(1)
            print("RETR1", base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
            resp, lines, octets = p.retr(2)
            print("RETR2", base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
            resp, lines, octets = p.top(2, 1)
            print("TOP", base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
            print("RETR9", err(p.retr, 9))
            print("NOOP", p.noop().decode())
            print("QUIT", p.quit().decode())
            """);

        Assert.Contains("'STLS'", result["CAPA-PLAIN"], StringComparison.Ordinal);
        Assert.DoesNotContain("'USER'", result["CAPA-PLAIN"], StringComparison.Ordinal);
        Assert.DoesNotContain("'SASL'", result["CAPA-PLAIN"], StringComparison.Ordinal);
        Assert.StartsWith("-ERR [AUTH]", result["USER-PLAIN"], StringComparison.Ordinal);
        Assert.StartsWith("-ERR [AUTH]", result["AUTH-PLAIN"], StringComparison.Ordinal);
        Assert.Contains("'USER'", result["CAPA-TLS"], StringComparison.Ordinal);
        Assert.Contains("'SASL'", result["CAPA-TLS"], StringComparison.Ordinal);
        Assert.DoesNotContain("'STLS'", result["CAPA-TLS"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["LOGIN"], StringComparison.Ordinal);

        // The delivery order decides the UIDs, so the files are matched by content.
        var retrieved = new[] { result["RETR1"], result["RETR2"] }.Select(r => Encoding.Latin1.GetString(Convert.FromBase64String(r))).ToList();
        Assert.Equal(files.Select(f => Crlf(File.ReadAllBytes(f))).Order(StringComparer.Ordinal), retrieved.Order(StringComparer.Ordinal));
        Assert.Equal($"(2, {retrieved[0].Length + retrieved[1].Length})", result["STAT"]);
        Assert.Equal($"['1 {retrieved[0].Length}', '2 {retrieved[1].Length}']", result["LIST"]);
        Assert.Matches(@"^\['1 00000001[0-9a-f]{8}', '2 00000002[0-9a-f]{8}'\]$", result["UIDL"]);
        Assert.Matches("^\\+OK 1 00000001[0-9a-f]{8}$", result["UIDL1"]);
        Assert.Contains(retrieved, r => r.Contains("\r\n.leading dot\r\n", StringComparison.Ordinal));
        var bodyStart = retrieved[1].IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var firstBodyLine = retrieved[1][..(retrieved[1].IndexOf("\r\n", bodyStart, StringComparison.Ordinal) + 2)];
        Assert.Equal(firstBodyLine, Encoding.Latin1.GetString(Convert.FromBase64String(result["TOP"])));
        Assert.StartsWith("-ERR", result["RETR9"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["NOOP"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["QUIT"], StringComparison.Ordinal);
        Assert.Equal(2, _app.Messages("reader").Count);
    }

    [Fact]
    public async Task Dele_removes_only_at_quit_rset_unmarks_and_a_dropped_connection_deletes_nothing()
    {
        var user = await _app.UserAsync("deleter");
        await _app.DeliverAsync("deleter", Message("a", "a\r\n"), Message("b", "b\r\n"), Message("c", "c\r\n"));
        var result = await RunAsync($$"""
            def login():
                for _ in range(100):
                    p = poplib.POP3_SSL("127.0.0.1", {{_app.Pop3sPort}}, context=ctx, timeout=30)
                    p.user("{{user}}")
                    r = err(p.pass_, "pw")
                    if "IN-USE" not in r:
                        return p
                    p.quit(); time.sleep(0.05)
                raise Exception("still in use")
            p = login()
            uidls = [l.decode().split()[1] for l in p.uidl()[1]]
            print("DELE1", p.dele(1).decode())
            print("RETR-DELETED", err(p.retr, 1))
            print("DELE-AGAIN", err(p.dele, 1))
            print("STAT-MARKED", p.stat())
            print("RSET", p.rset().decode())
            print("STAT-RSET", p.stat())
            p.dele(2)
            p.sock.shutdown(2); p.sock.close()  # drops the connection without QUIT
            p = login()
            print("STAT-AFTER-DROP", p.stat())
            p.dele(2)
            print("QUIT", p.quit().decode())
            p = login()
            print("STAT-AFTER-QUIT", p.stat())
            left = [l.decode().split()[1] for l in p.uidl()[1]]
            print("UIDS-KEPT", left == [uidls[0], uidls[2]])
            p.quit()
            """);

        Assert.StartsWith("+OK", result["DELE1"], StringComparison.Ordinal);
        Assert.StartsWith("-ERR", result["RETR-DELETED"], StringComparison.Ordinal);
        Assert.StartsWith("-ERR", result["DELE-AGAIN"], StringComparison.Ordinal);
        Assert.StartsWith("(2, ", result["STAT-MARKED"], StringComparison.Ordinal);
        Assert.StartsWith("(3, ", result["STAT-RSET"], StringComparison.Ordinal);
        Assert.StartsWith("(3, ", result["STAT-AFTER-DROP"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["QUIT"], StringComparison.Ordinal);
        Assert.StartsWith("(2, ", result["STAT-AFTER-QUIT"], StringComparison.Ordinal);
        Assert.Equal("True", result["UIDS-KEPT"]);
        Assert.Equal(2, _app.Messages("deleter").Count);
    }

    [Fact]
    public async Task A_second_session_gets_in_use_while_the_first_lives_and_not_after_it_died()
    {
        var user = await _app.UserAsync("locked");
        await _app.DeliverAsync("locked", Message("x", "x\r\n"));
        var result = await RunAsync($$"""
            def connect():
                p = poplib.POP3("127.0.0.1", {{_app.Pop3Port}}, timeout=30)
                p.stls(ctx)
                p.user("{{user}}")
                return p
            first = connect(); first.pass_("pw")
            second = connect()
            print("SECOND", err(second.pass_, "pw"))
            second.quit()
            first.sock.shutdown(2); first.sock.close()  # dies without QUIT
            for i in range(100):
                third = connect()
                r = err(third.pass_, "pw")
                if "IN-USE" not in r:
                    break
                third.quit(); time.sleep(0.05)
            print("AFTER-DEATH", r)
            print("STAT", third.stat())
            third.quit()
            """);

        Assert.StartsWith("-ERR [IN-USE]", result["SECOND"], StringComparison.Ordinal);
        Assert.StartsWith("OK b'+OK", result["AFTER-DEATH"], StringComparison.Ordinal);
        Assert.StartsWith("(1, ", result["STAT"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auth_plain_with_initial_response_and_a_message_removed_meanwhile_is_a_clear_error()
    {
        var user = await _app.UserAsync("vanish");
        await _app.DeliverAsync("vanish", Message("gone", "soon gone\r\n"), Message("stays", "stays\r\n"));
        var files = string.Join(", ", _app.Messages("vanish").Select(f => $"\"{f}\""));
        var result = await RunAsync($$"""
            p = poplib.POP3_SSL("127.0.0.1", {{_app.Pop3sPort}}, context=ctx, timeout=30)
            print("BADAUTH", err(p._shortcmd, "AUTH PLAIN " + base64.b64encode(b"\0{{user}}\0wrong").decode()))
            print("AUTH", p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0{{user}}\0pw").decode()).decode())
            subject = [l for l in p.top(1, 0)[1] if l.startswith(b"Subject:")][0]
            os.remove([f for f in [{{files}}] if subject in open(f, "rb").read()][0])
            print("RETR-GONE", err(p.retr, 1))
            print("RETR-OK", p.retr(2)[0].decode())
            print("QUIT", p.quit().decode())
            """);

        Assert.StartsWith("-ERR [AUTH]", result["BADAUTH"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["AUTH"], StringComparison.Ordinal);
        Assert.StartsWith("-ERR Message was removed", result["RETR-GONE"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["RETR-OK"], StringComparison.Ordinal);
        Assert.StartsWith("+OK", result["QUIT"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_with_bare_lf_line_ends_is_served_in_crlf_form_and_uidls_follow_the_uidlist()
    {
        var user = await _app.UserAsync("adopted");
        await _app.DeliverAsync("adopted", Message("smtp", "via smtp\r\n"));
        var maildir = Path.GetDirectoryName(Path.GetDirectoryName(_app.Messages("adopted")[0]))!;
        // As another MDA (or an adopted Dovecot maildir) would leave it: LF line ends, a line with a leading dot.
        const string lfOnly = "From: old@example.net\nSubject: lf\n\nline one\n.dot\nlast\n";
        await File.WriteAllTextAsync(Path.Combine(maildir, "new", "1700000000.M1P1.otherhost"), lfOnly);
        var result = await RunAsync($$"""
            p = poplib.POP3_SSL("127.0.0.1", {{_app.Pop3sPort}}, context=ctx, timeout=30)
            p.user("{{user}}"); p.pass_("pw")
            print("LIST2", p.list(2).decode())
            resp, lines, octets = p.retr(2)
            print("RETR2", base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
            print("UIDL", " ".join(l.decode().split()[1] for l in p.uidl()[1]))
            p.quit()
            """);

        var crlf = lfOnly.Replace("\n", "\r\n", StringComparison.Ordinal);
        Assert.Equal($"+OK 2 {crlf.Length}", result["LIST2"]);
        Assert.Equal(crlf, Encoding.Latin1.GetString(Convert.FromBase64String(result["RETR2"])));
        // dovecot-uidlist starts "3 V<uidvalidity> N<next> ..."; UIDLs are %08Xu%08Xv in lower case.
        var header = File.ReadLines(Path.Combine(maildir, "dovecot-uidlist")).First().Split(' ');
        var uidValidity = uint.Parse(header.Single(f => f.StartsWith('V'))[1..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"00000001{uidValidity:x8} 00000002{uidValidity:x8}", result["UIDL"]);
    }
}
