using System.Security.Cryptography;
using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>The SMTP front door of the real appliance, driven by swaks, python3's smtplib and raw sockets.</summary>
public sealed class SmtpIntakeTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public SmtpIntakeTests(ApplianceFixture app) => _app = app;

    private async Task<string> UserAsync(string local)
    {
        var result = await _app.Cli.RunAsync($"user add {local}@example.test --password-stdin", "pw\n");
        Assert.True(result.ExitCode == 0 || result.Error.Contains("already exists", StringComparison.Ordinal), result.ToString());
        return $"{local}@example.test";
    }

    private static string Python(string script) => script.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public async Task A_message_sent_with_swaks_arrives_with_a_received_header_and_its_bytes()
    {
        var user = await UserAsync("swaks");
        var message = $"From: sender@example.net\r\nTo: {user}\r\nSubject: swaks\r\n\r\n..leading dot\r\nline\r\n";
        var file = Path.Combine(_app.Root, "swaks.eml");
        await File.WriteAllTextAsync(file, message);

        var (exit, output) = await ApplianceFixture.RunAsync("swaks", ["--server", $"127.0.0.1:{_app.SmtpPort}", "--from", "sender@example.net", "--to", user, "--data", "@" + file]);
        Assert.True(exit == 0, output);
        Assert.Contains("250 2.0.0 Ok: queued as", output, StringComparison.Ordinal);

        var stored = await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("swaks")));
        // RFC 5321 §4.4: the delivering MTA adds Return-Path first; Delivered-To names the mailbox; then our trace field.
        Assert.StartsWith($"Return-Path: <sender@example.net>\r\nDelivered-To: {user}\r\nReceived: from ", stored, StringComparison.Ordinal);
        Assert.Contains("by mx.example.test (MailAppliance) with ESMTP id ", stored, StringComparison.Ordinal);
        Assert.Contains($"for <{user}>", stored, StringComparison.Ordinal);
        // swaks stuffs the dot line itself (so it arrives as written) and ends DATA with one more CRLF before the dot.
        Assert.EndsWith(message + "\r\n", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Python_smtplib_sees_the_extensions_and_submits_over_starttls_with_auth()
    {
        var user = await UserAsync("submitter");
        var script = Python($$"""
            import smtplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP("127.0.0.1", {{_app.SubmissionPort}}, timeout=30)
            s.ehlo("client.example")
            print("FEATURES", sorted(s.esmtp_features))
            code, msg = s.docmd("AUTH", "PLAIN AHN1Ym1pdHRlckBleGFtcGxlLnRlc3QAcHc=")
            print("PLAINTEXT-AUTH", code, msg.decode())
            code, msg = s.docmd("MAIL", "FROM:<{{user}}>")
            print("MAIL-BEFORE-AUTH", code, msg.decode())
            s.starttls(context=ctx)
            s.ehlo("client.example")
            print("TLS-FEATURES", sorted(s.esmtp_features))
            s.login("{{user}}", "pw")
            s.sendmail("{{user}}", ["{{user}}"], "Subject: via submission\r\n\r\nhello\r\n")
            s.quit()
            print("DONE")
            """);
        var (exit, output) = await ApplianceFixture.RunAsync("python3", ["-c", script]);
        Assert.True(exit == 0, output);
        foreach (var feature in new[] { "'pipelining'", "'size'", "'8bitmime'", "'smtputf8'", "'enhancedstatuscodes'", "'chunking'", "'starttls'" })
        {
            Assert.Contains(feature, output.Split('\n').First(l => l.StartsWith("FEATURES", StringComparison.Ordinal)), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("'auth'", output.Split('\n').First(l => l.StartsWith("FEATURES", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("PLAINTEXT-AUTH 538 5.7.11", output, StringComparison.Ordinal);
        Assert.Contains("MAIL-BEFORE-AUTH 530 5.7.0", output, StringComparison.Ordinal);
        Assert.Contains("'auth'", output.Split('\n').First(l => l.StartsWith("TLS-FEATURES", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("'starttls'", output.Split('\n').First(l => l.StartsWith("TLS-FEATURES", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("DONE", output, StringComparison.Ordinal);
        Assert.Single(await _app.MessagesAsync("submitter"));
    }

    [Fact]
    public async Task Implicit_tls_submission_with_swaks_and_a_wrong_password_is_refused()
    {
        var user = await UserAsync("implicit");
        var good = await ApplianceFixture.RunAsync("swaks", ["--server", $"127.0.0.1:{_app.SubmissionsPort}", "--tlsc", "--auth", "LOGIN", "--auth-user", user, "--auth-password", "pw", "--from", user, "--to", user]);
        Assert.True(good.ExitCode == 0, good.Output);
        var bad = await ApplianceFixture.RunAsync("swaks", ["--server", $"127.0.0.1:{_app.SubmissionsPort}", "--tlsc", "--auth", "PLAIN", "--auth-user", user, "--auth-password", "nope", "--from", user, "--to", user]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("535 5.7.8", bad.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<friend@elsewhere.example>", "550 5.7.1")]
    [InlineData("<victim%elsewhere.example@example.test>", "550 5.7.1")]
    [InlineData("<elsewhere.example!victim@example.test>", "550 5.7.1")]
    [InlineData("<@example.test:victim@elsewhere.example>", "550 5.7.1")]
    [InlineData("<\"victim@elsewhere.example\"@example.test>", "550 5.7.1")]
    [InlineData("<victim@[192.0.2.1]>", "550 5.7.1")]
    [InlineData("<nobody@example.test>", "550 5.1.1")]
    [InlineData("<bad address@example.test>", "501 5.1.3")]
    public async Task The_mx_is_no_open_relay_and_refuses_unknown_users_at_rcpt(string path, string reply)
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO attacker.example");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<spammer@attacker.example>");
        await smtp.Expect("250 2.1.0");
        await smtp.Send($"RCPT TO:{path}");
        await smtp.Expect(reply);
    }

    [Fact]
    public async Task The_bare_postmaster_reaches_the_postmaster_of_a_local_domain()
    {
        var result = await _app.Cli.RunAsync("alias add postmaster@example.test alice@example.test");
        Assert.True(result.ExitCode == 0 || result.Error.Contains("already", StringComparison.Ordinal), result.ToString());
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await smtp.Send("MAIL FROM:<>");
        await smtp.Expect("250");
        await smtp.Send("RCPT TO:<Postmaster>");
        await smtp.Expect("250 2.1.5");
    }

    [Fact]
    public async Task Only_crlf_dot_crlf_ends_data_so_a_smuggled_message_stays_inside_the_first()
    {
        var user = await UserAsync("smuggle");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<a@example.net>\r\nRCPT TO:<{user}>\r\nDATA");
        await smtp.Expect("250");
        await smtp.Expect("250");
        await smtp.Expect("354");
        await smtp.Send($"Subject: outer\r\n\r\ntext\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<{user}>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n");
        await smtp.Expect("250 2.0.0 Ok: queued as");
        await smtp.Send("QUIT");
        await smtp.Expect("221");

        var files = await _app.MessagesAsync("smuggle");
        await Task.Delay(500);
        files = await _app.MessagesAsync("smuggle");
        var content = await File.ReadAllTextAsync(Assert.Single(files));
        Assert.Contains("MAIL FROM:<evil@example.net>", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_order()
    {
        var user = await UserAsync("pipeline");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send($"EHLO client.example\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<{user}>\r\nDATA");
        await smtp.Expect("250-mx.example.test");
        await smtp.Expect("250 2.1.0");
        await smtp.Expect("550 5.1.1");
        await smtp.Expect("250 2.1.5");
        await smtp.Expect("354");
        await smtp.Send("Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT");
        await smtp.Expect("250 2.0.0");
        await smtp.Expect("221");
        Assert.Single(await _app.MessagesAsync("pipeline"));
    }

    [Fact]
    public async Task Bdat_chunks_make_one_message()
    {
        var user = await UserAsync("chunks");
        var part1 = "Subject: chunked\r\n\r\nfirst part, "u8.ToArray();
        var part2 = "second part.\r\n.leading dot kept\r\n"u8.ToArray();
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await smtp.Send($"MAIL FROM:<a@example.net> BODY=BINARYMIME\r\nRCPT TO:<{user}>");
        await smtp.Expect("250");
        await smtp.Expect("250");
        await smtp.Send($"BDAT {part1.Length}");
        await smtp.SendRaw(part1);
        await smtp.Expect($"250 2.0.0 {part1.Length} octets received");
        await smtp.Send($"BDAT {part2.Length} LAST");
        await smtp.SendRaw(part2);
        await smtp.Expect("250 2.0.0 Ok: queued as");
        var content = await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync("chunks")));
        Assert.EndsWith("Subject: chunked\r\n\r\nfirst part, second part.\r\n.leading dot kept\r\n", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_size_recipients_line_length_and_bad_sequences()
    {
        var user = await UserAsync("limits");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("MAIL FROM:<a@example.net>");
        await smtp.Expect("503 5.5.1");
        await smtp.Send("EHLO client.example");
        var ehlo = await smtp.Expect("250");
        Assert.Contains($"SIZE {3 * 1024 * 1024}", ehlo, StringComparison.Ordinal);
        await smtp.Send("RCPT TO:<" + user + ">");
        await smtp.Expect("503 5.5.1");
        await smtp.Send("MAIL FROM:<a@example.net> SIZE=99999999");
        await smtp.Expect("552 5.3.4");
        await smtp.Send("NOOP " + new string('x', 5000));
        await smtp.Expect("500 5.5.2");
        await smtp.Send("MAIL FROM:<a@example.net>");
        await smtp.Expect("250");
        for (var i = 0; i < 5; i++)
        {
            await smtp.Send($"RCPT TO:<{user}>");
            await smtp.Expect("250");
        }

        await smtp.Send("RCPT TO:<alice@example.test>");
        await smtp.Expect("452 4.5.3");
        await smtp.Send("DATA");
        await smtp.Expect("354");
        await smtp.Send("Subject: too big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('y', 998) + "\r\n", 3300)) + ".");
        await smtp.Expect("552 5.3.4");
        await smtp.Send("VRFY alice");
        await smtp.Expect("252");
        await smtp.Send("QUIT");
        await smtp.Expect("221");
    }

    [Fact]
    public async Task Repeated_errors_close_the_session()
    {
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        string reply = "";
        for (var i = 0; i < 10; i++)
        {
            await smtp.Send("BOGUS");
            reply = await smtp.ReadReplyAsync();
        }

        Assert.StartsWith("421 4.7.0", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtputf8_mail_to_an_internationalized_address()
    {
        await _app.Ok("user add 用户@example.test");
        var script = Python($$"""
            import smtplib
            s = smtplib.SMTP("127.0.0.1", {{_app.SmtpPort}}, timeout=30)
            s.ehlo("client.example")
            s.sendmail("发件人@example.net", ["用户@example.test"], "Subject: =?utf-8?b?5L2g5aW9?=\r\n\r\nnihao\r\n".encode(), mail_options=["SMTPUTF8"])
            code, msg = s.docmd("MAIL", "FROM:<发件人@example.net>")
            print("NO-SMTPUTF8", code)
            s.quit()
            """);
        var (exit, output) = await ApplianceFixture.RunAsync("python3", ["-c", script]);
        Assert.True(exit == 0, output);
        Assert.Contains("NO-SMTPUTF8 553", output, StringComparison.Ordinal);
        // The local part is stored percent-encoded on disk (docs/maildir.md); delivery runs in the background.
        string? userDirectory = null;
        for (var i = 0; i < 100 && userDirectory is null; i++)
        {
            userDirectory = Directory.GetDirectories(Path.Combine(_app.DataDirectory, "mail", "example.test")).SingleOrDefault(d => Path.GetFileName(d).StartsWith('%'));
            await Task.Delay(userDirectory is null ? 100 : 0);
        }

        Assert.Equal("%E7%94%A8%E6%88%B7", Path.GetFileName(userDirectory));
        Assert.Single(await _app.MessagesAsync(Path.GetFileName(userDirectory!)));
    }

    /// <summary>Sends with python3's smtplib (which sends the data exactly, dot-stuffed) and compares hashes.</summary>
    internal static async Task SendAndCompareAsync(ApplianceFixture app, string local, int size)
    {
        var result = await app.Cli.RunAsync($"user add {local}@example.test");
        Assert.True(result.ExitCode == 0, result.ToString());
        var body = new StringBuilder();
        var random = new Random(size);
        var line = new char[76];
        while (body.Length < size)
        {
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = (char)random.Next(33, 127);
            }

            line[0] = body.Length % 7 == 0 ? '.' : line[0]; // some lines need dot-stuffing
            body.Append(line).Append("\r\n");
        }

        var message = $"From: sender@example.net\r\nTo: {local}@example.test\r\nSubject: size {size}\r\n\r\n{body}";
        var file = Path.Combine(app.Root, $"message-{local}.eml");
        await File.WriteAllTextAsync(file, message);
        var script = $$"""
            import smtplib
            data = open("{{file}}", "rb").read()
            s = smtplib.SMTP("127.0.0.1", {{app.SmtpPort}}, timeout=120)
            s.sendmail("sender@example.net", ["{{local}}@example.test"], data)
            s.quit()
            print("SENT")
            """;
        var (exit, output) = await ApplianceFixture.RunAsync("python3", ["-c", script.Replace("\r\n", "\n", StringComparison.Ordinal)], timeout: TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, output);

        var stored = await File.ReadAllBytesAsync(Assert.Single(await app.MessagesAsync(local)));
        var start = Encoding.ASCII.GetString(stored, 0, Math.Min(stored.Length, 2000)).IndexOf("From: sender@example.net", StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(message)), SHA256.HashData(stored.AsSpan(start)));
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2 * 1024 * 1024)]
    public async Task Every_byte_of_a_message_arrives_unchanged_in_the_maildir(int size) =>
        await SendAndCompareAsync(_app, $"hash{size}", size);
}

/// <summary>An appliance with the default 50 MiB limit, for a 40 MiB message.</summary>
public sealed class LargeApplianceFixture : ApplianceFixture
{
    protected override object ExtraSmtpSettings => new { MaxMessageSize = 50 * 1024 * 1024 };
}

public sealed class LargeMessageTests : IClassFixture<LargeApplianceFixture>
{
    private readonly LargeApplianceFixture _app;

    public LargeMessageTests(LargeApplianceFixture app) => _app = app;

    [Fact]
    public async Task Every_byte_of_a_40_MiB_message_arrives_unchanged() =>
        await SmtpIntakeTests.SendAndCompareAsync(_app, "large", 40 * 1024 * 1024);
}
