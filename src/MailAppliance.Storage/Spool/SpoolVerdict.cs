namespace MailAppliance.Storage.Spool;

/// <summary>
/// What intake decided about a message before its 250: the checks' symbols with their scores, the total, and the
/// header fields to add on delivery (Authentication-Results, X-Spam-*). Written into the spool file after the
/// message, so it survives a restart with the message and every node delivers it the same way.
/// </summary>
public sealed record SpoolVerdict
{
    public static SpoolVerdict None { get; } = new();

    /// <summary>The sum of the symbols' scores; null when no check scored the message.</summary>
    public double? Score { get; init; }

    public IReadOnlyList<VerdictSymbol> Symbols { get; init; } = [];

    /// <summary>Complete header fields (folded with CRLF, no final CRLF) to put before the message on delivery.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];
}

/// <summary>A check's finding: a name (<c>MISSING_DATE</c>) and what it adds to the score.</summary>
public sealed record VerdictSymbol(string Name, double Score);
