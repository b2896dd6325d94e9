using System.Text;

namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// A status line: <c>+OK text</c> or <c>-ERR [CODE] text</c>. <paramref name="Code"/> is an RFC 2449 §8 response
/// code (e.g. <c>IN-USE</c>), written in brackets.
/// </summary>
public sealed record Pop3Reply(bool Ok, string? Code, string Text)
{
    public Pop3Reply WithText(string text) => this with { Text = text };

    public override string ToString() =>
        (Ok ? "+OK" : "-ERR") + (Code is null ? "" : $" [{Code}]") + (Text.Length == 0 ? "" : " " + Text);

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString() + "\r\n");
}
