using System.Buffers;
using System.IO.Pipelines;

namespace MailAppliance.Core.Net;

/// <summary>
/// Passes everything to the pipe reader over the socket and remembers how many octets the caller read but did not
/// consume, which the pipe itself does not tell once the caller marked them examined. That number is what
/// <see cref="ClientConnection.HasBufferedInput"/> reports before STARTTLS.
/// </summary>
internal sealed class TrackingPipeReader(PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;

    /// <summary>Octets handed out by the last read and not consumed by the last <c>AdvanceTo</c>.</summary>
    public long Unconsumed { get; private set; }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Remember(result.Buffer);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Remember(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Measured before the inner reader may return the segments to the pool.
        Unconsumed = _lastBuffer.Slice(consumed).Length;
        _lastBuffer = default;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void Remember(ReadOnlySequence<byte> buffer)
    {
        _lastBuffer = buffer;
        Unconsumed = buffer.Length;
    }
}
