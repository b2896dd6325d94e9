using System.Globalization;
using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>
/// The classifier's view of a message: distinct hashed, typed features. Words of the body and subject (lower case,
/// letters and digits), orthogonal sparse bigrams over a window of five words (OSB, as Rspamd: each word paired with
/// each of the next four, the distance part of the feature), URI hosts and registered domains, and tokens of the
/// header fields that tell senders and software apart.
/// </summary>
public static class Tokenizer
{
    /// <summary>Words of body text used (the rest of a long message adds little and costs time).</summary>
    public const int MaxBodyWords = 4000;

    private const int Window = 5;
    private const int MaxWordLength = 24;

    private static readonly string[] HeaderFields = ["From", "Reply-To", "Sender", "X-Mailer", "User-Agent", "List-Id", "Content-Type", "Return-Path", "X-Priority", "X-MSMail-Priority"];

    public static ulong[] Features(MessageContent content)
    {
        var features = new HashSet<ulong>();
        Words(content.Subject, 's', features, osb: true, MaxBodyWords);
        Words(content.BodyText, 'b', features, osb: true, MaxBodyWords);

        foreach (var uri in content.Uris.Take(200))
        {
            if (UriExtractor.Host(uri) is { } host)
            {
                features.Add(FeatureHash.Of('h', host));
                features.Add(FeatureHash.Of('d', UriExtractor.RegisteredDomain(host)));
            }
        }

        var root = content.Structure.Root;
        foreach (var field in root.Headers.Take(200))
        {
            features.Add(FeatureHash.Of('n', field.Name.ToLowerInvariant()));
        }

        foreach (var name in HeaderFields)
        {
            foreach (var field in root.GetHeaders(name).Take(3))
            {
                Words(field.DecodedValue, (char)('A' + Array.IndexOf(HeaderFields, name)), features, osb: false, 40);
            }
        }

        if (content.FromAddress is { } from)
        {
            features.Add(FeatureHash.Of('f', from[(from.LastIndexOf('@') + 1)..].ToLowerInvariant()));
        }

        // Structure: how many text and HTML parts and attachments, in small buckets.
        features.Add(FeatureHash.Of('m', $"t{Math.Min(content.TextPartCount, 4)}h{Math.Min(content.HtmlPartCount, 3)}a{Math.Min(content.AttachmentCount, 3)}"));
        var links = content.Uris.Count;
        features.Add(FeatureHash.Of('m', "u" + (links == 0 ? "0" : links < 3 ? "1" : links < 10 ? "2" : "3")));
        return [.. features];
    }

    private static void Words(string text, char type, HashSet<ulong> features, bool osb, int maxWords)
    {
        Span<ulong> window = stackalloc ulong[Window];
        var count = 0;
        var i = 0;
        Span<char> lower = stackalloc char[MaxWordLength];
        while (i < text.Length && count < maxWords)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i]))
            {
                i++;
            }

            var start = i;
            while (i < text.Length && (char.IsLetterOrDigit(text[i]) || (text[i] is '\'' or '$' or '-' && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]))))
            {
                i++;
            }

            var length = i - start;
            if (length == 0)
            {
                continue;
            }

            ulong word;
            if (length > MaxWordLength)
            {
                // SpamAssassin's "skip" tokens: a long run says something (encoded junk, URLs) but its letters do not.
                word = FeatureHash.Of(type, "skip:" + text[start].ToString() + (length / 8).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                var n = text.AsSpan(start, length).ToLowerInvariant(lower);
                word = FeatureHash.Of(type, lower[..n]);
            }

            features.Add(word);
            if (osb)
            {
                for (var d = 1; d < Window && d <= count; d++)
                {
                    features.Add(FeatureHash.Pair(window[(count - d) % Window], word, d));
                }

                window[count % Window] = word;
            }

            count++;
        }
    }
}
