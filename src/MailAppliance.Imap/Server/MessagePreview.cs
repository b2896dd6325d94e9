using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Mime;

namespace MailAppliance.Imap.Server;

/// <summary>
/// RFC 8970 PREVIEW: the start of a message's text for a client's message list. The first text part (text/plain
/// preferred over text/html, whose tags, comments and character references are taken out), with white space runs
/// read as one space, at most 256 characters (§3: "MUST NOT exceed 256 characters").
/// </summary>
public static partial class MessagePreview
{
    public const int MaxLength = 256;

    // Enough decoded text to fill a preview even after HTML markup is taken out.
    private const int ReadBytes = 16 * 1024;

    public static async Task<string> MakeAsync(MessageStructure structure, Stream file, CancellationToken cancellationToken)
    {
        if (!structure.HasHeaderValues)
        {
            // The cached structure keeps offsets, not content types: parse the file.
            file.Position = 0;
            structure = await MimeParser.ParseAsync(file, cancellationToken: cancellationToken);
        }

        var leaves = structure.Root.Descendants().Where(p => p.Kind == MimePartKind.Leaf && p.ContentType.IsText && p.ContentDisposition?.IsAttachment != true).ToList();
        var part = leaves.FirstOrDefault(p => p.ContentType.SubType.Equals("plain", StringComparison.OrdinalIgnoreCase))
            ?? leaves.FirstOrDefault(p => p.ContentType.SubType.Equals("html", StringComparison.OrdinalIgnoreCase));
        if (part is null)
        {
            return "";
        }

        var text = part.ReadText(file, ReadBytes);
        if (part.ContentType.SubType.Equals("html", StringComparison.OrdinalIgnoreCase))
        {
            text = System.Net.WebUtility.HtmlDecode(Tags().Replace(Hidden().Replace(text, " "), " "));
        }

        return Shorten(text);
    }

    /// <summary>White space runs as one space, trimmed, cut to <see cref="MaxLength"/> characters (not inside a surrogate pair).</summary>
    public static string Shorten(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxLength + 1));
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                if (builder.Length > 0 && builder[^1] != ' ')
                {
                    builder.Append(' ');
                }
            }
            else
            {
                builder.Append(c);
            }

            if (builder.Length >= MaxLength)
            {
                break;
            }
        }

        var result = builder.ToString().TrimEnd();
        return result.Length > 0 && char.IsHighSurrogate(result[^1]) ? result[..^1] : result;
    }

    [GeneratedRegex("<(script|style|head)[^>]*>.*?</\\1\\s*>|<!--.*?-->", RegexOptions.IgnoreCase | RegexOptions.Singleline, 1000)]
    private static partial Regex Hidden();

    [GeneratedRegex("<[^>]*>", RegexOptions.None, 1000)]
    private static partial Regex Tags();
}
