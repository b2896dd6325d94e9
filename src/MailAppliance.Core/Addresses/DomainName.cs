using System.Globalization;

namespace MailAppliance.Core.Addresses;

/// <summary>
/// A DNS domain name in its canonical stored form: lower-case A-labels (IDN U-labels converted by IDNA).
/// </summary>
public sealed record DomainName
{
    // RFC 1035 §2.3.4: 255 octets in all on the wire, which leaves 253 characters in text form; labels ≤ 63.
    private const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    private DomainName(string ascii) => Ascii = ascii;

    /// <summary>The A-label form, lower case: what is stored and compared.</summary>
    public string Ascii { get; }

    /// <summary>The Unicode (U-label) form, for display.</summary>
    public string Unicode => Idn.GetUnicode(Ascii);

    public override string ToString() => Ascii;

    public static DomainName Parse(string text) =>
        TryParse(text, out var domain, out var error) ? domain : throw new FormatException(error);

    /// <summary>
    /// Parses a domain in U-label or A-label form (RFC 5321 §4.1.2 Domain, RFC 5890 IDNA). A trailing dot is dropped.
    /// Address literals (<c>[192.0.2.1]</c>) are not domain names and are refused here.
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DomainName? domain, out string error)
    {
        domain = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "domain is empty";
            return false;
        }

        var candidate = text.Trim();
        if (candidate.EndsWith('.'))
        {
            candidate = candidate[..^1];
        }

        if (candidate.Length == 0 || candidate.StartsWith('.') || candidate.Contains("..", StringComparison.Ordinal))
        {
            error = $"'{text}' is not a valid domain name (empty label)";
            return false;
        }

        string ascii;
        try
        {
            ascii = Idn.GetAscii(candidate).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = $"'{text}' is not a valid domain name";
            return false;
        }

        if (ascii.Length > MaxLength)
        {
            error = $"'{text}' is longer than {MaxLength} characters";
            return false;
        }

        foreach (var label in ascii.Split('.'))
        {
            // RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str]; IdnMapping with STD3 rules already refuses other characters.
            if (label.Length == 0 || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-' || !label.All(IsLdh))
            {
                error = $"'{text}' is not a valid domain name";
                return false;
            }
        }

        domain = new DomainName(ascii);
        return true;
    }

    private static bool IsLdh(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-';
}
