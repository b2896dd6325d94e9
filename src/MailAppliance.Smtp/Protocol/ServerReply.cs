using System.Text;

namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// A reply as a remote server sent it (the outbound client's view; <see cref="SmtpReply"/> is what our own server
/// sends). <see cref="Lines"/> keeps each line's text verbatim after <c>NNN-</c>/<c>NNN </c>, enhanced code included,
/// so a DSN's Diagnostic-Code and the queue's <c>lastResult</c> quote the remote server exactly.
/// </summary>
/// <param name="Code">The three-digit reply code (RFC 5321 §4.2).</param>
/// <param name="Enhanced">
/// The RFC 3463 code at the start of the first line, when there is one whose class agrees with <paramref name="Code"/>
/// (RFC 3463 §2: "the class sub-code ... MUST match the first digit of the reply code").
/// </param>
/// <param name="Lines">The text of every line, verbatim (may be empty strings).</param>
public sealed record ServerReply(int Code, EnhancedStatusCode? Enhanced, IReadOnlyList<string> Lines)
{
    /// <summary>2yz, and 3yz (an intermediate reply: 354, 334) counts as positive too.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    /// <summary>The text of all lines with the enhanced code of each line taken off, joined by one space.</summary>
    public string Text
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var line in Lines)
            {
                var skip = Enhanced is null ? 0 : EnhancedStatusCode.TryParsePrefix(line, out _);
                if (sb.Length > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(line.AsSpan(skip));
            }

            return sb.ToString();
        }
    }

    /// <summary>
    /// The reply on one line, for logs and DSNs: <c>550 5.1.1 text</c>; the lines of a multi-line reply are joined by
    /// a space with their code and enhanced code repeated once only (as Postfix quotes a remote reply).
    /// </summary>
    public string ToSingleLine()
    {
        var prefix = Enhanced is { } enhanced ? $"{Code} {enhanced} " : $"{Code} ";
        var text = Text;
        return text.Length == 0 ? prefix.TrimEnd() : prefix + text;
    }

    /// <summary>The reply exactly as it came, lines separated by CRLF (no final CRLF).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Lines.Count; i++)
        {
            if (i > 0)
            {
                sb.Append("\r\n");
            }

            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-').Append(Lines[i]);
        }

        return sb.ToString();
    }
}
