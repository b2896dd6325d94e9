using MailAppliance.Storage.Sieve;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// The SMTP envelope of the message being filtered: sender (empty for the null sender <c>&lt;&gt;</c>), the
/// recipient this run is for, and the authenticated submitter if any.
/// </summary>
public sealed record SieveEnvelope(string From, string To, string? AuthUser = null);

/// <summary>The spam and virus verdicts the spamtest and virustest extensions read (RFC 5235).</summary>
public sealed record SieveScores(double? SpamScore = null, double SpamThreshold = 5.0, int? VirusLevel = null)
{
    /// <summary>RFC 5235 §3.2: "0" not tested, "1" to "10" from clearly ham to certainly spam.</summary>
    public string SpamTestValue(bool percent)
    {
        if (SpamScore is not { } score)
        {
            return "0";
        }

        // The score is placed on a scale whose ceiling is twice the threshold (the threshold lands at 50 %).
        var p = (int)Math.Round(Math.Clamp(score / (2 * Math.Max(SpamThreshold, 0.1)), 0, 1) * 100);
        return percent
            ? p.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : (1 + (int)Math.Round(p * 9 / 100.0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>RFC 5235 §3.3: "0" not tested, "1" clean to "5" infected.</summary>
    public string VirusTestValue => VirusLevel is { } v ? Math.Clamp(v, 1, 5).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
}

/// <summary>Where include finds other scripts (RFC 6609 §3.2: :personal and :global locations).</summary>
public interface ISieveScriptSource
{
    /// <summary>The text of the named script, or null when there is none.</summary>
    ValueTask<string?> GetScriptAsync(bool global, string name, CancellationToken cancellationToken);
}

/// <summary>Answers mailboxexists (RFC 5490 §3.1).</summary>
public interface ISieveMailboxes
{
    ValueTask<bool> ExistsAsync(string mailbox, CancellationToken cancellationToken);
}

/// <summary>
/// The user a script runs for: their address and every address of theirs (vacation never answers those and looks
/// for one of them in the recipient headers), the stores behind duplicate and vacation, and the scores.
/// </summary>
public sealed record SieveUserContext(long UserId, string User, IReadOnlyList<string> Addresses)
{
    public ISieveDuplicateStore? Duplicates { get; init; }

    public IVacationResponseStore? VacationResponses { get; init; }

    public ISieveScriptSource? Scripts { get; init; }

    public ISieveMailboxes? Mailboxes { get; init; }

    public SieveScores Scores { get; init; } = new();

    /// <summary>The host name for Message-IDs of vacation replies.</summary>
    public string Hostname { get; init; } = "localhost";
}

/// <summary>One run's input: envelope, the message (a seekable stream), the user, and whether to only report.</summary>
public sealed record SieveRunInput(SieveEnvelope Envelope, Stream Message, SieveUserContext User)
{
    /// <summary>Report actions without consulting or changing any store (sieve test, CHECKSCRIPT).</summary>
    public bool DryRun { get; init; }
}
