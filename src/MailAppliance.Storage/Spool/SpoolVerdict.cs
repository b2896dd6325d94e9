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

    /// <summary>Complete header fields (folded with CRLF, no final CRLF) to add on delivery, at <see cref="HeadersAt"/>.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    /// <summary>
    /// Where in the message the added fields go: after our own <c>Received:</c> field (INTERFACE.md's order:
    /// Return-Path, Delivered-To, Received, Authentication-Results, X-Spam-*); 0 puts them before the message.
    /// </summary>
    public long HeadersAt { get; init; }

    /// <summary>Ranges of the message never delivered: header fields that arrived claiming to be ours (a forged Authentication-Results).</summary>
    public IReadOnlyList<MessageRange> Removed { get; init; } = [];

    /// <summary>What scoring decided per envelope recipient (their own thresholds, lists and classifier).</summary>
    public IReadOnlyList<RecipientVerdict> Recipients { get; init; } = [];

    /// <summary>The verdict for one envelope recipient, if scoring gave one.</summary>
    public RecipientVerdict? For(string recipient) =>
        Recipients.FirstOrDefault(r => string.Equals(r.Recipient, recipient, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Octets [<paramref name="Offset"/>, Offset + <paramref name="Length"/>) of the message.</summary>
public readonly record struct MessageRange(long Offset, long Length);

/// <summary>
/// Scoring's outcome for one envelope recipient: their score, whether it goes into Junk, the score at or over which a
/// forward of theirs is discarded (their own setting, when they have one), and their X-Spam-* fields.
/// </summary>
public sealed record RecipientVerdict(string Recipient, double Score, bool Junk, double? DiscardForwardThreshold, IReadOnlyList<string> Headers);

/// <summary>A check's finding: a name (<c>MISSING_DATE</c>) and what it adds to the score.</summary>
public sealed record VerdictSymbol(string Name, double Score);
