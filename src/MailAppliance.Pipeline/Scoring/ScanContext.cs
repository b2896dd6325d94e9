namespace MailAppliance.Pipeline.Scoring;

/// <summary>Everything a rule can look at for one message: its content, its envelope, what authentication said, who we are.</summary>
public sealed record ScanContext(
    MessageContent Content,
    ScanEnvelope Envelope,
    SenderAuthentication Authentication,
    string OurHostname,
    Func<string, bool> IsOurDomain);
