using System.Buffers;
using System.IO.Pipelines;

namespace MailAppliance.Core.Net;

/// <summary>What waiting for the next command line gave.</summary>
public enum CommandLineStatus
{
    Line,
    TooLong,
    Closed,
    TimedOut,
}

/// <summary>
/// The read loop every line-based protocol session shares: the next line, bounded by a <see cref="BoundedLineReader"/>,
/// with replies flushed only when the session is about to wait (so pipelined commands get their replies in one
/// write, RFC 2920 §3.2), and a timeout on the wait.
/// </summary>
public static class CommandLineReading
{
    /// <param name="flushBeforeWait">False when another task owns the output meanwhile (IMAP IDLE writes updates
    /// while this waits for DONE): a pipe writer must not be used from two places at once.</param>
    public static async Task<(CommandLineStatus Status, byte[] Line)> ReadCommandLineAsync(
        this ClientConnection connection, BoundedLineReader lines, TimeSpan timeout, CancellationToken cancellationToken, bool flushBeforeWait = true)
    {
        var input = connection.Input;

        // The time-out is a deadline for the whole line, not for each read: a slow-loris client sending one byte
        // just before each read would time out would otherwise hold its connection (and its slot in the per-address
        // limit) for timeout × line length. Made on the first wait only, so a pipelined line costs no timer.
        CancellationTokenSource? deadline = null;
        try
        {
            while (true)
            {
                if (!input.TryRead(out var read))
                {
                    if (flushBeforeWait)
                    {
                        await connection.Output.FlushAsync(cancellationToken);
                        connection.WaitBrieflyForInput();
                    }

                    if (deadline is null)
                    {
                        deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        deadline.CancelAfter(timeout);
                    }

                    try
                    {
                        read = await input.ReadAsync(deadline.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        return (CommandLineStatus.TimedOut, []);
                    }
                }

                var buffer = read.Buffer;
                switch (lines.TryReadLine(ref buffer, out var line))
                {
                    case LineReadResult.Complete:
                        var bytes = line.ToArray();
                        input.AdvanceTo(buffer.Start);
                        return (CommandLineStatus.Line, bytes);
                    case LineReadResult.TooLong:
                        input.AdvanceTo(buffer.Start);
                        return (CommandLineStatus.TooLong, []);
                    default:
                        input.AdvanceTo(buffer.Start, buffer.End);
                        if (read.IsCompleted)
                        {
                            return (CommandLineStatus.Closed, []);
                        }

                        break;
                }
            }
        }
        finally
        {
            deadline?.Dispose();
        }
    }

    /// <summary>Writes and flushes to a peer that may already be gone (a last reply, a goodbye); never throws for that.</summary>
    public static async Task TryWriteAndFlushAsync(this ClientConnection connection, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (!bytes.IsEmpty)
            {
                await connection.Output.WriteAsync(bytes, timeout.Token);
            }

            await connection.Output.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone: nothing more to say to it.
        }
    }
}
