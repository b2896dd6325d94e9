using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// Final delivery into a local mailbox through the mail store. RFC 5321 §4.4: the delivering MTA puts the
/// reverse-path in a <c>Return-Path:</c> field first; <c>Delivered-To:</c> names the mailbox's address (the loop
/// detector forwarding relies on); then the verdict's fields (Authentication-Results, X-Spam-*), then the message
/// as received. The store's delivery key (queue id, recipient, user) makes a retry after a crash a no-op.
/// </summary>
public sealed class LocalTransport
{
    private readonly MailStore _store;

    public LocalTransport(MailStore store) => _store = store;

    public async Task<TransportResult> DeliverAsync(string queueId, string recipient, SpooledMessage message, RecipientRoute.Local route, CancellationToken cancellationToken)
    {
        var user = route.User;
        var key = MailAddress.TryParse(recipient, out var parsed, out _) ? parsed.Key : recipient.ToLowerInvariant();
        var stream = message.WithPrefix(Prefix(message, user.Address));
        try
        {
            var result = await _store.DeliverAsync(
                new DeliveryRequest(new MailUser(user.Id, MailAddress.Parse(user.Address)), MailboxName.Inbox) { DeliveryKey = $"{queueId}:{key}:{user.Id}" },
                stream, cancellationToken);
            return result.Status == DeliveryStatus.OverQuota
                ? new TransportResult(RecipientStatus.Deferred, $"{user.Address}: {result.Reason}")
                : new TransportResult(RecipientStatus.Delivered, $"{user.Address}: uid {result.Uid}");
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            return new TransportResult(RecipientStatus.Deferred, $"{user.Address}: temporary failure: {e.Message.ReplaceLineEndings(" ")}", Outage: true);
        }
    }

    /// <summary>The fields a local delivery adds before the message.</summary>
    internal static byte[] Prefix(SpooledMessage message, string mailbox)
    {
        var sb = new StringBuilder()
            .Append("Return-Path: <").Append(message.Envelope.MailFrom).Append(">\r\n")
            .Append("Delivered-To: ").Append(mailbox).Append("\r\n");
        foreach (var header in message.Verdict.Headers)
        {
            sb.Append(header).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
