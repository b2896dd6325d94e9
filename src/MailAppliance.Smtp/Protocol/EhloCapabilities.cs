using System.Globalization;

namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// What a server offers in its EHLO reply (RFC 5321 §4.1.1.1: the first line names the server, each further line is
/// <c>ehlo-keyword *(SP ehlo-param)</c>). Keywords are case-insensitive; unknown ones are kept in <see cref="Keywords"/>.
/// </summary>
public sealed record EhloCapabilities
{
    /// <summary>What a server that answered HELO (or nothing usable to EHLO) offers: plain RFC 5321.</summary>
    public static EhloCapabilities None { get; } = new();

    /// <summary>The domain on the first line (RFC 5321 §4.1.1.1), empty when missing.</summary>
    public string ServerName { get; init; } = "";

    /// <summary>Every keyword (upper case) with its parameters as sent.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Keywords { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>RFC 2920.</summary>
    public bool Pipelining { get; init; }

    /// <summary>RFC 1870: the keyword was offered.</summary>
    public bool Size { get; init; }

    /// <summary>RFC 1870: the fixed maximum message size; null when not announced or 0 ("no fixed maximum").</summary>
    public long? MaxSize { get; init; }

    /// <summary>RFC 6152.</summary>
    public bool EightBitMime { get; init; }

    /// <summary>RFC 6531.</summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>RFC 3030 BDAT.</summary>
    public bool Chunking { get; init; }

    /// <summary>RFC 3030 BODY=BINARYMIME (needs CHUNKING).</summary>
    public bool BinaryMime { get; init; }

    /// <summary>RFC 3461.</summary>
    public bool Dsn { get; init; }

    /// <summary>RFC 3207.</summary>
    public bool StartTls { get; init; }

    /// <summary>RFC 2034.</summary>
    public bool EnhancedStatusCodes { get; init; }

    /// <summary>RFC 8689.</summary>
    public bool RequireTls { get; init; }

    /// <summary>RFC 4954: the SASL mechanisms offered (upper case), empty when AUTH is not offered.</summary>
    public IReadOnlySet<string> AuthMechanisms { get; init; } = new HashSet<string>();

    public bool Offers(string keyword) => Keywords.ContainsKey(keyword.ToUpperInvariant());

    /// <summary>Reads an EHLO reply; a reply that is not 250 offers nothing.</summary>
    public static EhloCapabilities Parse(ServerReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Code != 250 || reply.Lines.Count == 0)
        {
            return None;
        }

        var keywords = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var auth = new HashSet<string>(StringComparer.Ordinal);
        long? maxSize = null;
        foreach (var line in reply.Lines.Skip(1))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            var keyword = words[0].ToUpperInvariant();
            var parameters = words[1..];

            // Old servers (and Postfix's broken_sasl_auth_clients) also announce "AUTH=LOGIN PLAIN".
            if (keyword.StartsWith("AUTH=", StringComparison.Ordinal))
            {
                parameters = [keyword[5..], .. parameters];
                keyword = "AUTH";
            }

            if (keyword.Length == 0 || !keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                continue; // RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
            }

            switch (keyword)
            {
                case "AUTH":
                    foreach (var mechanism in parameters)
                    {
                        auth.Add(mechanism.ToUpperInvariant());
                    }

                    break;
                case "SIZE" when parameters.Length > 0 && long.TryParse(parameters[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0:
                    maxSize = size;
                    break;
            }

            if (keywords.TryGetValue(keyword, out var earlier))
            {
                parameters = [.. earlier, .. parameters];
            }

            keywords[keyword] = parameters;
        }

        return new EhloCapabilities
        {
            ServerName = reply.Lines[0].Split(' ', 2)[0],
            Keywords = keywords,
            Pipelining = keywords.ContainsKey("PIPELINING"),
            Size = keywords.ContainsKey("SIZE"),
            MaxSize = maxSize,
            EightBitMime = keywords.ContainsKey("8BITMIME"),
            SmtpUtf8 = keywords.ContainsKey("SMTPUTF8"),
            Chunking = keywords.ContainsKey("CHUNKING"),
            BinaryMime = keywords.ContainsKey("BINARYMIME"),
            Dsn = keywords.ContainsKey("DSN"),
            StartTls = keywords.ContainsKey("STARTTLS"),
            EnhancedStatusCodes = keywords.ContainsKey("ENHANCEDSTATUSCODES"),
            RequireTls = keywords.ContainsKey("REQUIRETLS"),
            AuthMechanisms = auth,
        };
    }
}
