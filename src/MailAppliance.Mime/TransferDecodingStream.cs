namespace MailAppliance.Mime;

/// <summary>
/// Decodes a Content-Transfer-Encoding (RFC 2045 §6) while reading: base64 (§6.8) and quoted-printable (§6.7);
/// anything else (7bit, 8bit, binary, unknown tokens) passes through. Malformed input is decoded best-effort:
/// base64 skips characters outside its alphabet, quoted-printable keeps a bad "=" sequence as written.
/// </summary>
public sealed class TransferDecodingStream : Stream
{
    private readonly Stream _inner;
    private readonly Mode _mode;
    private readonly bool _leaveOpen;
    private const int DirectReadSize = 4096;
    private byte[] _in = [];
    private int _inStart;
    private int _inEnd;
    private bool _innerDone;
    private int _quad;
    private int _quadCount;
    private long _position;
    private readonly byte[] _pending = new byte[8];
    private int _pendingStart;
    private int _pendingEnd;

    // Set by the quoted-printable decoder when a run of white space reaches the end of the buffer: whether it is
    // trailing (and so dropped) depends on what follows.
    private bool _wantMore;

    /// <summary>Decodes <paramref name="inner"/> according to <paramref name="transferEncoding"/> (e.g. "base64").</summary>
    public TransferDecodingStream(Stream inner, string? transferEncoding, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _mode = transferEncoding?.Trim().ToLowerInvariant() switch
        {
            "base64" => Mode.Base64,
            "quoted-printable" => Mode.QuotedPrintable,
            _ => Mode.Identity,
        };
    }

    private enum Mode
    {
        Identity,
        Base64,
        QuotedPrintable,
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        // Decoders emit up to three bytes per step: tiny reads go through a small pending buffer.
        if (_pendingStart < _pendingEnd)
        {
            var k = Math.Min(buffer.Length, _pendingEnd - _pendingStart);
            _pending.AsSpan(_pendingStart, k).CopyTo(buffer);
            _pendingStart += k;
            _position += k;
            return k;
        }

        if (buffer.Length < _pending.Length)
        {
            _pendingStart = 0;
            _pendingEnd = ReadCore(_pending);
            return _pendingEnd == 0 ? 0 : Read(buffer);
        }

        var n = ReadCore(buffer);
        _position += n;
        return n;
    }

    private int ReadCore(Span<byte> buffer)
    {
        if (_mode == Mode.Identity && _inStart >= _inEnd && buffer.Length >= DirectReadSize)
        {
            // Nothing to decode and nothing buffered: a large read goes straight to the inner stream, without a
            // buffer of our own (most text parts are 7bit or 8bit). Small reads still go through the buffer.
            return _inner.Read(buffer);
        }

        if (_in.Length == 0)
        {
            _in = new byte[16 * 1024];
        }

        var written = 0;
        while (written == 0)
        {
            // Quoted-printable needs up to three bytes of look-ahead ("=XX"); keep them together.
            if ((_inEnd - _inStart < 3 || _wantMore) && !_innerDone)
            {
                Refill();
                _wantMore = false;
            }

            if (_inStart >= _inEnd && !(_mode == Mode.Base64 && _innerDone && _quadCount > 1))
            {
                break;
            }

            written = _mode switch
            {
                Mode.Base64 => DecodeBase64(buffer),
                Mode.QuotedPrintable => DecodeQuotedPrintable(buffer),
                _ => Copy(buffer),
            };
        }

        return written;
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Refill()
    {
        var left = _inEnd - _inStart;
        Array.Copy(_in, _inStart, _in, 0, left);
        _inStart = 0;
        _inEnd = left;
        while (_inEnd < _in.Length)
        {
            var n = _inner.Read(_in, _inEnd, _in.Length - _inEnd);
            if (n <= 0)
            {
                _innerDone = true;
                break;
            }

            _inEnd += n;
            if (_inEnd - _inStart >= 3 && !_wantMore)
            {
                break;
            }
        }
    }

    private int Copy(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _inEnd - _inStart);
        _in.AsSpan(_inStart, n).CopyTo(buffer);
        _inStart += n;
        return n;
    }

