using System.Net;
using System.Text;
using MailAppliance.Pipeline.Checks;
using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Pipeline.Tests.Checks;

/// <summary>The two checks every intake runs: the HELO name (RFC 5321 §4.1.1.1) and the required header fields (RFC 5322 §3.6).</summary>
public sealed class IntakeCheckTests
{
    private static async Task<IReadOnlyList<string>> HeloSymbolsAsync(string helo, string? user = null) =>
        (await new HeloCheck().CheckAsync(SmtpStage.Helo, new CheckContext { ClientAddress = IPAddress.Loopback, Helo = helo, AuthenticatedUser = user }, CancellationToken.None))
        .Symbols.Select(s => s.Name).ToList();

    [Theory]
    [InlineData("mail.example.net", new string[0])]
    [InlineData("mail.example.net.", new string[0])]
    [InlineData("[192.0.2.1]", new string[0])]
    [InlineData("[IPv6:2001:db8::1]", new string[0])]
    [InlineData("localhost", new[] { HeloCheck.NotFqdn })]
    [InlineData("PC-1234", new[] { HeloCheck.NotFqdn })]
    [InlineData("bad..name", new[] { HeloCheck.NotFqdn })]
    [InlineData("192.0.2.1", new[] { HeloCheck.BareIp })]
    public async Task The_HELO_name_is_scored(string helo, string[] expected) => Assert.Equal(expected, await HeloSymbolsAsync(helo));

    [Fact]
    public async Task Authenticated_clients_are_not_scored_for_their_HELO() => Assert.Empty(await HeloSymbolsAsync("laptop", "alice@example.test"));

    private static async Task<IReadOnlyList<string>> HeaderSymbolsAsync(string message)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        var context = new CheckContext
        {
            ClientAddress = IPAddress.Loopback,
            OpenMessage = _ => Task.FromResult<Stream>(new MemoryStream(bytes)),
            MessageSize = bytes.Length,
        };
        return (await new HeaderCheck().CheckAsync(SmtpStage.Data, context, CancellationToken.None)).Symbols.Select(s => s.Name).ToList();
    }

    [Fact]
    public async Task A_complete_message_scores_nothing() => Assert.Empty(await HeaderSymbolsAsync(
        "Received: from x\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\nFrom: a@example.net\r\nMessage-ID: <1@example.net>\r\nSubject: hi\r\n\r\nDate: in the body\r\n"));

    [Fact]
    public async Task Missing_date_from_and_message_id_are_each_a_symbol_and_the_body_does_not_count() => Assert.Equal(
        [HeaderCheck.MissingDate, HeaderCheck.MissingFrom, HeaderCheck.MissingMessageId],
        await HeaderSymbolsAsync("Subject: hand made\r\n\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\nFrom: a@example.net\r\nMessage-ID: <x@y>\r\n"));

    [Fact]
    public async Task A_huge_message_is_judged_on_its_header_block_alone()
    {
        var header = "Date: Sat, 5 Dec 2026 10:00:00 +0000\r\nFrom: a@example.net\r\nMessage-ID: <1@example.net>\r\n\r\n";
        var stream = new RepeatingStream(Encoding.ASCII.GetBytes(header), 40L * 1024 * 1024);
        var context = new CheckContext { ClientAddress = IPAddress.Loopback, OpenMessage = _ => Task.FromResult<Stream>(stream), MessageSize = stream.Length };
        Assert.Empty((await new HeaderCheck().CheckAsync(SmtpStage.Data, context, CancellationToken.None)).Symbols);
        Assert.True(stream.Position < 1024 * 1024, $"read {stream.Position} octets of a 40 MiB message");
    }

    /// <summary>A header block followed by a long body of 'x', without holding it in memory.</summary>
    private sealed class RepeatingStream(byte[] head, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = _position + i < head.Length ? head[_position + i] : (byte)'x';
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
