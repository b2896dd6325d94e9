using System.Text;

namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// An SMTP reply: a three-digit code, an RFC 3463 enhanced status code (RFC 2034: ENHANCEDSTATUSCODES), and one or
/// more lines of text. Serialised as <c>250-first</c> … <c>250 last</c> (RFC 5321 §4.2.1).
/// </summary>
public sealed record SmtpReply(int Code, string? Enhanced, IReadOnlyList<string> Lines)
{
    public SmtpReply(int code, string? enhanced, string text)
        : this(code, enhanced, [text])
    {
    }

    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    /// <summary>The same reply with other text (keeps code and enhanced code).</summary>
    public SmtpReply WithText(string text) => this with { Lines = [text] };

    public byte[] ToBytes()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Lines.Count; i++)
        {
            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-');
            if (Enhanced is not null)
            {
                sb.Append(Enhanced).Append(' ');
            }

            sb.Append(Lines[i]).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public override string ToString() => Encoding.UTF8.GetString(ToBytes()).TrimEnd();
}
