using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Server;

/// <summary>One mail transaction (MAIL ... DATA/BDAT LAST): the envelope lives here, not in the session.</summary>
public sealed class SmtpTransaction
{
    public SmtpTransaction(ReversePath from, MailParameters parameters)
    {
        From = from;
        Parameters = parameters;
    }

    public ReversePath From { get; }

    public MailParameters Parameters { get; }

    /// <summary>Accepted recipients, as written into the spool (canonical address text).</summary>
    public List<string> Recipients { get; } = [];

    /// <summary>RCPT commands answered 250, duplicates included: what the recipient limit counts (RFC 5321 §4.5.3.1.8).</summary>
    public int AcceptedRecipients { get; set; }

    /// <summary>Every RCPT with its answer, for the transaction's summary log line.</summary>
    public List<string> RecipientResults { get; } = [];
}
