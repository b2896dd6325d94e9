using System.Security.Cryptography;
using System.Text;
using MailAppliance.Pipeline.Reports;
using DsnNotify = MailAppliance.Smtp.Client.DsnNotify;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>What one recipient's attempt earns its sender: a failure, delay or success report (RFC 3464 Action).</summary>
/// <param name="FinalRecipient">Where the route went (the recipient, or a forward's target).</param>
public sealed record DeliveryNotice(QueueRecipient Row, DsnAction Action, TransportResult Result, string FinalRecipient);

/// <summary>
/// Sends DSNs (RFC 3464) to the senders of queued messages: one per message, kind of news and round, from
/// MAILER-DAEMON with the null reverse-path, submitted through the queue like any message (so a local sender finds
/// it in the INBOX, a remote one gets it by SMTP). RFC 3461 rules: never about a message from the null sender,
/// NOTIFY=NEVER gets none, a delay or a success only when asked for (no NOTIFY: failures and delays, as Postfix).
/// </summary>
/// <remarks>
/// A DSN's queue id is made from the message's and the recipients it reports, and one that exists already is not
/// sent again: a crash between submitting a DSN and settling its recipients repeats the attempt, not the DSN.
/// </remarks>
public sealed class DeliveryNotifier(MessageQueue queue, DeliveryOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>Whether the sender of <paramref name="row"/> asked for (or by default gets) news of this kind.</summary>
    public static bool Wants(QueueRecipient row, DsnAction action)
    {
        if (row.MailFrom.Length == 0)
        {
            return false; // RFC 3461 §6.2 / RFC 5321 §4.5.5: never a DSN about a DSN (or any null-sender message)
        }

        var notify = SmtpTransport.Notify(row.Notify);
        if (notify is null)
        {
            // RFC 3461 §4.1: without NOTIFY, FAILURE or FAILURE,DELAY at the MTA's choice.
            return action is DsnAction.Failed or DsnAction.Delayed;
        }

        return action switch
        {
            DsnAction.Failed => notify.Value.HasFlag(DsnNotify.Failure),
            DsnAction.Delayed => notify.Value.HasFlag(DsnNotify.Delay),
            _ => notify.Value.HasFlag(DsnNotify.Success),
        };
    }

    /// <summary>
    /// Submits the DSN for <paramref name="notices"/> (all of one message and one kind: failures, delays or
    /// successes). False when it could not be queued (the disk full): the caller keeps its recipients waiting.
    /// </summary>
    public async Task<bool> NotifyAsync(SpooledMessage original, IReadOnlyList<DeliveryNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
        {
            return true;
        }

        var envelope = original.Envelope;
        var queueId = DsnQueueId(envelope.QueueId, notices);
        if (await queue.ShowAsync(queueId, cancellationToken) is not null)
        {
            logger.LogInformation("DSN {DsnQueueId} for {QueueId} was queued before; not again", queueId, envelope.QueueId);
            return true;
        }

        var now = time.GetUtcNow();
        // RFC 8689 §5: a report about a REQUIRETLS message returns its header only, and itself travels with REQUIRETLS.
        var returnFull = !envelope.RequireTls && !string.Equals(envelope.Ret, "HDRS", StringComparison.OrdinalIgnoreCase);
        var report = new DsnReport(
            options.Hostname,
            envelope.MailFrom,
            $"{queueId}@{options.Hostname}",
            envelope.QueueId,
            envelope.ReceivedAt,
            now,
            SmtpTransport.EnvelopeIdOf(envelope),
            [.. notices.Select(n => Recipient(n, envelope, now))],
            returnFull,
            envelope.SmtpUtf8);
        var dsn = new SpoolEnvelope
        {
            QueueId = queueId,
            ReceivedAt = now,
            MailFrom = "",
            Recipients = [new SpoolRecipient(envelope.MailFrom)],
            SmtpUtf8 = envelope.SmtpUtf8,
            // The returned message keeps its 8-bit octets (message/rfc822 in 8bit): the DSN needs 8BITMIME as the original did.
            Body = returnFull && !string.Equals(envelope.Body, "7BIT", StringComparison.OrdinalIgnoreCase) ? "8BITMIME" : "7BIT",
            RequireTls = envelope.RequireTls,
        };

        Submission submission;
        try
        {
            submission = await queue.BeginAsync(dsn, cancellationToken);
        }
        catch (IOException e)
        {
            logger.LogError(e, "DSN for {QueueId} could not be queued", envelope.QueueId);
            return false;
        }

        await using (submission)
        {
            try
            {
                await DeliveryStatusNotification.WriteAsync(submission.Body, report, original.Message, cancellationToken);
            }
            catch (IOException e)
            {
                logger.LogError(e, "DSN for {QueueId} could not be written", envelope.QueueId);
                return false;
            }

            var result = await submission.SubmitAsync(SpoolVerdict.None, cancellationToken);
            if (!result.IsAccepted)
            {
                logger.LogError(result.Error, "DSN for {QueueId} could not be queued", envelope.QueueId);
                return false;
            }
        }

        logger.LogInformation(
            "DSN {DsnQueueId} ({Action}) for {QueueId} queued to <{Sender}> about {Recipients}",
            queueId, string.Join(",", notices.Select(n => n.Action.ToString().ToLowerInvariant()).Distinct()), envelope.QueueId, envelope.MailFrom,
            string.Join(", ", notices.Select(n => n.FinalRecipient)));
        return true;
    }

    private DsnRecipient Recipient(DeliveryNotice notice, SpoolEnvelope envelope, DateTimeOffset now)
    {
        var original = Client.OriginalRecipient.FromParameter(notice.Row.OriginalRecipient);
        var status = notice.Result.StatusCode ?? notice.Action switch
        {
            DsnAction.Failed => "5.0.0",
            DsnAction.Delayed => "4.0.0",
            _ => "2.0.0",
        };
        var diagnostic = notice.Action is DsnAction.Delivered or DsnAction.Relayed && !notice.Result.RemoteReply ? null : notice.Result.Result;
        return new DsnRecipient(
            notice.FinalRecipient,
            original is null ? null : (original.AddressType, original.Address),
            notice.Action,
            status,
            notice.Result.RemoteMta,
            diagnostic,
            notice.Result.RemoteReply,
            now,
            notice.Action == DsnAction.Delayed ? envelope.ReceivedAt + options.MaxLifetime : null);
    }

    /// <summary>
    /// The message's queue id, a letter for the kind of news, and six hex digits of the recipients reported: the same
    /// DSN gets the same id when an attempt is repeated (8 to 32 letters and digits, as every queue id).
    /// </summary>
    internal static string DsnQueueId(string queueId, IReadOnlyList<DeliveryNotice> notices)
    {
        var kind = notices.Any(n => n.Action == DsnAction.Failed) ? 'F' : notices.Any(n => n.Action == DsnAction.Delayed) ? 'D' : 'S';
        var recipients = string.Join("\n", notices.Select(n => n.Row.Recipient + "\t" + n.FinalRecipient).Order(StringComparer.OrdinalIgnoreCase));
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(recipients.ToLowerInvariant())))[..6];
        return queueId + kind + hash;
    }
}
