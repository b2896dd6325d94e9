using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Pipeline.Srs;
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
    private readonly SrsRewriter? _srs;
    private readonly Func<string, bool> _isOurDomain;
    private readonly ForwardingOptions _forwarding;

    public RecipientRouter(RecipientCache directory, SrsRewriter? srs = null, Func<string, bool>? isOurDomain = null, ForwardingOptions? forwarding = null)
    {
        _directory = directory;
        _srs = srs;
        _isOurDomain = isOurDomain ?? (_ => false);
        _forwarding = forwarding ?? new ForwardingOptions();
    }

    public Task<RoutingResult> RouteAsync(string recipient, SpoolEnvelope envelope, CancellationToken cancellationToken) =>
        RouteAsync(recipient, envelope, SpoolVerdict.None, cancellationToken);

    public async Task<RoutingResult> RouteAsync(string recipient, SpoolEnvelope envelope, SpoolVerdict verdict, CancellationToken cancellationToken)
    {
        if (_srs?.Reverse(recipient) is { Status: not SrsStatus.NotSrs } back)
        {
            // The way back (a bounce to a forward's SRS sender): RCPT checked it; relay to the original sender.
            return back.Status == SrsStatus.Valid && MailAddress.TryParse(back.Address!, out var original, out _)
                ? RoutingResult.To(new RecipientRoute.Relay(original.ToString(), original.Domain.Ascii))
                : RoutingResult.To(new RecipientRoute.Bounce("5.1.1", $"invalid SRS address ({back.Status})"));
        }

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
                .. r.External.Select(target => Forward(target, recipient, envelope, verdict)),
            ]),
            Resolution.NotLocal => RoutingResult.To(new RecipientRoute.Relay(address.ToString(), address.Domain.Ascii)),
            // Accepted at RCPT but removed since: kept for the administrator to decide (a DSN would tell the sender
            // the address never existed, which is not what happened).
            _ => RoutingResult.Later("recipient no longer exists"),
        };
    }

    /// <summary>
    /// A forward to an external target: discarded when the message scored at or over the destination's threshold
    /// (or the recipient's own, when lower); else relayed from the SRS form of the sender, so the receiver's SPF
    /// check sees our domain and a bounce comes back to us (RFC 5321 §3.9: a forwarder may change the reverse-path).
    /// </summary>
    private RecipientRoute Forward(string target, string recipient, SpoolEnvelope envelope, SpoolVerdict verdict)
    {
        var domain = MailAddress.TryParse(target, out var parsed, out _) ? parsed.Domain.Ascii : target[(target.LastIndexOf('@') + 1)..];
        if (verdict.For(recipient) is { } scored)
        {
            var threshold = _forwarding.ThresholdFor(domain);
            if (scored.DiscardForwardThreshold is { } own)
            {
                threshold = Math.Min(threshold, own);
            }

            if (scored.Score >= threshold)
            {
                return new RecipientRoute.Discard(FormattableString.Invariant($"forward to {target} discarded as spam: score {scored.Score:0.0} >= {threshold:0.0}"))
                {
                    Target = target,
                    Score = scored.Score,
                    Threshold = threshold,
                };
            }
        }

        var sender = envelope.MailFrom;
        if (_srs is not null && sender.Length > 0)
        {
            sender = _srs.Forward(sender, _isOurDomain);
        }

        return new RecipientRoute.Forward(target, sender);
    }
}
