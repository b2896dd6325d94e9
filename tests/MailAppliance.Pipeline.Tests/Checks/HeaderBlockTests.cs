using System.Net;
using System.Text;
using MailAppliance.Pipeline.Checks;
using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Pipeline.Tests.Checks;

/// <summary>The header block the DATA checks share: read once, ended by an empty line wherever the reads split it.</summary>
public sealed class HeaderBlockTests
{
    /// <summary>A stream that hands out at most <paramref name="chunk"/> octets a read.</summary>
    private sealed class Trickle(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(16 * 1024, 0)]
    [InlineData(7, 50_000)] // a header block longer than the first buffer
    [InlineData(16 * 1024, 50_000)]
    public async Task The_block_ends_at_its_empty_line_and_the_message_is_opened_once(int chunk, int longField)
    {
        var header = "Received: from a\r\n" + (longField > 0 ? "X-Long: " + new string('h', longField) + "\r\n" : "") + "Subject: x\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(header + "Received: in the body\r\n" + new string('b', 40_000));
        var opened = 0;
        var context = new CheckContext
        {
            ClientAddress = IPAddress.Loopback,
            OpenMessage = _ =>
            {
                Interlocked.Increment(ref opened);
                return Task.FromResult<Stream>(new Trickle(bytes, chunk));
            },
        };

        var reads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => context.ReadHeaderAsync(CancellationToken.None)));
        Assert.All(reads, r => Assert.Equal(header, Encoding.ASCII.GetString(r)));
        Assert.Equal(1, opened);
        Assert.Equal(1, HopCountCheck.CountReceived(reads[0]));
    }

    [Fact]
    public void Received_fields_are_counted_without_case_and_folded_lines_are_not()
    {
        var header = Encoding.ASCII.GetBytes("RECEIVED: a\r\n\treceived: folded\r\nreceived:b\nSubject: received: no\r\n\r\n");
        Assert.Equal(2, HopCountCheck.CountReceived(header));
    }
}
