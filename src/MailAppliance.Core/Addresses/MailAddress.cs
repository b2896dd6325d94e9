using System.Text;

namespace MailAppliance.Core.Addresses;

/// <summary>
/// An RFC 5321 mailbox (<c>Local-part "@" Domain</c>) as the directory stores it: the local part as given, the
/// domain as lower-case A-labels. <see cref="Key"/> is what lookups compare: the domain is case-insensitive by
/// RFC 5321 §2.4, and, like Postfix and Dovecot deployments, we treat local parts case-insensitively too so that
/// <c>Alice@</c> and <c>alice@</c> can never be two different mailboxes.
/// </summary>
public sealed record MailAddress
{
    // RFC 5321 §4.5.3.1.1: the local part is at most 64 octets; §4.5.3.1.3: a path at most 256 octets.
    private const int MaxLocalPartOctets = 64;
    private const int MaxAddressOctets = 254;

    private MailAddress(string localPart, DomainName domain)
    {
        LocalPart = localPart;
        Domain = domain;
        Key = (localPart.ToLowerInvariant() + "@" + domain.Ascii).Normalize(NormalizationForm.FormC);
    }

    /// <summary>The local part, unquoted (the content of a quoted string, with quoted-pairs resolved).</summary>
    public string LocalPart { get; }

    public DomainName Domain { get; }

    /// <summary>Canonical comparison key: lower-cased local part, A-label domain.</summary>
    public string Key { get; }

    /// <summary>True when the local part needs UTF-8 (RFC 6531 SMTPUTF8) to be transmitted.</summary>
    public bool RequiresSmtpUtf8 => LocalPart.Any(c => c > 127);

    public override string ToString() => FormatLocalPart(LocalPart) + "@" + Domain.Ascii;

    public static MailAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    /// <summary>
    /// Parses <c>local@domain</c> per RFC 5321 §4.1.2 (Dot-string or Quoted-string local part), with RFC 6531 UTF-8
    /// allowed in atoms. Angle brackets and source routes are not accepted here: this is an address, not a path.
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MailAddress? address, out string error)
    {
        address = null;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "address is empty";
            return false;
        }

        if (!TryReadLocalPart(text, out var localPart, out var consumed) || consumed >= text.Length || text[consumed] != '@')
        {
            error = $"'{text}' is not a valid address (RFC 5321 local-part@domain)";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(localPart) > MaxLocalPartOctets || localPart.Length == 0)
        {
            error = $"'{text}' has a local part longer than {MaxLocalPartOctets} octets";
            return false;
        }

        var domainText = text[(consumed + 1)..];
        if (domainText.StartsWith('['))
        {
            error = $"'{text}' uses an address literal; only domain names are accepted";
            return false;
        }

        if (!DomainName.TryParse(domainText, out var domain, out var domainError))
        {
            error = $"'{text}' is not a valid address: {domainError}";
            return false;
        }

        var candidate = new MailAddress(localPart, domain);
        if (Encoding.UTF8.GetByteCount(candidate.ToString()) > MaxAddressOctets)
        {
            error = $"'{text}' is longer than {MaxAddressOctets} octets";
            return false;
        }

        address = candidate;
        return true;
    }

    private static bool TryReadLocalPart(string text, out string localPart, out int consumed)
    {
        localPart = "";
        consumed = 0;
        if (text[0] == '"')
        {
            // Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126
            var sb = new StringBuilder();
            for (var i = 1; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '"')
                {
                    localPart = sb.ToString();
                    consumed = i + 1;
                    return true;
                }

                if (c == '\\')
                {
                    if (i + 1 >= text.Length || text[i + 1] < 32 || text[i + 1] == 127)
                    {
                        return false;
                    }

                    sb.Append(text[++i]);
                    continue;
                }

                if (c < 32 || c == 127)
                {
                    return false;
                }

                sb.Append(c);
            }

            return false;
        }

        // Dot-string = Atom *("." Atom)
        var at = text.LastIndexOf('@');
        if (at <= 0)
        {
            return false;
        }

        var dotString = text[..at];
        foreach (var atom in dotString.Split('.'))
        {
            if (atom.Length == 0 || !atom.All(IsAtext))
            {
                return false;
            }
        }

        localPart = dotString;
        consumed = at;
        return true;
    }

    /// <summary>RFC 5322 §3.2.3 atext, extended by RFC 6532 with any non-ASCII character.</summary>
    public static bool IsAtext(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '/' or '=' or '?' or '^' or '_' or '`'
            or '{' or '|' or '}' or '~'
        || (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c));

    private static string FormatLocalPart(string localPart)
    {
        var isDotString = localPart.Split('.').All(atom => atom.Length > 0 && atom.All(IsAtext));
        if (isDotString)
        {
            return localPart;
        }

        var sb = new StringBuilder("\"");
        foreach (var c in localPart)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }
}
