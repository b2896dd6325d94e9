namespace MailAppliance.Pipeline.Authentication;

/// <summary>Everything intake learned about a message's authenticity, ready for Authentication-Results and scoring.</summary>
public sealed record AuthenticationReport(SpfResult? Spf, IReadOnlyList<DkimResult> Dkim, ArcResult Arc, DmarcResult Dmarc)
{
    /// <summary>The RFC5322.From domain DMARC evaluated (null when the message has no single From domain).</summary>
    public string? FromDomain => Dmarc.FromDomain.Length == 0 ? null : Dmarc.FromDomain;
}
