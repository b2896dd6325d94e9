namespace MailAppliance.Pipeline.Srs;

/// <summary>
/// <c>Srs:*</c>: the domain of rewritten senders (default: <c>Hostname</c>), the secrets file in postsrsd's format
/// (default <c>&lt;DataDirectory&gt;/srs.secret</c>, created at first start) and how many days an address stays valid.
/// </summary>
public sealed record SrsOptions(string Domain, string SecretFile, int MaxAgeDays = 21)
{
    public const int DefaultMaxAgeDays = 21;

    /// <summary>The rewriter these options describe, its secret file created when missing.</summary>
    public SrsRewriter CreateRewriter(TimeProvider time) => new(Domain, SrsSecrets.LoadOrCreate(SecretFile), time, MaxAgeDays);
}
