using System.Text;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// The <c>Authentication-Results</c> header field (RFC 8601): one field naming our host as authserv-id, with spf,
/// dkim (one per signature), dmarc and arc; and the test intake uses to find fields that claim our name but came
/// from outside (RFC 8601 §5: they must be removed, or a sender could forge our verdict).
/// </summary>
public static class AuthenticationResultsHeader
{
    public const string FieldName = "Authentication-Results";

    // Reasons are comments for people; keep the field well under the 998-octet line limit of RFC 5322 §2.1.1.
    private const int MaxReason = 120;

    /// <summary>
    /// The whole field, folded one result a line and ending in CRLF:
    /// <code>
    /// Authentication-Results: mx.example.org;
    ///	spf=pass smtp.mailfrom=alice@example.com;
    ///	dkim=pass header.d=example.com header.s=s1 header.a=rsa-sha256 header.b=AbCdEfGh;
    ///	dmarc=pass (p=reject dis=none) header.from=example.com;
    ///	arc=none
    /// </code>
    /// </summary>
    public static string Format(string authServId, AuthenticationReport report) => $"{FieldName}: {FormatValue(authServId, report)}\r\n";

    /// <summary>The field's value alone (folded with CRLF TAB, no final CRLF).</summary>
    public static string FormatValue(string authServId, AuthenticationReport report)
    {
        var results = new List<string>();
        if (report.Spf is { } spf)
        {
            var property = spf.Identity == SpfIdentity.Helo ? $"smtp.helo={Value(spf.Domain)}" : $"smtp.mailfrom={Value(spf.Sender)}";
            results.Add($"spf={spf.Keyword}{Reason(spf.Code is SpfResultCode.TempError or SpfResultCode.PermError ? spf.Problem : null)} {property}");
        }

        foreach (var dkim in report.Dkim)
        {
            var text = new StringBuilder($"dkim={dkim.Keyword}");
            text.Append(Reason(dkim.Code == DkimResultCode.Pass ? null : dkim.Reason));
            if (dkim.Domain.Length > 0)
            {
                text.Append(" header.d=").Append(Value(dkim.Domain));
            }

            if (dkim.Identity is { Length: > 0 } identity)
            {
                text.Append(" header.i=").Append(Value(identity));
            }

            if (dkim.Selector.Length > 0)
            {
                text.Append(" header.s=").Append(Value(dkim.Selector));
            }

            if (dkim.Algorithm.Length > 0)
            {
                text.Append(" header.a=").Append(Value(dkim.Algorithm));
            }

            if (dkim.SignaturePrefix.Length > 0)
            {
                text.Append(" header.b=").Append(Value(dkim.SignaturePrefix));
            }

            results.Add(text.ToString());
        }

        if (report.Dmarc.Code != DmarcResultCode.None || report.FromDomain is not null)
        {
            var dmarc = report.Dmarc;
            var comment = dmarc.Code is DmarcResultCode.Pass or DmarcResultCode.Fail
                ? $" (p={dmarc.Policy.ToString().ToLowerInvariant()} dis={dmarc.Disposition.ToString().ToLowerInvariant()})"
                : Reason(dmarc.Reason);
            results.Add($"dmarc={dmarc.Keyword}{comment}{(report.FromDomain is { } from ? " header.from=" + Value(from) : "")}");
        }

        results.Add($"arc={report.Arc.Keyword}{(report.Arc.Code == ArcResultCode.Fail ? Reason(report.Arc.Reason) : "")}");

        // RFC 8601 §2.2: "none" alone says nothing was checked.
        var body = report.Spf is null && report.Dkim.Count == 0 && report.Dmarc.Code == DmarcResultCode.None && report.FromDomain is null && report.Arc.Code == ArcResultCode.None
            ? " none"
            : "\r\n\t" + string.Join(";\r\n\t", results);
        return Value(authServId.TrimEnd('.')) + ";" + body;
    }

    /// <summary>
    /// The authserv-id of a field value (RFC 8601 §2.2: <c>[CFWS] authserv-id [CFWS authres-version] ";"</c>),
    /// comments and folding skipped. False when the value has none.
    /// </summary>
    public static bool TryGetAuthServId(string value, out string authServId)
    {
        authServId = "";
        var i = SkipCfws(value, 0);
        if (i >= value.Length)
        {
            return false;
        }

        var id = new StringBuilder();
        if (value[i] == '"')
        {
            for (i++; i < value.Length && value[i] != '"'; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length)
                {
                    i++;
                }

                id.Append(value[i]);
            }
        }
        else
        {
            for (; i < value.Length && value[i] is not (';' or '(' or ' ' or '\t' or '\r' or '\n'); i++)
            {
                id.Append(value[i]);
            }
        }

        authServId = id.ToString().Trim();
        return authServId.Length > 0;
    }

    /// <summary>
    /// Whether a received field's value claims to come from <paramref name="hostname"/> (compared without case and
    /// trailing dot): such a field did not come from us when it arrives from outside, and intake removes it.
    /// </summary>
    public static bool ClaimsHost(string value, string hostname) =>
        TryGetAuthServId(value, out var id) && string.Equals(id.TrimEnd('.'), hostname.Trim().TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The same for a whole header field line (name, colon, value, possibly folded).</summary>
    public static bool IsClaimedField(string field, string hostname)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && field[..colon].Trim().Equals(FieldName, StringComparison.OrdinalIgnoreCase) && ClaimsHost(field[(colon + 1)..], hostname);
    }

    private static int SkipCfws(string text, int i)
    {
        var depth = 0;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (depth > 0)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '(')
                {
                    depth++;
                }
                else if (c == ')')
                {
                    depth--;
                }

                continue;
            }

            if (c == '(')
            {
                depth++;
            }
            else if (c is not (' ' or '\t' or '\r' or '\n'))
            {
                break;
            }
        }

        return i;
    }

    // RFC 8601 §2.2 value: a token, a pvalue with '@', or else a quoted-string (RFC 2045 tspecials need quoting).
    private static string Value(string text)
    {
        // '@' may stand in a pvalue (local-part@domain); the other RFC 2045 tspecials need quotes.
        var plain = text.Length > 0 && text.All(c => c > ' ' && c < 127 && !"()<>,;:\\\"/[]?= ".Contains(c, StringComparison.Ordinal));
        if (plain)
        {
            return text;
        }

        var quoted = new StringBuilder("\"");
        foreach (var c in Clean(text))
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }

    private static string Reason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return "";
        }

        var text = Clean(reason);
        if (text.Length > MaxReason)
        {
            text = text[..MaxReason] + "...";
        }

        return " reason=" + Value(text);
    }

    // Printable US-ASCII only: the field must be safe in any message.
    private static string Clean(string text) => string.Concat(text.Select(c => c is >= ' ' and < (char)127 ? c : ' '));
}
