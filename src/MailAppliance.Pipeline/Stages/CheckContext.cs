using System.Buffers;
using System.Net;

namespace MailAppliance.Pipeline.Stages;

/// <summary>
/// What a check may look at, as far as the transaction has come: the client and its greeting always, the sender from
/// MAIL on, the recipient being decided at RCPT, the recipients and the message at DATA.
/// </summary>
public sealed record CheckContext
{
    public required IPAddress ClientAddress { get; init; }

    /// <summary>The name the client gave in HELO/EHLO (null at CONNECT).</summary>
    public string? Helo { get; init; }

    /// <summary>The reverse-path without brackets; empty for the null sender; null before MAIL.</summary>
    public string? MailFrom { get; init; }

    /// <summary>At RCPT: the recipient being decided.</summary>
    public string? Recipient { get; init; }

    /// <summary>At DATA: every accepted recipient.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>The authenticated user (submission), if any.</summary>
    public string? AuthenticatedUser { get; init; }

    public bool IsTls { get; init; }

    /// <summary>The queue id the message will have (DATA), for log lines.</summary>
    public string? QueueId { get; init; }

    /// <summary>At DATA: opens a read-only stream of the message as received (each call a new stream).</summary>
    public Func<CancellationToken, Task<Stream>>? OpenMessage { get; init; }

    /// <summary>At DATA: the message's size in octets.</summary>
    public long MessageSize { get; init; }

    /// <summary>The header block is read this far at most (a larger one is looked at up to here).</summary>
    public const int MaxHeaderBytes = 1024 * 1024;

    private Lazy<Task<byte[]>>? _header;

    /// <summary>
    /// At DATA: the message's header block through its empty line (at most <see cref="MaxHeaderBytes"/>), read once
    /// for all the stage's checks (the header, hop-count and spam checks each look at it); empty before DATA.
    /// </summary>
    public Task<byte[]> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        if (OpenMessage is not { } open)
        {
            return Task.FromResult(Array.Empty<byte>());
        }

        var header = Volatile.Read(ref _header);
        if (header is null)
        {
            // Shared by checks that run side by side: the read itself is not cancelled by any one of them (it is
            // bounded and local); each waits with its own token.
            var created = new Lazy<Task<byte[]>>(() => ReadHeaderBlockAsync(open), LazyThreadSafetyMode.ExecutionAndPublication);
            header = Interlocked.CompareExchange(ref _header, created, null) ?? created;
        }

        return header.Value.WaitAsync(cancellationToken);
    }

    private static async Task<byte[]> ReadHeaderBlockAsync(Func<CancellationToken, Task<Stream>> open)
    {
        await using var message = await open(CancellationToken.None);
        // A rented buffer, grown by renting a larger one: the header block of a few KiB costs no allocation but
        // its own copy.
        var block = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        try
        {
            int n;
            // Plain reads: the message is a local file just written (in the page cache), and FileStream's async reads
            // run on another pool thread on Linux, a hand-off and back per read for a copy of microseconds.
            while (length < MaxHeaderBytes && (n = message.Read(block, length, Math.Min(block.Length, MaxHeaderBytes) - length)) > 0)
            {
                // Search from a little before this chunk, so an empty line split across two reads is found too.
                var from = Math.Max(0, length - 3);
                length += n;
                var written = block.AsSpan(from, length - from);
                var crlf = written.IndexOf("\r\n\r\n"u8);
                var lf = written.IndexOf("\n\n"u8);
                var end = crlf >= 0 && (lf < 0 || crlf + 2 <= lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
                if (end >= 0)
                {
                    return block.AsSpan(0, from + end).ToArray();
                }

                if (length == block.Length && length < MaxHeaderBytes)
                {
                    var grown = ArrayPool<byte>.Shared.Rent(Math.Min(block.Length * 2, MaxHeaderBytes));
                    block.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(block);
                    block = grown;
                }
            }

            return block.AsSpan(0, Math.Min(length, MaxHeaderBytes)).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}
