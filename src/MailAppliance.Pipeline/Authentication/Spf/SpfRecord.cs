using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>The mechanisms of RFC 7208 §5.</summary>
internal enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>One directive: qualifier, mechanism and its arguments (RFC 7208 §4.6.1, §5).</summary>
internal sealed record SpfMechanism(SpfResultCode Qualifier, SpfMechanismKind Kind, string Text)
{
    public SpfMacroString? DomainSpec { get; init; }

    public IPNetwork? Network { get; init; }

    public int Cidr4 { get; init; } = 32;

    public int Cidr6 { get; init; } = 128;

    /// <summary>§4.6.4: include, a, mx, ptr and exists query DNS and count towards the limit of 10.</summary>
    public bool CountsAsLookup => Kind is SpfMechanismKind.Include or SpfMechanismKind.A or SpfMechanismKind.Mx or SpfMechanismKind.Ptr or SpfMechanismKind.Exists;
}

/// <summary>
/// A parsed SPF record (RFC 7208 §4.6): its directives in order, <c>redirect=</c> and <c>exp=</c>. Parsing is
/// sans-I/O and reads the whole record first: §4.6 "If there are any syntax errors anywhere in the record,
/// check_host() returns immediately with the result permerror".
/// </summary>
internal sealed partial class SpfRecord
{
    private SpfRecord(List<SpfMechanism> mechanisms, SpfMacroString? redirect, SpfMacroString? explanation)
    {
        Mechanisms = mechanisms;
        Redirect = redirect;
        Explanation = explanation;
    }

    public IReadOnlyList<SpfMechanism> Mechanisms { get; }

    public SpfMacroString? Redirect { get; }

    public SpfMacroString? Explanation { get; }

    /// <summary>§4.5: an SPF record begins with "v=spf1" (any case) followed by a space or the end of the record.</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    public static bool TryParse(string text, out SpfRecord record, out string error)
    {
        record = null!;
        if (!IsSpfRecord(text))
        {
            error = "not an SPF record";
            return false;
        }

        var mechanisms = new List<SpfMechanism>();
        SpfMacroString? redirect = null, explanation = null;

        // §4.6.1: terms are separated by one or more spaces (SP only: a tab or CR is a syntax error).
        foreach (var term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (term.Any(c => c is < '!' or > '~'))
            {
                error = $"term '{Printable(term)}' has a character outside printable US-ASCII (RFC 7208 §3.1, §4.6.1)";
                return false;
            }

            var modifier = ModifierName().Match(term);
            if (modifier.Success)
            {
                var name = modifier.Groups[1].Value.ToLowerInvariant();
                var value = term[(modifier.Length)..];
                switch (name)
                {
                    case "redirect" or "exp":
                        // §6: each at most once; the argument is a domain-spec, an empty one included (the erratum
                        // to §6.2 makes an empty exp= a permerror too).
                        if ((name == "redirect" ? redirect : explanation) is not null)
                        {
                            error = $"'{name}=' appears more than once (RFC 7208 §6)";
                            return false;
                        }

                        if (!SpfMacroString.TryParseDomainSpec(value, out var spec, out error))
                        {
                            error = $"{name}=: {error}";
                            return false;
                        }

                        _ = name == "redirect" ? redirect = spec : explanation = spec;
                        break;
                    default:
                        // §6: unknown modifiers are ignored, but their value must be a valid macro-string (Appendix A).
                        if (!SpfMacroString.TryParse(value, explanation: false, out _, out error))
                        {
                            error = $"modifier '{term}': {error}";
                            return false;
                        }

                        break;
                }

                continue;
            }

            if (!TryParseDirective(term, out var mechanism, out error))
            {
                return false;
            }

            mechanisms.Add(mechanism);
        }

        record = new SpfRecord(mechanisms, redirect, explanation);
        error = "";
        return true;
    }

