namespace MailAppliance.Pipeline.Scoring;

/// <summary>A DNS list: a zone, queried with the client IP (reversed) or with URI domains, and its weight.</summary>
/// <param name="Zone">The list's zone, e.g. zen.spamhaus.org.</param>
/// <param name="Weight">Score when listed; negative for an allow list (DNSWL).</param>
/// <param name="Uri">True for a URIBL (domains of URIs), false for a DNSBL/DNSWL (the client IP).</param>
public sealed record DnsList(string Zone, double Weight, bool Uri)
{
    /// <summary>The symbol a listing gives: the zone in capitals, dots as underscores, URIBL_ or RBL_ before it.</summary>
    public string Symbol => (Uri ? "URIBL_" : "RBL_") + Zone.ToUpperInvariant().Replace('.', '_').Replace('-', '_');
}

/// <summary><c>Spam:*</c>: thresholds, rules file, network lists, clamd, scan size and the time budget (docs/configuration.md).</summary>
public sealed record SpamOptions
{
    public const long DefaultMaxScanSize = 2 * 1024 * 1024;

    /// <summary><c>Spam:TagThreshold</c>: from this score on a message is spam (X-Spam-Flag, Junk).</summary>
    public double TagThreshold { get; init; } = 5.0;

    /// <summary><c>Spam:RejectThreshold</c>: from this score on it is refused at the end of DATA.</summary>
    public double RejectThreshold { get; init; } = 15.0;

    /// <summary><c>Spam:RulesFile</c>: the admin's rules, over the built-in set (null: built-in only).</summary>
    public string? RulesFile { get; init; }

    /// <summary><c>Spam:Dnsbl</c>: DNS lists to query.</summary>
    public IReadOnlyList<DnsList> DnsLists { get; init; } = [];

    /// <summary><c>Spam:Clamd</c>: clamd's socket (<c>/path</c> or <c>unix:/path</c>) or <c>host:port</c>; null: no virus scan.</summary>
    public string? Clamd { get; init; }

    /// <summary><c>Spam:ClamdMaxSize</c>: octets sent to clamd at most (its StreamMaxLength, 25 MiB by default).</summary>
    public long ClamdMaxSize { get; init; } = 25 * 1024 * 1024;

    /// <summary><c>Spam:MaxScanSize</c>: characters of text scored at most; beyond, SCAN_TRUNCATED.</summary>
    public long MaxScanSize { get; init; } = DefaultMaxScanSize;

    /// <summary><c>Spam:TimeBudget</c>: how long the checks of one message may take in all.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Spam:AutoLearnSpamScore</c>: a score (without the classifier's part) from which the message is learned as spam.</summary>
    public double AutoLearnSpamScore { get; init; } = 12.0;

    /// <summary><c>Spam:AutoLearnHamScore</c>: a score (without the classifier's part) up to which it is learned as ham.</summary>
    public double AutoLearnHamScore { get; init; } = -0.5;

    /// <summary><c>Spam:ClassifierMinimumLearned</c>: spam and ham a model must have learned (each) before it is trusted.</summary>
    public int ClassifierMinimumLearned { get; init; } = 10;
}
