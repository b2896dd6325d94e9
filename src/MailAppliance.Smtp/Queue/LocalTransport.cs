using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Routing;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// Final delivery into a local mailbox through the mail store. RFC 5321 §4.4: the delivering MTA puts the
/// reverse-path in a <c>Return-Path:</c> field first; <c>Delivered-To:</c> names the mailbox's address (the loop
/// detector forwarding relies on); our Received field; then the verdict's fields (Authentication-Results, the
/// recipient's X-Spam-*); then the message as received. The user's active Sieve script, when there is one, decides
/// folders, flags, redirects, rejects and vacation replies (<see cref="SieveDelivery"/>); without one, mail scored
/// as spam for this recipient goes into Junk. The store's delivery key (queue id, recipient, user, folder) makes a
/// retry after a crash a no-op.
/// </summary>
public sealed class LocalTransport
{
    private readonly MailStore _store;
    private readonly SieveDelivery? _sieve;
    private readonly ILogger _logger;

    public LocalTransport(MailStore store, SieveDelivery? sieve = null, ILogger<LocalTransport>? logger = null)
    {
        _store = store;
        _sieve = sieve;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The Junk folder (special-use \Junk).</summary>
    public static MailboxName JunkMailbox { get; } = MailboxName.FromImap("Junk").Value;

    public async Task<TransportResult> DeliverAsync(string queueId, string recipient, SpooledMessage message, RecipientRoute.Local route, CancellationToken cancellationToken)
    {
        var user = route.User;
        var key = MailAddress.TryParse(recipient, out var parsed, out _) ? parsed.Key : recipient.ToLowerInvariant();
        var scored = message.Verdict.For(recipient);
        var mailUser = new MailUser(user.Id, MailAddress.Parse(user.Address));
        var deliveryKey = $"{queueId}:{key}:{user.Id}";
        if (HasDeliveredTo(message, user.Address))
        {
            // It was delivered to this mailbox before and came back (a forward through another system): a loop.
            return new TransportResult(RecipientStatus.Bounced, $"5.4.6 {user.Address}: mail forwarding loop (Delivered-To: {user.Address} already present)");
        }

        try
        {
            if (_sieve is not null && route.Mailbox == "INBOX" && _sieve.ActiveScript(mailUser.Address) is { } script)
            {
                return await _sieve.DeliverAsync(this, script, queueId, recipient, deliveryKey, mailUser, message, scored, cancellationToken);
            }

            // Mail scored at or over the recipient's tag threshold goes into Junk (created on first use, as Dovecot's
            // autocreate would), unless routing already chose a folder.
            var mailbox = route.Mailbox == "INBOX" && scored is { Junk: true } ? JunkMailbox
                : MailboxName.FromImap(route.Mailbox) is { Succeeded: true } named ? named.Value : MailboxName.Inbox;
            return await StoreAsync(mailUser, mailbox, MaildirFlags.None, [], deliveryKey, Compose(message, user.Address, scored), cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            return new TransportResult(RecipientStatus.Deferred, $"{user.Address}: temporary failure: {e.Message.ReplaceLineEndings(" ")}", Outage: true);
        }
    }

    /// <summary>The message as this user's mailbox stores it (the fields we add, the message without removed ranges).</summary>
    internal static Stream Compose(SpooledMessage message, string mailbox, RecipientVerdict? scored) =>
        message.Compose(Prefix(message, mailbox), Fields(message.Verdict, scored));

    /// <summary>One store into one folder; over quota defers (the sender's MTA hears nothing: the queue retries).</summary>
    internal async Task<TransportResult> StoreAsync(MailUser user, MailboxName mailbox, MaildirFlags flags, IReadOnlyList<string> keywords, string deliveryKey, Stream content, CancellationToken cancellationToken)
    {
        var result = await _store.DeliverAsync(
            new DeliveryRequest(user, mailbox) { DeliveryKey = deliveryKey, Flags = flags, Keywords = keywords },
            content, cancellationToken);
        var where = mailbox.IsInbox ? "" : $" in {mailbox}";
        return result.Status == DeliveryStatus.OverQuota
            ? new TransportResult(RecipientStatus.Deferred, $"{user.Address}: {result.Reason}")
            : new TransportResult(RecipientStatus.Delivered, $"{user.Address}: uid {result.Uid}{where}");
    }

    /// <summary>The fields a local delivery adds before the message.</summary>
    internal static byte[] Prefix(SpooledMessage message, string mailbox) =>
        Encoding.UTF8.GetBytes($"Return-Path: <{message.Envelope.MailFrom}>\r\nDelivered-To: {mailbox}\r\n");

    /// <summary>The verdict's fields (Authentication-Results) and the recipient's own (X-Spam-*), after our Received field.</summary>
    internal static byte[] Fields(SpoolVerdict verdict, RecipientVerdict? recipient)
    {
        var sb = new StringBuilder();
        foreach (var header in verdict.Headers.Concat(recipient?.Headers ?? []))
        {
            sb.Append(header).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Whether the message already carries <c>Delivered-To: target</c> (it went there before: a loop).</summary>
    internal static bool HasDeliveredTo(SpooledMessage message, string target)
    {
        var stream = message.Message;
        stream.Position = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        string header;
        try
        {
            var read = stream.ReadAtLeast(buffer.AsSpan(0, 64 * 1024), 64 * 1024, throwOnEndOfStream: false);
            header = Encoding.Latin1.GetString(buffer, 0, read);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        var end = header.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        header = end >= 0 ? header[..end] : header;
        return header.Split("\r\n").Any(l => l.StartsWith("Delivered-To:", StringComparison.OrdinalIgnoreCase)
            && l["Delivered-To:".Length..].Trim().Trim('<', '>').Equals(target, StringComparison.OrdinalIgnoreCase));
    }
}
