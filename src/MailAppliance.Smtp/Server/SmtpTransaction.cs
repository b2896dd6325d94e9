using MailAppliance.Pipeline.Stages;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// One mail transaction (MAIL ... end of DATA or BDAT LAST): the envelope lives here, not in the session, and so does
/// a BDAT message in progress, so that whatever ends the transaction also discards its bytes.
/// </summary>
public sealed class SmtpTransaction : IAsyncDisposable
{
    public SmtpTransaction(ReversePath from, MailParameters parameters, StageOutcome checks)
    {
        From = from;
        Parameters = parameters;
        Checks = checks;
    }

    public ReversePath From { get; }

    public MailParameters Parameters { get; }

    /// <summary>Accepted recipients with their DSN parameters, as written into the spool (canonical address text, each once).</summary>
    public List<SpoolRecipient> Recipients { get; } = [];

    /// <summary>RCPT commands answered 250, duplicates included: what the recipient limit counts (RFC 5321 §4.5.3.1.8).</summary>
    public int AcceptedRecipients { get; set; }

    /// <summary>Every RCPT with its answer, for the transaction's summary log line.</summary>
    public List<string> RecipientResults { get; } = [];

    /// <summary>What the checks found so far (HELO, MAIL, RCPT): the start of the message's verdict.</summary>
    public StageOutcome Checks { get; set; }

    /// <summary>A message arriving in BDAT chunks, and its length so far.</summary>
    public Submission? Chunked { get; set; }

    public long ChunkedLength { get; set; }

    /// <summary>Ends the transaction: a message in progress is discarded, no file stays.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Chunked is { } chunked)
        {
            Chunked = null;
            await chunked.DisposeAsync();
        }
    }
}