    private int DecodeBase64(Span<byte> buffer)
    {
        var written = 0;
        while (_inStart < _inEnd && written + 3 <= buffer.Length)
        {
            var v = Base64Value(_in[_inStart++]);
            if (v < 0)
            {
                continue; // whitespace, line breaks, padding and garbage are skipped
            }

            _quad = (_quad << 6) | v;
            if (++_quadCount == 4)
            {
                buffer[written++] = (byte)(_quad >> 16);
                buffer[written++] = (byte)(_quad >> 8);
                buffer[written++] = (byte)_quad;
                _quad = 0;
                _quadCount = 0;
            }
        }

        if (_inStart >= _inEnd && _innerDone && _quadCount > 1 && written + 2 <= buffer.Length)
        {
            // Missing padding at the end: emit the complete bytes of the last group.
            var q = _quad << (6 * (4 - _quadCount));
            buffer[written++] = (byte)(q >> 16);
            if (_quadCount == 3)
            {
                buffer[written++] = (byte)(q >> 8);
            }

            _quadCount = 0;
        }

        return written;
    }

    private static int Base64Value(byte b) => b switch
    {
        >= (byte)'A' and <= (byte)'Z' => b - 'A',
        >= (byte)'a' and <= (byte)'z' => b - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => b - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };

    private int DecodeQuotedPrintable(Span<byte> buffer)
    {
        var written = 0;
        while (_inStart < _inEnd && written < buffer.Length)
        {
            var b = _in[_inStart];
            if (b is (byte)' ' or (byte)'\t')
            {
                // RFC 2045 §6.7 rule 3: white space at the end of an encoded line was added in transport; drop it.
                var end = WhiteSpaceEnd(_inStart);
                if (end < 0)
                {
                    _wantMore = true;
                    break;
                }

                if (IsLineEnd(end))
                {
                    _inStart = end;
                    continue;
                }

                var n = Math.Min(end - _inStart, buffer.Length - written);
                _in.AsSpan(_inStart, n).CopyTo(buffer[written..]);
                written += n;
                _inStart += n;
                continue;
            }

            if (b != (byte)'=')
            {
                buffer[written++] = b;
                _inStart++;
                continue;
            }

            var left = _inEnd - _inStart;
            if (left < 3 && !_innerDone)
            {
                break; // need look-ahead
            }

            // RFC 2045 §6.7 rule 5: "=" at the end of a line is a soft line break (white space after it, added in
            // transport, does not count).
            if (left >= 2 && _in[_inStart + 1] is (byte)' ' or (byte)'\t')
            {
                var end = WhiteSpaceEnd(_inStart + 1);
                if (end < 0)
                {
                    _wantMore = true;
                    break;
                }

                if (IsLineEnd(end))
                {
                    _inStart = SkipLineEnd(end);
                    continue;
                }
            }

            if (left >= 2 && _in[_inStart + 1] == (byte)'\n')
            {
                _inStart += 2;
                continue;
            }

            if (left >= 3 && _in[_inStart + 1] == (byte)'\r' && _in[_inStart + 2] == (byte)'\n')
            {
                _inStart += 3;
                continue;
            }

            if (left >= 3 && Hex(_in[_inStart + 1]) is var hi and >= 0 && Hex(_in[_inStart + 2]) is var lo and >= 0)
            {
                buffer[written++] = (byte)((hi << 4) | lo);
                _inStart += 3;
                continue;
            }

            // Not a valid escape: keep the "=" literally (RFC 2045 §6.7 note on robust decoding).
            buffer[written++] = b;
            _inStart++;
        }

        return written;
    }

    /// <summary>Where a run of spaces and tabs starting at <paramref name="from"/> ends; -1 when more input is needed to know.</summary>
    private int WhiteSpaceEnd(int from)
    {
        var end = from;
        while (end < _inEnd && _in[end] is (byte)' ' or (byte)'\t')
        {
            end++;
        }

        // A run that fills the whole buffer is taken as it is (it cannot be told from content any more).
        var more = (end == _inEnd || (end == _inEnd - 1 && _in[end] == (byte)'\r')) && !_innerDone && !(_inStart == 0 && _inEnd == _in.Length);
        return more ? -1 : end;
    }

    private bool IsLineEnd(int at) => at >= _inEnd ? _innerDone : _in[at] is (byte)'\n' or (byte)'\r';

    private int SkipLineEnd(int at)
    {
        if (at < _inEnd && _in[at] == (byte)'\r')
        {
            at++;
        }

        if (at < _inEnd && _in[at] == (byte)'\n')
        {
            at++;
        }

        return at;
    }

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => -1,
    };
}
