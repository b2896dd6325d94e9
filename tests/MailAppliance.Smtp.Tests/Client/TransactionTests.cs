using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Testing;
using static MailAppliance.Smtp.Tests.Client.SinkHarness;

namespace MailAppliance.Smtp.Tests.Client;

public class TransactionTests
{
    private static readonly string[] NoChunking = ["PIPELINING", "SIZE 10485760", "8BITMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES"];

    /// <summary>A message with the octets that trip re-serialisers: dots, long and 8-bit lines, a DKIM-Signature.</summary>
    private static byte[] Awkward() => Encoding.UTF8.GetBytes(
        "DKIM-Signature: v=1; a=rsa-sha256; d=origin.test; s=s1; h=from:to:subject;\r\n\tbh=abc=; b=xyz\r\n"
        + "From: sender@origin.test\r\nTo: rcpt@example.test\r\nSubject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + ".a line that starts with a dot\r\n.\r\n..\r\nGrüße aus Köln\r\n" + new string('x', 990) + "\r\n   trailing spaces   \r\n\r\n");

    [Fact]
    public async Task Data_delivers_the_spooled_bytes_exactly_with_dots_stuffed_on_the_wire_only()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = NoChunking });
        var body = Awkward();
        var outcome = await SendAsync(sink, Envelope(body, "rcpt@example.test") with { Body = BodyType.EightBitMime }, body);

        Assert.True(outcome.AllDelivered, string.Join("; ", outcome.Recipients.Select(r => r.Result)));
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.False(message.Bdat);
        Assert.Equal(body, message.Content);
        Assert.Equal("MAIL FROM:<sender@origin.test> SIZE=" + body.Length + " BODY=8BITMIME", message.MailFrom);
        Assert.StartsWith("250 2.0.0 Ok: queued as", outcome.DataReply!.ToString());
        Assert.Equal(outcome.DataReply.ToString(), outcome.Recipients[0].Reply!.ToString());
    }

    [Fact]
    public async Task Bdat_is_used_when_chunking_is_offered_and_the_bytes_arrive_exactly()
    {
        await using var sink = SmtpSink.Start();
        var body = Awkward();
        var options = Options() with { ChunkSize = 100 }; // several chunks, the last one short
        var outcome = await SendAsync(sink, Envelope(body, "rcpt@example.test"), body, options: options);

        Assert.True(outcome.AllDelivered);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.True(message.Bdat);
        Assert.Equal(body, message.Content);
        Assert.Contains(sink.Commands, c => c == "BDAT 100");
        Assert.Contains(sink.Commands, c => c == $"BDAT {body.Length % 100} LAST");
    }

    [Fact]
    public async Task A_body_of_exactly_whole_chunks_ends_with_an_empty_last_chunk_or_a_full_one()
    {
        await using var sink = SmtpSink.Start();
        var body = Encoding.ASCII.GetBytes(new string('a', 98) + "\r\n" + new string('b', 98) + "\r\n");
        var outcome = await SendAsync(sink, Envelope(body, "rcpt@example.test"), body, options: Options() with { ChunkSize = 100 });
        Assert.True(outcome.AllDelivered);
        Assert.Equal(body, Assert.Single(await sink.WaitForMessagesAsync(1)).Content);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_multi_megabyte_message_with_dots_on_chunk_boundaries_arrives_exactly(bool chunking)
    {
        await using var sink = SmtpSink.Start(chunking ? null : new SmtpSinkOptions { Keywords = NoChunking });
        var text = new StringBuilder("Subject: big\r\n\r\n");
        var random = new Random(7);
        while (text.Length < 3_000_000)
        {
            // Lines of every length, many starting with a dot, so that line starts fall on every chunk offset.
            text.Append(random.Next(3) == 0 ? "." : "").Append('x', random.Next(0, 120)).Append("\r\n");
        }

        var body = Encoding.ASCII.GetBytes(text.ToString());
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body, options: Options() with { ChunkSize = 4093 });
        Assert.True(outcome.AllDelivered, outcome.Recipients[0].Result);
        Assert.Equal(body, Assert.Single(await sink.WaitForMessagesAsync(1)).Content);
    }

    [Fact]
    public async Task Mail_rcpts_and_data_go_in_one_write_when_pipelining_is_offered()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = NoChunking });
        var body = Message();
        await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        await sink.WaitForMessagesAsync(1);
        Assert.Contains(sink.Reads, read => read.Count == 4 && read[0].StartsWith("MAIL FROM:", StringComparison.Ordinal) && read[3] == "DATA");
    }

    [Fact]
    public async Task Without_pipelining_each_command_waits_for_its_reply()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["8BITMIME", "ENHANCEDSTATUSCODES"] });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        Assert.True(outcome.AllDelivered);
        Assert.DoesNotContain(sink.Reads, read => read.Count > 1 && read.Any(l => l.StartsWith("RCPT", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Each_recipient_keeps_its_own_reply_verbatim()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = (verb, argument) => (verb, argument) switch
            {
                ("RCPT", "later@example.test") => "450 4.2.0 <later@example.test>: Recipient address rejected: Greylisted, see https://example.test/grey",
                ("RCPT", "nobody@example.test") => "550-5.1.1 <nobody@example.test>: Recipient address rejected:\r\n550 5.1.1 User unknown in virtual mailbox table",
                _ => null,
            },
        });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "ok@example.test", "later@example.test", "nobody@example.test"), body);

        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Deferred, RecipientStatus.Bounced], outcome.Recipients.Select(r => r.Status));
        Assert.Equal("450 4.2.0 <later@example.test>: Recipient address rejected: Greylisted, see https://example.test/grey", outcome.Recipients[1].Reply!.ToString());
        Assert.Equal(new EnhancedStatusCode(4, 2, 0), outcome.Recipients[1].StatusCode);
        Assert.Equal("550-5.1.1 <nobody@example.test>: Recipient address rejected:\r\n550 5.1.1 User unknown in virtual mailbox table", outcome.Recipients[2].Reply!.ToString());
        Assert.Equal("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table", outcome.Recipients[2].Result);
        Assert.Equal("mx.example.test[127.0.0.1]:" + sink.Port, outcome.Recipients[2].RemoteHost);
        Assert.Equal(["RCPT TO:<ok@example.test>"], Assert.Single(await sink.WaitForMessagesAsync(1)).RcptTo);
    }

    [Fact]
    public async Task The_data_phase_reply_settles_every_accepted_recipient()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = (verb, _) => verb == "." ? "554 5.7.1 Message rejected as spam (score 12.3)" : null,
        });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Bounced, r.Status));
        Assert.Equal("554 5.7.1 Message rejected as spam (score 12.3)", outcome.DataReply!.ToString());
        Assert.All(outcome.Recipients, r => Assert.Equal("554 5.7.1 Message rejected as spam (score 12.3)", r.Result));
    }

    [Fact]
    public async Task When_every_recipient_is_refused_no_body_is_sent()
    {
        var opened = 0;
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = (verb, _) => verb == "RCPT" ? "550 5.1.1 No such user" : null });
        await using var delivery = new SmtpDelivery(Options());
        var body = Message();
        var outcome = await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), () =>
        {
            opened++;
            return new MemoryStream(body);
        });
        Assert.Equal(RecipientStatus.Bounced, Assert.Single(outcome.Recipients).Status);
        Assert.Equal(0, opened);
        Assert.Null(outcome.DataReply);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task A_refused_sender_settles_every_recipient_with_that_reply()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = (verb, _) => verb == "MAIL" ? "553 5.7.1 <sender@origin.test>: Sender address rejected" : null });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        Assert.All(outcome.Recipients, r => Assert.Equal("553 5.7.1 <sender@origin.test>: Sender address rejected", r.Reply!.ToString()));
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Bounced, r.Status));
    }

    [Fact]
    public async Task Dsn_parameters_are_passed_on_when_the_server_offers_dsn()
    {
        await using var sink = SmtpSink.Start();
        var body = Message();
        var envelope = new OutboundEnvelope(
            MailAddress.Parse("sender@origin.test"),
            [
                new OutboundRecipient(MailAddress.Parse("a@example.test"), DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", "alias+x=y@origin.test")),
                new OutboundRecipient(MailAddress.Parse("b@example.test"), DsnNotify.Never),
            ],
            body.Length,
            Return: DsnReturn.Headers,
            EnvelopeId: "QUEUE ID+1");
        var outcome = await SendAsync(sink, envelope, body);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal($"MAIL FROM:<sender@origin.test> SIZE={body.Length} RET=HDRS ENVID=QUEUE+20ID+2B1", message.MailFrom);
        Assert.Equal(["RCPT TO:<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alias+2Bx+3Dy@origin.test", "RCPT TO:<b@example.test> NOTIFY=NEVER"], message.RcptTo);
        Assert.All(outcome.Recipients, r => Assert.True(r.DsnPassedOn));
    }

    [Fact]
    public async Task Dsn_parameters_are_left_out_when_the_server_does_not_offer_dsn()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["PIPELINING", "8BITMIME"] });
        var body = Message();
        var envelope = Envelope(body, "a@example.test") with
        {
            Recipients = [new OutboundRecipient(MailAddress.Parse("a@example.test"), DsnNotify.Success)],
            Return = DsnReturn.Full,
            EnvelopeId = "x",
        };
        var outcome = await SendAsync(sink, envelope, body);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal("MAIL FROM:<sender@origin.test>", message.MailFrom);
        Assert.Equal(["RCPT TO:<a@example.test>"], message.RcptTo);
        Assert.False(Assert.Single(outcome.Recipients).DsnPassedOn);
    }

    [Fact]
    public async Task The_null_sender_is_sent_as_empty_brackets()
    {
        await using var sink = SmtpSink.Start();
        var body = Message();
        await SendAsync(sink, Envelope(body, "a@example.test") with { Sender = null }, body);
        Assert.StartsWith("MAIL FROM:<> ", Assert.Single(await sink.WaitForMessagesAsync(1)).MailFrom);
    }

    [Fact]
    public async Task A_message_over_the_servers_size_is_refused_before_mail_is_sent()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["PIPELINING", "SIZE 100"] });
        var body = Message(body: new string('x', 200) + "\r\n");
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal(new EnhancedStatusCode(5, 3, 4), recipient.StatusCode);
        Assert.Null(recipient.Reply);
        Assert.Contains("exceeds size limit 100", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_eight_bit_message_to_a_server_without_8bitmime_fails_cleanly_with_5_6_3()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["PIPELINING"] });
        var body = Awkward();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test") with { Body = BodyType.EightBitMime }, body);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal(new EnhancedStatusCode(5, 6, 3), recipient.StatusCode);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_utf8_address_to_a_server_without_smtputf8_is_refused_with_5_6_7()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Keywords = ["PIPELINING", "8BITMIME"] });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "jörg@example.test"), body);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal(new EnhancedStatusCode(5, 6, 7), recipient.StatusCode);
        Assert.Contains("SMTPUTF8 is required, but was not offered by host mx.example.test", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.DoesNotContain(sink.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_utf8_address_goes_with_smtputf8_to_a_server_that_offers_it()
    {
        await using var sink = SmtpSink.Start();
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "jörg@example.test"), body);
        Assert.True(outcome.AllDelivered);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.EndsWith(" SMTPUTF8", message.MailFrom, StringComparison.Ordinal);
        Assert.Equal(["RCPT TO:<jörg@example.test>"], message.RcptTo);
    }

    [Fact]
    public async Task A_server_that_refuses_ehlo_gets_helo_and_plain_smtp()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { SupportsEhlo = false });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test"), body);
        Assert.True(outcome.AllDelivered);
        Assert.Contains("HELO client.example.test", sink.Commands);
        var message = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal("MAIL FROM:<sender@origin.test>", message.MailFrom);
        Assert.False(message.Bdat);
        Assert.Equal(body, message.Content);
    }

    [Fact]
    public async Task A_421_ends_the_session_and_defers_what_was_not_settled()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = (verb, argument) => verb == "RCPT" && argument == "b@example.test" ? "421 4.3.2 Service shutting down" : null,
        });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Deferred, r.Status));
        Assert.Equal("421 4.3.2 Service shutting down", outcome.Recipients[1].Reply!.ToString());
        Assert.Empty(sink.Messages);
    }

    /// <summary>A message stream that fails after some bytes, as a spool file on a failing disk would.</summary>
    private sealed class FailingStream(byte[] first) : MemoryStream(first)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position < Length ? base.ReadAsync(buffer, cancellationToken) : throw new IOException("Input/output error");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_spool_read_error_defers_without_ending_the_data_and_the_connection_is_not_reused(bool chunking)
    {
        await using var sink = SmtpSink.Start(chunking ? null : new SmtpSinkOptions { Keywords = NoChunking });
        await using var delivery = new SmtpDelivery(Options() with { ChunkSize = 16 });
        var body = Message();
        var outcome = await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), () => new FailingStream(body[..20]));
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Deferred, recipient.Status);
        Assert.Equal("4.3.0", recipient.StatusCode.ToString());
        Assert.Contains("Input/output error", recipient.Diagnostic, StringComparison.Ordinal);
        Assert.Equal(0, delivery.Cache.Count);

        var next = await delivery.SendAsync(Target(sink), Envelope(body, "a@example.test"), Body(body));
        Assert.True(next.AllDelivered);
        Assert.Equal(body, Assert.Single(await sink.WaitForMessagesAsync(1)).Content);
        Assert.Equal(2, sink.Connections);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_421_to_mail_defers_every_recipient_with_that_reply(bool pipelining)
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Keywords = pipelining ? ["PIPELINING", "8BITMIME"] : ["8BITMIME"],
            Reply = (verb, _) => verb == "MAIL" ? "421 4.7.0 Too many messages, closing" : null,
        });
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test", "b@example.test"), body);
        Assert.All(outcome.Recipients, r =>
        {
            Assert.Equal(RecipientStatus.Deferred, r.Status);
            Assert.Equal("421 4.7.0 Too many messages, closing", r.Result);
        });
    }

    [Fact]
    public async Task Requiretls_needs_verified_tls_and_the_extension()
    {
        await using var sink = SmtpSink.Start();
        var body = Message();
        var outcome = await SendAsync(sink, Envelope(body, "a@example.test") with { RequireTls = true }, body);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal(RecipientStatus.Bounced, recipient.Status);
        Assert.Equal(new EnhancedStatusCode(5, 7, 30), recipient.StatusCode);
        Assert.Empty(sink.Messages);
    }
}
