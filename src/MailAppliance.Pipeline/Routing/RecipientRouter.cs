using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Pipeline.Routing;

/// <summary>
/// Decides where each recipient of a queued message goes: the directory expands it (aliases to users and external
/// targets, each once); local users get the message in their INBOX, external targets are forwarded, addresses of other
/// domains are relayed. The decision is made at delivery, not at RCPT, so a change to the directory in between
/// (a new alias target, a forward) applies to mail already queued.
/// </summary>
public sealed class RecipientRouter
{
    private readonly RecipientCache _directory;

    public RecipientRouter(RecipientCache directory) => _directory = directory;

    public async Task<RoutingResult> RouteAsync(string recipient, SpoolEnvelope envelope, CancellationToken cancellationToken)
    {
        if (!MailAddress.TryParse(recipient, out var address, out _))
        {
            return RoutingResult.To(new RecipientRoute.Bounce("5.1.3", "bad recipient address syntax"));
        }

        Resolution resolution;
        try
        {
            resolution = await _directory.ResolveAsync(address, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            return RoutingResult.Later("directory unavailable: " + e.Message.ReplaceLineEndings(" "));
        }

        return resolution switch
        {
            Resolution.Recipients r => RoutingResult.To([
                .. r.Users.Select(u => (RecipientRoute)new RecipientRoute.Local(u, "INBOX", [])),
                .. r.External.Select(target => (RecipientRoute)new RecipientRoute.Forward(target, envelope.MailFrom)),
            ]),
            Resolution.NotLocal => RoutingResult.To(new RecipientRoute.Relay(address.ToString(), address.Domain.Ascii)),
            // Accepted at RCPT but removed since: kept for the administrator to decide (a DSN would tell the sender
            // the address never existed, which is not what happened).
            _ => RoutingResult.Later("recipient no longer exists"),
        };
    }
}
