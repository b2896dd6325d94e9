using MailAppliance.Mime;
using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Pipeline.Checks;

/// <summary>
/// The header fields RFC 5322 §3.6 requires of every message: an origination date and an originator (From); and the
/// Message-ID it says every message SHOULD have. Mail software always writes them; their absence is a classic tell
/// of hand-made spam. Scores as SpamAssassin's MISSING_DATE / MISSING_FROM / MISSING_MID, in spirit.
/// Only the header block is read (<see cref="CheckContext.ReadHeaderAsync"/>), so a 40 MiB message costs what a small one does.
/// </summary>
public sealed class HeaderCheck : ISmtpCheck
{
    public const string MissingDate = "MISSING_DATE";
    public const string MissingFrom = "MISSING_FROM";
    public const string MissingMessageId = "MISSING_MID";

    public string Name => "HEADER";

    public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

    public async Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        if (context.OpenMessage is null)
        {
            return CheckResult.Nothing;
        }

        var parser = new MimeParser();
        parser.Write(await context.ReadHeaderAsync(cancellationToken));
        var root = parser.Complete().Root;
        var symbols = new List<Storage.Spool.VerdictSymbol>();
        if (root.GetHeader("Date") is null)
        {
            symbols.Add(new(MissingDate, 1.0));
        }

        if (root.GetHeader("From") is null)
        {
            symbols.Add(new(MissingFrom, 1.0));
        }

        if (root.GetHeader("Message-ID") is null)
        {
            symbols.Add(new(MissingMessageId, 0.5));
        }

        return new CheckResult { Symbols = symbols };
    }
}
