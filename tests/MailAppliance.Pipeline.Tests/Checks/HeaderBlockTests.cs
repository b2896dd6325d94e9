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
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16 * 1024)]
    public async Task The_block_ends_at_its_empty_line_and_the_message_is_opened_once(int chunk)
    {
        var header = "Received: from a\r\nSubject: x\r\n\r\n";
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
