using System.Net;
using System.Text;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>A link in HTML: where it goes and the text a reader sees for it.</summary>
public readonly record struct HtmlLink(string Href, string Text);

/// <summary>
/// HTML reduced to what a reader sees (for body rules and the classifier) plus what it hides: link targets, image
/// sources. A small tolerant scanner, not a DOM: spam HTML is rarely valid, and scoring needs the text and the
/// links, not the layout. Script, style and comments are dropped; block elements become line breaks.
/// </summary>
public sealed class HtmlText
{
    private static readonly HashSet<string> BlockTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr", "title",
    };

    private HtmlText(string text, IReadOnlyList<HtmlLink> links, IReadOnlyList<string> images, int tags)
    {
        Text = text;
        Links = links;
        Images = images;
        TagCount = tags;
    }

    public string Text { get; }

    public IReadOnlyList<HtmlLink> Links { get; }

    public IReadOnlyList<string> Images { get; }

    public int TagCount { get; }

    public static HtmlText Reduce(string html)
    {
        var text = new StringBuilder(html.Length / 2);
        var links = new List<HtmlLink>();
        var images = new List<string>();
        var tags = 0;
        string? openHref = null;
        var anchorStart = 0;
        var i = 0;
        while (i < html.Length)
        {
            var lt = html.IndexOf('<', i);
            var end = lt < 0 ? html.Length : lt;
            if (end > i)
            {
                AppendText(text, html.AsSpan(i, end - i));
            }

            if (lt < 0)
            {
                break;
            }

            if (string.CompareOrdinal(html, lt, "<!--", 0, 4) == 0)
            {
                var close = html.IndexOf("-->", lt + 4, StringComparison.Ordinal);
                i = close < 0 ? html.Length : close + 3;
                continue;
            }

            var gt = html.IndexOf('>', lt + 1);
            if (gt < 0)
            {
                break;
            }

            tags++;
            var tag = html.AsSpan(lt + 1, gt - lt - 1);
            var closing = tag.StartsWith("/");
            var name = TagName(closing ? tag[1..] : tag);
            i = gt + 1;
            if (!closing && (name.Equals("script", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase)))
            {
                var close = html.IndexOf("</" + name.ToString(), i, StringComparison.OrdinalIgnoreCase);
                i = close < 0 ? html.Length : Math.Max(i, html.IndexOf('>', close) + 1);
                if (i == 0)
                {
                    i = html.Length;
                }

                continue;
            }

            if (name.Equals("a", StringComparison.OrdinalIgnoreCase))
            {
                if (closing && openHref is not null)
                {
                    links.Add(new HtmlLink(openHref, Collapse(text.ToString(anchorStart, text.Length - anchorStart))));
                    openHref = null;
                }
                else if (!closing && Attribute(tag, "href") is { } href)
                {
                    if (openHref is not null)
                    {
                        links.Add(new HtmlLink(openHref, Collapse(text.ToString(anchorStart, text.Length - anchorStart))));
                    }

                    openHref = href;
                    anchorStart = text.Length;
                }
            }
            else if (!closing && name.Equals("img", StringComparison.OrdinalIgnoreCase) && Attribute(tag, "src") is { } src)
            {
                images.Add(src);
            }
            else if (BlockTags.Contains(name.ToString()))
            {
                text.Append('\n');
            }
        }

        if (openHref is not null)
        {
            links.Add(new HtmlLink(openHref, Collapse(text.ToString(anchorStart, text.Length - anchorStart))));
        }

        return new HtmlText(text.ToString(), links, images, tags);
    }

    private static void AppendText(StringBuilder text, ReadOnlySpan<char> raw)
    {
        var decoded = raw.Contains('&') ? WebUtility.HtmlDecode(raw.ToString()) : raw.ToString();
        // Whitespace in HTML text collapses to one space; line breaks come from block tags only.
        var lastSpace = text.Length > 0 && char.IsWhiteSpace(text[^1]);
        foreach (var c in decoded)
        {
            if (char.IsWhiteSpace(c) || c == '\u00a0')
            {
                if (!lastSpace)
                {
                    text.Append(' ');
                    lastSpace = true;
                }
            }
            else
            {
                text.Append(c);
                lastSpace = false;
            }
        }
    }

    private static ReadOnlySpan<char> TagName(ReadOnlySpan<char> tag)
    {
        var n = 0;
        while (n < tag.Length && (char.IsAsciiLetterOrDigit(tag[n]) || tag[n] == '!'))
        {
            n++;
        }

        return tag[..n];
    }

    /// <summary>The value of one attribute (quoted or not), entities decoded.</summary>
    internal static string? Attribute(ReadOnlySpan<char> tag, string name)
    {
        var i = 0;
        while (true)
        {
            var at = tag[i..].IndexOf(name, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return null;
            }

            at += i;
            i = at + name.Length;
            if (at == 0 || !char.IsWhiteSpace(tag[at - 1]))
            {
                continue;
            }

            var j = i;
            while (j < tag.Length && char.IsWhiteSpace(tag[j]))
            {
                j++;
            }

            if (j >= tag.Length || tag[j] != '=')
            {
                continue;
            }

            j++;
            while (j < tag.Length && char.IsWhiteSpace(tag[j]))
            {
                j++;
            }

            if (j >= tag.Length)
            {
                return "";
            }

            ReadOnlySpan<char> value;
            if (tag[j] is '"' or '\'')
            {
                var quote = tag[j];
                var close = tag[(j + 1)..].IndexOf(quote);
                value = close < 0 ? tag[(j + 1)..] : tag.Slice(j + 1, close);
            }
            else
            {
                var stop = j;
                while (stop < tag.Length && !char.IsWhiteSpace(tag[stop]) && tag[stop] != '/')
                {
                    stop++;
                }

                value = tag[j..stop];
            }

            return WebUtility.HtmlDecode(value.ToString()).Trim();
        }
    }

    private static string Collapse(string s) => s.Trim();
}
