using System.Text;
using System.Text.Json;
using MailAppliance.Testing;
using MailAppliance.Testing.Peers;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// Mail leaving the real appliance (<c>serve</c>): submission to a remote sink byte-exact over STARTTLS, MX fallback,
/// a 4xx retried by <c>queue retry</c>, a 5xx answered by a DSN in the sender's INBOX, null MX, DKIM that Debian's
/// python3-dkim verifies, the MAIL FROM rule of submission, and relaying for the trusted network.
/// </summary>
public sealed class OutboundTests : IClassFixture<OutboundFixture>
{
    private readonly OutboundFixture _app;

    public OutboundTests(OutboundFixture app) => _app = app;

    [Fact]
    public async Task A_submitted_message_reaches_the_remote_sink_byte_exact_over_starttls()
    {
        await using var sink = _app.Sink("exact.test");
        var message = Encoding.UTF8.GetBytes("From: alice@example.test\r\nTo: rcpt@exact.test\r\nSubject: exact\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\n.leading dot\r\n..two dots\r\nGrüße — 8-bit\r\n\ttab   \r\nlast\r\n");
        var queueId = await _app.SubmitAsync("alice@example.test", "alice@example.test", ["rcpt@exact.test", "other@exact.test"], message, "['BODY=8BITMIME']");

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(message, OutboundFixture.WithoutOurFields(received.Content));
        Assert.StartsWith("Received: from ", received.Text, StringComparison.Ordinal);
        Assert.Contains($"id {queueId}", received.Text.Split("\r\n\r\n")[0], StringComparison.Ordinal);
        Assert.NotNull(received.Tls); // STARTTLS offered, so used
        Assert.StartsWith("MAIL FROM:<alice@example.test>", received.MailFrom, StringComparison.Ordinal);
        Assert.Contains("BODY=8BITMIME", received.MailFrom, StringComparison.Ordinal);
        Assert.Equal(2, received.RcptTo.Count); // one transaction for the domain

        var show = await _app.Cli.RunAsync($"queue show {queueId} --json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("250 2.0.0 Ok: queued as SINK0", show.Output, StringComparison.Ordinal);
        Assert.Contains(_app.Serve.OutputLines, l => l.Contains(queueId, StringComparison.Ordinal) && l.Contains("TLSv1.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_second_mx_takes_the_mail_when_the_first_refuses_connections()
    {
        var down = _app.NextAddress();
        var up = _app.NextAddress();
        _app.Dns.Mx("fallback.test", 10, "mx1.fallback.test").Mx("fallback.test", 20, "mx2.fallback.test")
            .A("mx1.fallback.test", down.ToString()).A("mx2.fallback.test", up.ToString());
        await using var sink = SmtpSink.Start(null, up, _app.DeliveryPort);
        await _app.SubmitAsync("alice@example.test", "alice@example.test", ["x@fallback.test"], OutboundFixture.Message("alice@example.test", "x@fallback.test", "fallback"));
        Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_4xx_twice_then_delivered_once_with_every_reply_in_queue_show()
    {
        var rcpts = 0;
        await using var sink = _app.Sink("grey.test", new SmtpSinkOptions
        {
            Reply = (verb, _) =>
            {
                if (verb != "RCPT")
                {
                    return null;
                }

                var n = Interlocked.Increment(ref rcpts);
                return n <= 2 ? "450 4.2.0 <x@grey.test>: Recipient address rejected: Greylisted" : null;
            },
        });
        var queueId = await _app.SubmitAsync("alice@example.test", "alice@example.test", ["x@grey.test"], OutboundFixture.Message("alice@example.test", "x@grey.test", "grey"));

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            await WaitForAsync(async () => (await ShowAsync(queueId)).GetProperty("attempts").GetArrayLength() >= attempt);
            Assert.Equal("deferred", (await ShowAsync(queueId)).GetProperty("recipients")[0].GetProperty("status").GetString());
            var retry = await _app.Cli.RunAsync($"queue retry {queueId}");
            Assert.True(retry.ExitCode == 0, retry.ToString());
        }

        Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        await WaitForAsync(async () => (await ShowAsync(queueId)).GetProperty("attempts").GetArrayLength() == 3);
        var attempts = (await ShowAsync(queueId)).GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("reply").GetString()).ToList();
        Assert.Equal(["450 4.2.0 <x@grey.test>: Recipient address rejected: Greylisted", "450 4.2.0 <x@grey.test>: Recipient address rejected: Greylisted", "250 2.0.0 Ok: queued as SINK0"], attempts);
        Assert.Single(sink.Messages);
    }

    [Fact]
    public async Task A_5xx_brings_a_dsn_into_the_senders_inbox_and_null_mx_bounces_at_once()
    {
        await using var sink = _app.Sink("strict.test", new SmtpSinkOptions { Reply = (verb, _) => verb == "RCPT" ? "550 5.1.1 <nobody@strict.test>: Recipient address rejected: User unknown" : null });
        _app.Dns.NullMx("nomail.test");
        var before = (await _app.MessagesAsync("bob", atLeast: 0)).Count;
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["nobody@strict.test"], OutboundFixture.Message("bob@example.test", "nobody@strict.test", "doomed"), "['RET=HDRS', 'ENVID=bob-1']");
        await _app.SubmitAsync("bob@example.test", "bob@example.test", ["x@nomail.test"], OutboundFixture.Message("bob@example.test", "x@nomail.test", "nowhere"));

        var files = await _app.MessagesAsync("bob", atLeast: before + 2);
        var dsns = files.Skip(before).Select(File.ReadAllText).ToList();
        Assert.Equal(2, dsns.Count);
        var failure = dsns.Single(d => d.Contains("strict.test", StringComparison.Ordinal));
        Assert.StartsWith("Return-Path: <>\r\n", failure, StringComparison.Ordinal);
        Assert.Contains("From: Mail Delivery System <MAILER-DAEMON@mx.example.test>", failure, StringComparison.Ordinal);
        Assert.Contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@strict.test>: Recipient", failure, StringComparison.Ordinal);
        Assert.Contains("Original-Envelope-Id: bob-1", failure, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/rfc822-headers", failure, StringComparison.Ordinal);
        Assert.Contains("Status: 5.1.10", dsns.Single(d => d.Contains("nomail.test", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_of_a_user_is_dkim_signed_so_that_python3_dkim_verifies_it()
    {
        await _app.Ok("domain add signed.test");
        await _app.Ok("user add dora@signed.test --password-stdin", "pw\n");
        await using var sink = _app.Sink("verifier.test");

        // Before the domain has a key its mail leaves unsigned; serve remembers that, and forgets it when a key is made.
        await _app.SubmitAsync("dora@signed.test", "dora@signed.test", ["v@verifier.test"], OutboundFixture.Message("dora@signed.test", "v@verifier.test", "unsigned"));
        Assert.DoesNotContain("DKIM-Signature", Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).Text, StringComparison.Ordinal);
        await _app.Ok("dkim generate signed.test --selector s1");
        var record = (await _app.Cli.RunAsync("dns records signed.test --json")).Output;
        using (var json = JsonDocument.Parse(record))
        {
            var dkim = json.RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "s1._domainkey.signed.test.");
            _app.Dns.Txt("s1._domainkey.signed.test", dkim.GetProperty("value").GetString()!);
        }

        var message = OutboundFixture.Message("Dora <dora@signed.test>", "v@verifier.test", "signed", "A body\r\n\r\nwith an empty line and trailing spaces   \r\n");
        await _app.SubmitAsync("dora@signed.test", "dora@signed.test", ["v@verifier.test"], message);

        var received = (await sink.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30)))[1];
        var signature = received.Text[..received.Text.IndexOf("\r\nReceived: ", StringComparison.Ordinal)];
        Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; ", signature, StringComparison.Ordinal);
        Assert.Contains("d=signed.test; s=s1;", signature, StringComparison.Ordinal);
        Assert.Equal(message, OutboundFixture.WithoutOurFields(received.Content)); // prepended, never re-serialized
        var (exit, output) = await DkimPeer.RunAsync(_app.Dns.Endpoint.Port, received.Content, "dkimverify");
        Assert.True(exit == 0, output);
        Assert.Contains("signature ok", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authenticated_user_may_send_only_as_their_own_addresses_and_aliases()
    {
        var script = $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP("127.0.0.1", {{_app.SubmissionPort}}, timeout=30)
            s.ehlo("client.example"); s.starttls(context=ctx); s.ehlo("client.example"); s.login("alice@example.test", "pw")
            for sender in ["bob@example.test", "ceo@elsewhere.example", "ALICE@Example.test", "sales@example.test", ""]:
                code, reply = s.mail(sender)
                print(sender or "<>", code, reply.decode())
                s.rset()
            s.quit()
            """.Replace("\r\n", "\n", StringComparison.Ordinal);
        var (exit, output) = await ApplianceFixture.RunAsync("python3", ["-c", script]);
        Assert.True(exit == 0, output);
        Assert.Contains("bob@example.test 553 5.7.1 Sender address rejected: not owned by the authenticated user", output, StringComparison.Ordinal);
        Assert.Contains("ceo@elsewhere.example 553 5.7.1", output, StringComparison.Ordinal);
        Assert.Contains("ALICE@Example.test 250", output, StringComparison.Ordinal);
        Assert.Contains("sales@example.test 250", output, StringComparison.Ordinal);
        Assert.Contains("<> 250", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_of_the_trusted_network_relays_without_auth_and_its_mail_leaves()
    {
        await using var sink = _app.Sink("relayed.test");
        var message = OutboundFixture.Message("app@internal.example", "x@relayed.test", "from the trusted network");
        await _app.SubmitAsync(null, "app@internal.example", ["x@relayed.test"], message);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(message, OutboundFixture.WithoutOurFields(received.Content));
        Assert.StartsWith("MAIL FROM:<app@internal.example>", received.MailFrom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debian_postfix_as_the_receiving_mta_takes_the_message_over_starttls()
    {
        var pem = TestDirectories.Create("postfix-receiver-tls");
        try
        {
            await using var postfix = await PostfixServer.StartAsync(new PostfixOptions
            {
                HostName = "mx.postfix.test",
                Domain = "postfix.test",
                Address = _app.NextAddress().ToString(),
                Port = _app.DeliveryPort,
                Tls = _app.Certificates.WritePem(_app.Certificates.Issue("mx.postfix.test"), pem, "mx"),
            });
            _app.Dns.Mx("postfix.test", 10, "mx.postfix.test").A("mx.postfix.test", postfix.Address);
            var message = OutboundFixture.Message("alice@example.test", "pf@postfix.test", "to postfix", ".dot line\r\nGrüße\r\n");
            var marker = System.Text.RegularExpressions.Regex.Match(Encoding.UTF8.GetString(message), "Message-ID: <([^>]+)>").Groups[1].Value;
            await _app.SubmitAsync("alice@example.test", "alice@example.test", ["pf@postfix.test"], message);

            var stored = await postfix.WaitForMessageAsync(marker, TimeSpan.FromSeconds(60));
            var text = Encoding.UTF8.GetString(stored);
            // virtual(8) stores LF line ends; the bytes are otherwise what was submitted.
            Assert.EndsWith(Encoding.UTF8.GetString(message).Replace("\r\n", "\n", StringComparison.Ordinal), text, StringComparison.Ordinal);
            Assert.Contains("Return-Path: <alice@example.test>", text, StringComparison.Ordinal);
            Assert.Contains("(using TLSv1.3", text, StringComparison.Ordinal); // Postfix's Received field records the TLS session
        }
        finally
        {
            TestDirectories.Delete(pem);
        }
    }

    private async Task<JsonElement> ShowAsync(string queueId)
    {
        var show = await _app.Cli.RunAsync($"queue show {queueId} --json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using var json = JsonDocument.Parse(show.Output);
        return json.RootElement.Clone();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(100);
        }
    }
}
