namespace MailAppliance.Pipeline.Sieve;

/// <summary>The extensions a script may require (RFC 5228 §3.2), as ManageSieve's SIEVE capability lists them.</summary>
public static class SieveCapabilities
{
    /// <summary>In the order CAPABILITY advertises them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "fileinto", "reject", "ereject", "envelope", "encoded-character", "vacation", "vacation-seconds",
        "comparator-i;octet", "comparator-i;ascii-casemap", "comparator-i;ascii-numeric", "imap4flags", "copy",
        "include", "variables", "body", "relational", "date", "index", "subaddress", "mailbox", "duplicate",
        "editheader", "spamtest", "spamtestplus", "virustest", "regex",
    ];

    private static readonly HashSet<string> Known = new(All, StringComparer.Ordinal);

    /// <summary>RFC 5228 §3.2: capability names are compared case-sensitively.</summary>
    public static bool IsKnown(string name) => Known.Contains(name);

    /// <summary>The space-separated list for ManageSieve's "SIEVE" capability (RFC 5804 §1.7).</summary>
    public static string CapabilityString => string.Join(' ', All);
}
