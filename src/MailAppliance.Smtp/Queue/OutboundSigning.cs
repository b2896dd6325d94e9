using System.Net;
using System.Text;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// DKIM signing of mail that leaves (RFC 6376): mail of our own users (authenticated at submission), of clients in
/// <c>Smtp:TrustedNetworks</c>, and mail this appliance made itself (DSNs, replies; spooled without a client), each
/// with the keys of its From domain (<see cref="DkimSigningService"/>). Mail relayed for others (a forward of a
/// stranger's message) is not signed: its own signature goes on unchanged. The fields are computed over the spool
/// bytes and put before them; the message is never re-serialized.
/// </summary>
public sealed class OutboundSigning(DkimSigningService signer, IReadOnlyList<IPNetwork> trustedNetworks, ILogger<OutboundSigning> logger)
{
    /// <summary>Whether mail with this envelope is ours to sign.</summary>
    public bool IsOurs(SpoolEnvelope envelope)
    {
        if (envelope.AuthenticatedUser is not null || envelope.ClientAddress is null)
        {
            return true;
        }

        return IPAddress.TryParse(envelope.ClientAddress, out var client)
            && trustedNetworks.Any(n => n.Contains(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client));
    }

    /// <summary>
    /// The DKIM-Signature fields to put before the message (empty when it is not ours or its domain has no key); null
    /// when the key index cannot be read now (the database away: the message waits rather than leaving unsigned, which
    /// a receiver enforcing DMARC would refuse). A key file that cannot be used is logged and the message goes
    /// unsigned.
    /// </summary>
    public async Task<byte[]?> SignatureAsync(SpooledMessage message, CancellationToken cancellationToken)
    {
        if (!IsOurs(message.Envelope))
        {
            return [];
        }

        message.Message.Position = 0;
        try
        {
            var outcome = await signer.SignAsync(message.Message, cancellationToken);
            if (!outcome.Signed)
            {
                logger.LogDebug("{QueueId} not DKIM-signed: {Reason}", message.Envelope.QueueId, outcome.Skipped);
                return [];
            }

            logger.LogInformation("{QueueId} DKIM-signed for {Domain} with selector(s) {Selectors}", message.Envelope.QueueId, outcome.Domain, string.Join(", ", outcome.Selectors));
            return Encoding.ASCII.GetBytes(outcome.Fields);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            logger.LogWarning(e, "{QueueId} not signed: the DKIM key index is unavailable; tried again later", message.Envelope.QueueId);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "{QueueId} could not be DKIM-signed; sent unsigned", message.Envelope.QueueId);
            return [];
        }
        finally
        {
            message.Message.Position = 0;
        }
    }
}
