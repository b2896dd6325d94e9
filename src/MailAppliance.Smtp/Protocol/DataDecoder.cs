using System.Buffers;

namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// Decodes the DATA stream (RFC 5321 §4.1.1.4, §4.5.2) without I/O: removes dot-stuffing and finds the end of the
/// data. Only <c>CRLF . CRLF</c> ends it: a dot line after a bare LF or before a bare LF (<c>\n.\n</c>,
/// <c>\r\n.\n</c>, <c>\n.\r\n</c>) is data, never the end, which defeats SMTP smuggling. A line start is only ever
/// the position after CRLF (or the start of the data). Bytes are passed on unchanged otherwise; the count of bytes
/// written is tracked so the caller can refuse an oversize message while still reading it to its end.
/// </summary>
public sealed class DataDecoder
{
    private State _state = State.LineStart;

    private enum State
    {
        LineStart,
        Middle,
        AfterCr,
        AfterDot,
        AfterDotCr,
    }

    /// <summary>Bytes of message content produced so far (after unstuffing).</summary>
    public long ContentLength { get; private set; }

    /// <summary>Whether bare CR or bare LF occurred (for logs; such data is kept as sent).</summary>
    public bool SawBareLineFeed { get; private set; }

    public bool IsComplete { get; private set; }

    /// <summary>
    /// Consumes input up to the end marker. Writes content to <paramref name="output"/> (null: count only, e.g.
    /// past the size limit). Returns how many input bytes were consumed; when <see cref="IsComplete"/> becomes
    /// true, the bytes after the consumed ones belong to the next command (PIPELINING).
    /// </summary>
    public int Decode(ReadOnlySpan<byte> input, IBufferWriter<byte>? output)
    {
        var i = 0;
        while (i < input.Length && !IsComplete)
        {
            switch (_state)
            {
                case State.Middle:
                {
                    // Fast path: copy the run up to the next CR or LF.
                    var run = input[i..].IndexOfAny((byte)'\r', (byte)'\n');
                    var length = run < 0 ? input.Length - i : run;
                    Emit(input.Slice(i, length), output);
                    i += length;
                    if (run >= 0)
                    {
                        var b = input[i++];
                        Emit(b, output);
                        if (b == '\r')
                        {
                            _state = State.AfterCr;
                        }
                        else
                        {
                            SawBareLineFeed = true; // bare LF: not a line start
                        }
                    }

                    break;
                }

                case State.AfterCr:
                {
                    var b = input[i++];
                    Emit(b, output);
                    if (b == '\n')
                    {
                        _state = State.LineStart;
                    }
                    else
                    {
                        SawBareLineFeed = true;
                        _state = b == '\r' ? State.AfterCr : State.Middle;
                    }

                    break;
                }

                case State.LineStart:
                {
                    var b = input[i];
                    if (b == '.')
                    {
                        i++;
                        _state = State.AfterDot; // the dot is held back: stuffing, or the end marker
                    }
                    else
                    {
                        _state = State.Middle;
                    }

                    break;
                }

                case State.AfterDot:
                {
                    var b = input[i];
                    if (b == '\r')
                    {
                        i++;
                        _state = State.AfterDotCr;
                    }
                    else
                    {
                        // RFC 5321 §4.5.2: a leading dot with more on the line is removed.
                        _state = State.Middle;
                    }

                    break;
                }

                case State.AfterDotCr:
                {
                    var b = input[i];
                    if (b == '\n')
                    {
                        i++;
                        IsComplete = true;
                    }
                    else
                    {
                        // ".\r" then something else: the dot was stuffing, the CR is data.
                        Emit((byte)'\r', output);
                        SawBareLineFeed = true;
                        _state = b == '\r' ? State.AfterCr : State.Middle;
                        if (b == '\r')
                        {
                            i++;
                            Emit(b, output);
                        }
                    }

                    break;
                }
            }
        }

        return i;
    }

    private void Emit(ReadOnlySpan<byte> bytes, IBufferWriter<byte>? output)
    {
        ContentLength += bytes.Length;
        output?.Write(bytes);
    }

    private void Emit(byte value, IBufferWriter<byte>? output)
    {
        ContentLength++;
        if (output is not null)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }
    }
}
