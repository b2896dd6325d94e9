using System.Text;

namespace MailAppliance.Storage.Import.Mbox;

/// <summary>
/// Reads an mbox file message by message, streaming: each message's header block is read (at most 1 MiB) and its
/// bookkeeping headers parsed (<see cref="MboxMessage"/>); its bytes are then copied on demand, line by line through
/// a 64 KiB buffer, to the next separator. Separators are <c>From </c> lines carrying a date (see
/// <see cref="MboxFromLine"/>); the empty line before a separator belongs to the mbox, not to the message.
/// Quoting: mboxrd's <c>&gt;From </c> quoting is undone (one <c>&gt;</c> off each <c>&gt;+From </c> line) unless
/// <see cref="Unquote"/> is off — for mboxes written by UW-IMAP's c-client, which never unquotes, so a message keeps
/// the bytes its clients cached under its UID. With a valid <c>Content-Length</c> (mboxcl/mboxcl2: it ends exactly
/// at a separator or the end of the file, checked by seeking) the body is taken by length, unquoted nothing.
/// </summary>
public sealed class MboxReader : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;
    private const int MaxHeaderBytes = 1024 * 1024;

    // Removed from the stored message: the mbox's own bookkeeping (c-client and Dovecot hide the same).
    private static readonly HashSet<string> BookkeepingHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase", "Content-Length",
    };

    private readonly Stream _stream;
    private readonly TimeZoneInfo _localZone;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;
    private bool _started;
    private MboxFromLine? _nextFrom;
    private MboxMessage? _current;

    public MboxReader(Stream stream, TimeZoneInfo localZone)
    {
        _stream = stream;
        _localZone = localZone;
    }

    /// <summary>Undo mboxrd quoting (default); off for c-client's mboxes.</summary>
    public bool Unquote { get; set; } = true;

    /// <summary>The next message, or null at the end. A message not copied is skipped.</summary>
    public async Task<MboxMessage?> NextAsync(CancellationToken cancellationToken)
    {
        if (_current is { Consumed: false } unread)
        {
            await CopyAsync(unread, null, cancellationToken);
        }

        _current = null;
        if (!_started)
        {
            _started = true;
            if (!await ReadFirstSeparatorAsync(cancellationToken))
            {
                return null;
            }
        }

        if (_nextFrom is not { } from)
        {
            return null;
        }

        _nextFrom = null;
        var message = new MboxMessage(this, from);
        await ReadHeaderAsync(message, cancellationToken);
        _current = message;
        return message;
    }

    private async Task<bool> ReadFirstSeparatorAsync(CancellationToken cancellationToken)
    {
        while (await ReadLineAsync(cancellationToken) is { } line)
        {
            var span = _buffer.AsSpan(line.Start, line.Length);
            if (IsBlank(span))
            {
                continue;
            }

            if (line.Complete && MboxFromLine.TryParse(TrimLineEnd(span), _localZone, out var from))
            {
                _nextFrom = from;
                return true;
            }

            throw new InvalidDataException("not an mbox: the first line is not a \"From \" line with a date");
        }

        return false;
    }

    private async Task ReadHeaderAsync(MboxMessage message, CancellationToken cancellationToken)
    {
        var total = 0;
        var removing = false;
        List<byte>? partial = null;
        while (await ReadLineAsync(cancellationToken) is { } line)
        {
            var span = _buffer.AsSpan(line.Start, line.Length);
            total += line.Length;
            if (total > MaxHeaderBytes)
            {
                message.Error = "a header block larger than 1 MiB";
                return;
            }

            if (partial is not null || !line.Complete)
            {
                // A header line longer than the buffer: gathered whole (bounded above), then treated as any other.
                partial ??= [];
                partial.AddRange(span.ToArray());
                if (!line.Complete)
                {
                    continue;
                }

                span = partial.ToArray();
                partial = null;
            }

            if (IsBlank(span))
            {
                message.HeaderSeparator = span.ToArray();
                return;
            }

            if (span.StartsWith("From "u8) && MboxFromLine.TryParse(TrimLineEnd(span), _localZone, out var next))
            {
                // A message of headers only, followed at once by the next one.
                _nextFrom = next;
                message.Consumed = true;
                message.BodyEnded = true;
                return;
            }

            var folded = span[0] is (byte)' ' or (byte)'\t';
            if (!folded)
            {
                var colon = span.IndexOf((byte)':');
                var name = colon > 0 ? Encoding.Latin1.GetString(span[..colon]).Trim() : "";
                removing = BookkeepingHeaders.Contains(name);
                if (removing)
                {
                    message.ReadBookkeeping(name, Encoding.Latin1.GetString(TrimLineEnd(span[(colon + 1)..])).Trim());
                }
            }
            else if (removing)
            {
                message.ContinueBookkeeping(Encoding.Latin1.GetString(TrimLineEnd(span)).Trim());
            }

            if (!removing)
            {
                message.KeptHeaderLines.Add(span.ToArray());
            }
        }

        message.BodyEnded = true; // end of file inside the header
    }

    /// <summary>Writes the message's kept header and its body to <paramref name="target"/> (null: skips it).</summary>
    internal async Task CopyAsync(MboxMessage message, Stream? target, CancellationToken cancellationToken)
    {
        if (message.Consumed)
        {
            throw new InvalidOperationException("the message was already read");
        }

        message.Consumed = true;
        if (target is not null && message.Error is null)
        {
            foreach (var header in message.KeptHeaderLines)
            {
                await target.WriteAsync(header, cancellationToken);
            }

            if (message.HeaderSeparator is { } separator)
            {
                await target.WriteAsync(separator, cancellationToken);
            }
        }

        if (message.BodyEnded)
        {
            return;
        }

        if (message.Error is null && message.ContentLength is { } length && await EndsAtSeparatorAsync(length, cancellationToken))
        {
            await CopyByLengthAsync(length, target, cancellationToken);
        }

        await CopyToSeparatorAsync(message.Error is null ? target : null, cancellationToken);
        if (message.Error is not null && target is not null)
        {
            throw new ImportReadException($"message at line \"From {message.From.Sender} ...\": {message.Error}");
        }
    }

    private async Task CopyToSeparatorAsync(Stream? target, CancellationToken cancellationToken)
    {
        // Empty lines are held back: the last one before a separator (or the end) is the mbox's, not the message's.
        var blanks = new List<byte[]>();
        var atLineStart = true;
        while (await ReadLineAsync(cancellationToken) is { } line)
        {
            var span = _buffer.AsSpan(line.Start, line.Length);
            if (atLineStart && line.Complete)
            {
                if (span.StartsWith("From "u8) && MboxFromLine.TryParse(TrimLineEnd(span), _localZone, out var next))
                {
                    _nextFrom = next;
                    await WriteBlanksAsync(target, blanks, dropLast: true, cancellationToken);
                    return;
                }

                if (IsBlank(span))
                {
                    blanks.Add(span.ToArray());
                    continue;
                }
            }

            var unquote = Unquote && atLineStart && IsQuotedFrom(span);
            await WriteBlanksAsync(target, blanks, dropLast: false, cancellationToken);
            if (target is not null)
            {
                await target.WriteAsync(_buffer.AsMemory(unquote ? line.Start + 1 : line.Start, unquote ? line.Length - 1 : line.Length), cancellationToken);
            }

            atLineStart = line.Complete;
        }

        await WriteBlanksAsync(target, blanks, dropLast: true, cancellationToken);
    }

    private static async Task WriteBlanksAsync(Stream? target, List<byte[]> blanks, bool dropLast, CancellationToken cancellationToken)
    {
        var count = dropLast ? blanks.Count - 1 : blanks.Count;
        for (var i = 0; target is not null && i < count; i++)
        {
            await target.WriteAsync(blanks[i], cancellationToken);
        }

        blanks.Clear();
    }

    private async Task CopyByLengthAsync(long length, Stream? target, CancellationToken cancellationToken)
    {
        var left = length;
        while (left > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return;
            }

            var n = (int)Math.Min(left, _end - _start);
            if (target is not null)
            {
                await target.WriteAsync(_buffer.AsMemory(_start, n), cancellationToken);
            }

            _start += n;
            left -= n;
        }
    }

    /// <summary>Whether the body, <paramref name="length"/> bytes from here, ends at a separator or the end of the file.</summary>
    private async Task<bool> EndsAtSeparatorAsync(long length, CancellationToken cancellationToken)
    {
        if (!_stream.CanSeek)
        {
            return false;
        }

        var end = _bufferOffset + _start + length;
        if (end == _stream.Length)
        {
            return true;
        }

        if (end > _stream.Length)
        {
            return false;
        }

        var saved = _stream.Position;
        try
        {
            _stream.Position = end;
            var probe = new byte[8];
            var n = await _stream.ReadAtLeastAsync(probe, probe.Length, throwOnEndOfStream: false, cancellationToken);
            var seen = probe.AsSpan(0, n);
            return seen.StartsWith("From "u8) || seen.StartsWith("\nFrom "u8) || seen.StartsWith("\r\nFrom "u8);
        }
        finally
        {
            _stream.Position = saved;
        }
    }

    private async ValueTask<(int Start, int Length, bool Complete)?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var start = _start;
                _start += lf + 1;
                return (start, lf + 1, true);
            }

            if (_eof || (_start == 0 && _end == _buffer.Length))
            {
                if (_start == _end)
                {
                    return null;
                }

                // The last line without a line end, or a piece of a line longer than the buffer.
                var start = _start;
                var length = _end - _start;
                _start = _end;
                return (start, length, _eof);
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.SequenceEqual("\n"u8) || line.SequenceEqual("\r\n"u8);

    private static ReadOnlySpan<byte> TrimLineEnd(ReadOnlySpan<byte> line) => line.TrimEnd("\r\n"u8);

    /// <summary>mboxrd quoting: <c>&gt;From </c>, <c>&gt;&gt;From </c>, ...</summary>
    private static bool IsQuotedFrom(ReadOnlySpan<byte> line)
    {
        var i = 0;
        while (i < line.Length && line[i] == (byte)'>')
        {
            i++;
        }

        return i > 0 && line[i..].StartsWith("From "u8);
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
