namespace MailAppliance.Smtp.Client;

/// <summary>
/// Turns message bytes into DATA content, sans-I/O: RFC 5321 §4.5.2 transparency (a line that starts with "." gets
/// one more) and the end-of-data mark. Nothing else changes: the bytes are the spooled ones, so a DKIM signature
/// over them still verifies. The spool keeps CRLF line ends (our intake refuses bare LF); should a bare LF occur
/// anyway, a dot after it is stuffed too, so that a receiver which ends lines at LF can never see "LF . CRLF" as
/// the end of the data (SMTP smuggling).
/// </summary>
public sealed class DotStuffer
{
    private bool _atLineStart = true;
    private bool _afterCr;

    /// <summary>The most output <see cref="Stuff"/> can write for <paramref name="inputLength"/> input octets.</summary>
    public static int MaxOutputLength(int inputLength) => inputLength * 2;

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/> with dots stuffed; returns octets written.</summary>
    public int Stuff(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var written = 0;
        while (input.Length > 0)
        {
            if (_atLineStart && input[0] == (byte)'.')
            {
                output[written++] = (byte)'.';
            }

            // Copy up to and including the next LF in one go.
            var lf = input.IndexOf((byte)'\n');
            var take = lf < 0 ? input.Length : lf + 1;
            input[..take].CopyTo(output[written..]);
            written += take;
            if (lf < 0)
            {
                _atLineStart = false;
                _afterCr = input[take - 1] == (byte)'\r';
            }
            else
            {
                _atLineStart = true;
                _afterCr = false;
            }

            input = input[take..];
        }

        return written;
    }

    /// <summary>
    /// Writes the end of the data: the CRLF that ends the last line when the message does not end with one (RFC 5321
    /// §4.1.1.4 needs it before the mark), then <c>.CRLF</c>. At most 5 octets.
    /// </summary>
    public int Finish(Span<byte> output)
    {
        var written = 0;
        if (!_atLineStart)
        {
            if (!_afterCr)
            {
                output[written++] = (byte)'\r';
            }

            output[written++] = (byte)'\n';
        }

        output[written++] = (byte)'.';
        output[written++] = (byte)'\r';
        output[written++] = (byte)'\n';
        _atLineStart = true;
        _afterCr = false;
        return written;
    }
}
