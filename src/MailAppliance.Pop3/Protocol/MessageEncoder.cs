using System.Buffers;

namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// Turns message octets (already in CRLF form) into a POP3 multi-line response body without I/O: lines that start
/// with "." get another "." (RFC 1939 §3, byte-stuffing), the body ends with CRLF "." CRLF, and for TOP only the
/// header, the blank line and the first N body lines pass (RFC 1939 §7). Feed it chunks as they are read from disk,
/// so no message is ever held whole in memory.
/// </summary>
public sealed class MessageEncoder
{
    private static readonly byte[] Terminator = ".\r\n"u8.ToArray();
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private readonly long? _bodyLines;
    private bool _atLineStart = true;
    private bool _inHeader = true;
    private long _lineLength;
    private byte _lastByte;
    private long _bodyLinesWritten;

    /// <param name="bodyLines">null: the whole message (RETR); otherwise TOP's line count.</param>
    public MessageEncoder(long? bodyLines = null)
    {
        _bodyLines = bodyLines;
    }

    /// <summary>True once TOP has passed all the lines it wants; further input is ignored.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>Encodes one chunk; returns false when no more input is wanted.</summary>
    public bool Encode(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_bodyLines is null)
        {
            EncodeWhole(input, output);
            return true;
        }

        while (!IsFinished && input.Length > 0)
        {
            if (_atLineStart)
            {
                if (input[0] == (byte)'.')
                {
                    output.Write("."u8);
                }

                _atLineStart = false;
                _lineLength = 0;
            }

            var lf = input.IndexOf((byte)'\n');
            if (lf < 0)
            {
                output.Write(input);
                _lineLength += input.Length;
                _lastByte = input[^1];
                return true;
            }

            output.Write(input[..(lf + 1)]);
            if (lf > 0)
            {
                _lastByte = input[lf - 1];
            }

            _lineLength += lf;
            EndLine();
            input = input[(lf + 1)..];
        }

        return !IsFinished;
    }

    /// <summary>
    /// RETR: no line needs counting, so only a "." after a line feed (or at the start) needs anything done; the
    /// bytes between are copied in runs as long as the input (a vectorised search for "\n.").
    /// </summary>
    private void EncodeWhole(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (input.IsEmpty)
        {
            return;
        }

        if (_atLineStart && input[0] == (byte)'.')
        {
            output.Write("."u8);
        }

        while (true)
        {
            var stuff = input.IndexOf("\n."u8);
            if (stuff < 0)
            {
                output.Write(input);
                _atLineStart = input[^1] == (byte)'\n';
                return;
            }

            // The line feed, then the extra dot; the line's own dot starts the next run.
            output.Write(input[..(stuff + 1)]);
            output.Write("."u8);
            input = input[(stuff + 1)..];
        }
    }

    /// <summary>Ends the response: a CRLF if the message's last line had none, then the terminating ".".</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (!_atLineStart)
        {
            output.Write(Crlf);
            _atLineStart = true;
        }

        output.Write(Terminator);
        IsFinished = true;
    }

    private void EndLine()
    {
        var content = _lineLength - (_lineLength > 0 && _lastByte == (byte)'\r' ? 1 : 0);
        _atLineStart = true;
        _lastByte = 0;
        if (_inHeader)
        {
            if (content == 0)
            {
                _inHeader = false;
                IsFinished = _bodyLines == 0;
            }

            return;
        }

        if (_bodyLines is { } limit && ++_bodyLinesWritten >= limit)
        {
            IsFinished = true;
        }
    }
}
