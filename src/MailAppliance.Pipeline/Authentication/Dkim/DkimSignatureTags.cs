using System.Globalization;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// The tag=value list of a DKIM-Signature (RFC 6376 §3.2, §3.5), read sans-I/O to report d=, s=, a= and to refuse
/// what the verifier must refuse before any key is fetched.
/// </summary>
internal sealed class DkimSignatureTags
{
    private readonly Dictionary<string, string> _tags;

    private DkimSignatureTags(Dictionary<string, string> tags) => _tags = tags;

    public string Domain => Get("d").ToLowerInvariant();

    public string Selector => Get("s");

    public string Algorithm => Get("a").ToLowerInvariant();

    public string? Identity => _tags.GetValueOrDefault("i");

    public string SignaturePrefix
    {
        get
        {
            var b = new string(Get("b").Where(c => !char.IsWhiteSpace(c)).ToArray());
            return b.Length > 8 ? b[..8] : b;
        }
    }

    public string Get(string name) => _tags.GetValueOrDefault(name, "");

    /// <summary>Reads the tags; a tag named twice is a syntax error (§3.2).</summary>
    public static bool TryParse(string value, out DkimSignatureTags tags, out string error)
    {
        tags = null!;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            var text = part.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            var equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"tag '{Short(text)}' has no '='";
                return false;
            }

            var name = text[..equals].Trim();
            if (!map.TryAdd(name, text[(equals + 1)..].Trim()))
            {
                error = $"tag {name}= appears twice (RFC 6376 §3.2)";
                return false;
            }
        }

        tags = new DkimSignatureTags(map);
        error = "";
        return true;
    }

    /// <summary>
    /// RFC 6376 §6.1.1: the checks a verifier makes before fetching the key. Null when the signature may go on.
    /// </summary>
    public string? Refusal(DateTimeOffset now)
    {
        foreach (var required in new[] { "v", "a", "b", "bh", "d", "h", "s" })
        {
            if (Get(required).Length == 0)
            {
                return $"missing tag {required}=";
            }
        }

        if (Get("v") != "1")
        {
            return $"unknown version v={Get("v")}";
        }

        if (Algorithm == "rsa-sha1")
        {
            return "rsa-sha1 is not accepted (RFC 8301 §3.1)";
        }

        if (Algorithm is not ("rsa-sha256" or "ed25519-sha256"))
        {
            return $"unknown algorithm a={Algorithm}";
        }

        // §5.4: the From field must be signed.
        if (!Get("h").Split(':').Any(h => h.Trim().Equals("from", StringComparison.OrdinalIgnoreCase)))
        {
            return "From is not signed (h= lacks from)";
        }

        // §3.5: i= must be the signing domain or a subdomain of it.
        if (Identity is { } identity)
        {
            var at = identity.LastIndexOf('@');
            var idDomain = (at < 0 ? identity : identity[(at + 1)..]).ToLowerInvariant();
            if (idDomain != Domain && !idDomain.EndsWith("." + Domain, StringComparison.Ordinal))
            {
                return $"i={identity} is not within d={Domain}";
            }
        }

        // §3.5 x=: a signature past its expiry is not valid.
        if (long.TryParse(Get("x"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            if (expires < now.ToUnixTimeSeconds())
            {
                return "signature expired (x=)";
            }

            if (long.TryParse(Get("t"), NumberStyles.None, CultureInfo.InvariantCulture, out var signedAt) && signedAt > expires)
            {
                return "t= is later than x=";
            }
        }

        return null;
    }

    private static string Short(string text) => text.Length > 20 ? text[..20] + "..." : text;
}