    private static bool TryParseDirective(string term, out SpfMechanism mechanism, out string error)
    {
        mechanism = null!;
        var qualifier = term[0] switch
        {
            '+' => SpfResultCode.Pass,
            '-' => SpfResultCode.Fail,
            '~' => SpfResultCode.SoftFail,
            '?' => SpfResultCode.Neutral,
            _ => (SpfResultCode?)null,
        };
        var body = qualifier is null ? term : term[1..];
        var end = body.IndexOfAny([':', '/']);
        var name = (end < 0 ? body : body[..end]).ToLowerInvariant();
        var rest = end < 0 ? "" : body[end..];
        var q = qualifier ?? SpfResultCode.Pass;

        switch (name)
        {
            case "all":
                if (rest.Length > 0)
                {
                    return Error($"'{term}': all takes no argument (RFC 7208 §5.1)", out error);
                }

                mechanism = new SpfMechanism(q, SpfMechanismKind.All, term);
                break;

            case "include" or "exists":
                if (!rest.StartsWith(':') || !SpfMacroString.TryParseDomainSpec(rest[1..], out var target, out error))
                {
                    return Error($"'{term}': {name} needs ':' and a domain-spec (RFC 7208 §5.2, §5.7)", out error);
                }

                mechanism = new SpfMechanism(q, name == "include" ? SpfMechanismKind.Include : SpfMechanismKind.Exists, term) { DomainSpec = target };
                break;

            case "ptr":
                SpfMacroString? ptrTarget = null;
                if (rest.Length > 0 && (!rest.StartsWith(':') || !SpfMacroString.TryParseDomainSpec(rest[1..], out ptrTarget, out _)))
                {
                    return Error($"'{term}': ptr takes only ':' and a domain-spec (RFC 7208 §5.5)", out error);
                }

                mechanism = new SpfMechanism(q, SpfMechanismKind.Ptr, term) { DomainSpec = ptrTarget };
                break;

            case "a" or "mx":
                // a / mx [ ":" domain-spec ] [ dual-cidr-length ]; the CIDR suffixes are taken from the end.
                var dual = DualCidr().Match(rest);
                var spec = dual.Groups["spec"].Value;
                SpfMacroString? domain = null;
                if (spec.Length > 0 && (!spec.StartsWith(':') || !SpfMacroString.TryParseDomainSpec(spec[1..], out domain, out _)))
                {
                    return Error($"'{term}': bad domain-spec (RFC 7208 §5.3, §5.4, §7.1)", out error);
                }

                var cidr4 = 32;
                var cidr6 = 128;
                if ((dual.Groups["c4"].Success && !TryCidr(dual.Groups["c4"].Value, 32, out cidr4)) || (dual.Groups["c6"].Success && !TryCidr(dual.Groups["c6"].Value, 128, out cidr6)))
                {
                    return Error($"'{term}': bad CIDR length (RFC 7208 §5.6)", out error);
                }

                mechanism = new SpfMechanism(q, name == "a" ? SpfMechanismKind.A : SpfMechanismKind.Mx, term) { DomainSpec = domain, Cidr4 = cidr4, Cidr6 = cidr6 };
                break;

            case "ip4" or "ip6":
                if (!rest.StartsWith(':') || !TryNetwork(rest[1..], name == "ip4", out var network))
                {
                    return Error($"'{term}': bad {name} network (RFC 7208 §5.6)", out error);
                }

                mechanism = new SpfMechanism(q, name == "ip4" ? SpfMechanismKind.Ip4 : SpfMechanismKind.Ip6, term) { Network = network };
                break;

            default:
                return Error($"unknown mechanism '{term}' (RFC 7208 §4.6.1)", out error);
        }

        error = "";
        return true;
    }

    // ip4-network [ ip4-cidr-length ] / ip6-network [ ip6-cidr-length ]
    private static bool TryNetwork(string text, bool v4, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        var length = v4 ? 32 : 128;
        if (slash >= 0 && !TryCidr(text[(slash + 1)..], length, out length))
        {
            return false;
        }

        IPAddress? address;
        if (v4)
        {
            // ip4-network = qnum "." qnum "." qnum "." qnum, qnum without leading zeros (0-255).
            if (!Ip4Network().IsMatch(addressText) || !IPAddress.TryParse(addressText, out address))
            {
                return false;
            }
        }
        else if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        network = new IPNetwork(MaskTo(address, length), length);
        return true;
    }

    // ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ); ip6-cidr-length = "/" ( "0" / %x31-39 0*2DIGIT ): no leading zeros.
    private static bool TryCidr(string digits, int max, out int value)
    {
        value = 0;
        return digits.Length is > 0 and <= 3 && digits.All(char.IsAsciiDigit) && (digits == "0" || digits[0] != '0')
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max;
    }

    public static IPAddress MaskTo(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static bool Error(string message, out string error)
    {
        error = message;
        return false;
    }

    private static string Printable(string text) => string.Concat(text.Select(c => c is < '!' or > '~' ? $"\\x{(int)c:X2}" : c.ToString()));

    // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=" before any ":" or "/" (§4.6.1).
    [GeneratedRegex("^([A-Za-z][A-Za-z0-9._-]*)=")]
    private static partial Regex ModifierName();

    [GeneratedRegex("^(?<spec>.*?)(?:/(?<c4>[0-9]+))?(?://(?<c6>[0-9]+))?$", RegexOptions.Singleline)]
    private static partial Regex DualCidr();

    [GeneratedRegex("^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")]
    private static partial Regex Ip4Network();
}
