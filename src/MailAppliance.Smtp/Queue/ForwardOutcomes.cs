using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Queue;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// What a forward's destination said of it, for <c>Forwarding:PauseAfter</c>: a refusal as spam or by policy (a 5.7.x
/// reply) counts against the forwarding user's forward, any other answer of the destination resets the count, and
/// after enough refusals in a row the directory pauses the forward (its mail stays in the mailbox; receivers block
/// the IPs of servers that keep forwarding spam to them). Only a forward's own row counts (one with a parent, whether
/// or not its sender was rewritten: a bounce is forwarded from the null sender), against the forward of the user
/// that owns it, also when the mail reached that user through an alias; and only a reply of the remote server (not a
/// DNS or connection failure, not a deferral).
/// </summary>
public sealed class ForwardOutcomes(AccountDirectory directory, int pauseAfter, ILogger logger)
{
    public async Task RecordAsync(QueueRecipient row, TransportResult result, CancellationToken cancellationToken)
    {
        if (pauseAfter <= 0 || row.Parent is null || !result.RemoteReply
            || result.Status is not (RecipientStatus.Delivered or RecipientStatus.Bounced)
            || !MailAddress.TryParse(row.Parent, out var parent, out _)
            || !MailAddress.TryParse(row.Recipient, out var target, out _))
        {
            return;
        }

        // RFC 3463 §3.8: X.7.X is security or policy status (spam, reputation, DMARC).
        var refused = result.Status == RecipientStatus.Bounced && result.StatusCode?.StartsWith("5.7.", StringComparison.Ordinal) == true;
        try
        {
            foreach (var user in await directory.ForwardOwnersAsync(parent, target, cancellationToken))
            {
                if (await directory.RecordForwardOutcomeAsync(user, refused, result.Result, pauseAfter, cancellationToken))
                {
                    logger.LogWarning("Forward of {User} paused: {Count} refusals as spam in a row, last from {Target}: {Reply}", user, pauseAfter, row.Recipient, result.Result);
                }
            }
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // The count is advice, not mail: the delivery's outcome stands.
            logger.LogWarning("The outcome of {Parent}'s forward could not be recorded: {Error}", parent, e.Message);
        }
    }
}
