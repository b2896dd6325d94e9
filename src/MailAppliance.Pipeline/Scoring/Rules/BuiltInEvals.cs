using System.Net;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// The tests behind <c>eval:</c> rules: what a regex cannot say (structure, envelope, authentication). Each is a pure
/// function of the <see cref="ScanContext"/>.
/// </summary>
public static class BuiltInEvals
{
    private static readonly Dictionary<string, Func<ScanContext, IReadOnlyList<string>, bool>> Functions = new(StringComparer.Ordinal)
    {
        ["helo_forged"] = (c, _) => HeloForged(c),
        ["helo_not_fqdn"] = (c, _) => c.Envelope.Helo is { Length: > 0 } helo && !helo.StartsWith('[') && !helo.Contains('.', StringComparison.Ordinal),
        ["from_not_envelope"] = (c, _) => FromNotEnvelope(c),
        ["html_only"] = (c, _) => c.Content.HtmlPartCount > 0 && c.Content.HtmlPartCount == c.Content.TextPartCount,
        ["subject_all_caps"] = (c, _) => MostlyCaps(c.Content.Subject, minimumLetters: 10, ratio: 1.0),
        ["body_mostly_caps"] = (c, _) => MostlyCaps(c.Content.BodyText, minimumLetters: 200, ratio: 0.5),
        ["uri_bare_ip"] = (c, _) => c.Content.Uris.Any(u => UriExtractor.Host(u) is { } h && UriExtractor.IsAddress(h)),
        ["link_text_mismatch"] = (c, _) => LinkTextMismatch(c.Content),
        ["base64_text"] = (c, _) => c.Content.Base64TextPartCount > 0 && c.Content.Base64AsciiTextPartCount > 0,
        ["spf"] = (c, a) => Is(c.Authentication.Spf, a),
        ["dkim"] = (c, a) => Is(c.Authentication.Dkim, a),
        ["dmarc"] = (c, a) => Is(c.Authentication.Dmarc, a),
        ["dkim_aligned"] = (c, _) => c.Content.FromAddress is { } from && c.Authentication.DkimPassedFor(Domain(from)),
        ["empty_body"] = (c, _) => c.Content.BodyText.AsSpan().Trim().Length < 10 && c.Content.AttachmentCount == 0,
    };

    public static IReadOnlySet<string> Names { get; } = Functions.Keys.ToHashSet(StringComparer.Ordinal);

    public static bool Run(EvalCall call, ScanContext context) => Functions[call.Function](context, call.Arguments);

    private static bool Is(AuthResult result, IReadOnlyList<string> arguments) =>
        arguments.Any(a => a.Replace("_", "", StringComparison.Ordinal).Equals(result.ToString(), StringComparison.OrdinalIgnoreCase));

    // A HELO that names us or one of our domains from a client that is not ours to trust, or an address literal
    // that is not the client's address (RFC 5321 §4.1.4 lets a server note but not refuse a wrong HELO).
    private static bool HeloForged(ScanContext c)
    {
        var helo = c.Envelope.Helo;
        if (string.IsNullOrEmpty(helo) || c.Envelope.ClientAddress is not { } client || c.Envelope.AuthenticatedUser is not null
            || IPAddress.IsLoopback(client))
        {
            return false;
        }

        if (helo.StartsWith('[') && helo.EndsWith(']'))
        {
            var literal = helo[1..^1];
            if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            {
                literal = literal[5..];
            }

            return IPAddress.TryParse(literal, out var claimed) && !claimed.Equals(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client);
        }

        var name = helo.TrimEnd('.');
        return name.Equals(c.OurHostname, StringComparison.OrdinalIgnoreCase) || c.IsOurDomain(name);
    }

    private static bool FromNotEnvelope(ScanContext c)
    {
        var envelope = c.Envelope.MailFrom;
        if (envelope.Length == 0 || c.Content.FromAddress is not { } from)
        {
            return false;
        }

        var a = Domain(envelope);
        var b = Domain(from);
        return !(a.Equals(b, StringComparison.OrdinalIgnoreCase) || a.EndsWith("." + b, StringComparison.OrdinalIgnoreCase)
            || b.EndsWith("." + a, StringComparison.OrdinalIgnoreCase));
    }

    private static string Domain(string address) => address[(address.LastIndexOf('@') + 1)..];

    private static bool MostlyCaps(string text, int minimumLetters, double ratio)
    {
        int letters = 0, upper = 0;
        foreach (var ch in text)
        {
            if (char.IsLetter(ch))
            {
                letters++;
                upper += char.IsUpper(ch) ? 1 : 0;
            }
        }

        return letters >= minimumLetters && upper >= letters * ratio;
    }

    // The visible text of a link names a host (a URL or a bare domain) that is not the host it leads to: the phishing
    // tell SpamAssassin calls a "mismatched link".
    private static bool LinkTextMismatch(MessageContent content)
    {
        foreach (var link in content.Links)
        {
            var text = link.Text.Trim();
            if (text.Length is 0 or > 200 || text.Contains(' ', StringComparison.Ordinal))
            {
                continue;
            }

            var shown = UriExtractor.Host(text.Contains("://", StringComparison.Ordinal) || text.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? text : "http://" + text);
            var target = UriExtractor.Host(link.Href);
            if (shown is null || target is null || !shown.Contains('.', StringComparison.Ordinal) || !LooksLikeHost(shown))
            {
                continue;
            }

            if (!UriExtractor.RegisteredDomain(shown).Equals(UriExtractor.RegisteredDomain(target), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool LooksLikeHost(string host)
    {
        var tld = host[(host.LastIndexOf('.') + 1)..];
        return tld.Length >= 2 && tld.All(char.IsAsciiLetter) && host.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-');
    }
}
