using System.Buffers;
using MailAppliance.Core.Buffers;

namespace MailAppliance.Core.Tests.Buffers;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Writes_grow_past_the_first_array_keep_their_bytes_and_start_over_after_a_reset()
    {
        using var writer = new PooledBufferWriter(16);
        var first = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        foreach (var chunk in first.Chunk(333))
        {
            writer.Write(chunk);
        }

        Assert.Equal(first.Length, writer.WrittenCount);
        Assert.True(writer.WrittenSpan.SequenceEqual(first));

        writer.Reset();
        Assert.Equal(0, writer.WrittenCount);
        writer.Write("again"u8);
        Assert.Equal("again"u8.ToArray(), writer.WrittenMemory.ToArray());
    }

    [Fact]
    public void An_advance_past_the_span_handed_out_is_refused_and_a_disposed_writer_hands_out_nothing()
    {
        var writer = new PooledBufferWriter(8);
        var length = writer.GetSpan(8).Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(length + 1));
        writer.Dispose();
        writer.Dispose(); // twice: the array goes back once
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan());
    }
}
