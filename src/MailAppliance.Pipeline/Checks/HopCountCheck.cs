using MailAppliance.Pipeline.Stages;

namespace MailAppliance.Pipeline.Checks;

/// <summary>
/// RFC 5321 §6.3: a message that has passed through too many relays is in a loop. Past <see cref="MaxHops"/>
/// Received fields (Postfix's hopcount_limit is 50) it is refused at the end of DATA with 554 5.4.6, so it stops here
/// and the sender's MTA reports it.
/// </summary>
public sealed class HopCountCheck : ISmtpCheck
{
    public const int MaxHops = 50;

    public string Name => "HOPS";

    public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

    public async Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        if (context.OpenMessage is null)
        {
            return CheckResult.Nothing;
        }

        var hops = CountReceived(await context.ReadHeaderAsync(cancellationToken));
        return hops > MaxHops
            ? new CheckResult { Action = CheckAction.Reject, Code = 554, EnhancedCode = "5.4.6", Reason = $"too many hops ({hops} Received fields): a mail loop" }
            : CheckResult.Nothing;
    }

    /// <summary>The Received fields of a header block (RFC 5322 field names compare without case; folded lines do not count).</summary>
    internal static int CountReceived(ReadOnlySpan<byte> header)
    {
        var count = 0;
        var lineStart = 0;
        while (lineStart < header.Length)
        {
            var newline = header[lineStart..].IndexOf((byte)'\n');
            var line = newline < 0 ? header[lineStart..] : header.Slice(lineStart, newline);
            if (line.Length >= 9 && System.Text.Ascii.EqualsIgnoreCase(line[..9], "received:"u8))
            {
                count++;
            }

            lineStart = newline < 0 ? header.Length : lineStart + newline + 1;
        }

        return count;
    }
}
