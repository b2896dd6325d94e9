namespace MailAppliance.Pipeline.Stages;

/// <summary>The points of an SMTP transaction where checks run.</summary>
public enum SmtpStage
{
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}
