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
    private const int MaxHeaderBytes = 1024 * 1024;

    public string Name => "HOPS";

    public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

    public async Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        if (context.OpenMessage is null)
        {
            return CheckResult.Nothing;
        }

        await using var message = await context.OpenMessage(cancellationToken);
        var hops = CountReceived(message, MaxHeaderBytes);
        return hops > MaxHops
            ? new CheckResult { Action = CheckAction.Reject, Code = 554, EnhancedCode = "5.4.6", Reason = $"too many hops ({hops} Received fields): a mail loop" }
            : CheckResult.Nothing;
    }

    /// <summary>The Received fields of the header block (read up to <paramref name="limit"/> octets).</summary>
    internal static int CountReceived(Stream message, int limit)
    {
        var count = 0;
        var atLineStart = true;
        var read = 0;
        var matched = 0;
        var lastWasNewline = false;
        const string Name = "received:";
        var buffer = new byte[16 * 1024];
        int n;
        while (read < limit && (n = message.Read(buffer)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                var b = buffer[i];
                if (b == '\n')
                {
                    if (lastWasNewline)
                    {
                        return count; // an empty line: the header ends
                    }

                    lastWasNewline = true;
                    atLineStart = true;
                    matched = 0;
                    continue;
                }

                if (b != '\r')
                {
                    lastWasNewline = false;
                }

                if (atLineStart || matched > 0)
                {
                    atLineStart = false;
                    if (matched < Name.Length && char.ToLowerInvariant((char)b) == Name[matched])
                    {
                        matched++;
                        if (matched == Name.Length)
                        {
                            count++;
                            matched = 0;
                        }
                    }
                    else
                    {
                        matched = 0;
                    }
                }
            }

            read += n;
        }

        return count;
    }
}
