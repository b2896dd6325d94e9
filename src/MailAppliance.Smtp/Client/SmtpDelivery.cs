using System.Net;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>
/// Sends a message to one next hop: the entry point of outbound SMTP. It takes a slot from the concurrency limits,
/// reuses an idle session to the same server when there is one, and otherwise walks the target's hosts and
/// addresses in order (RFC 5321 §5.1: try the next MX when one cannot be reached) until every recipient is
/// delivered or bounced, or the address and session limits are reached. Recipients deferred by one host (4xx) are
/// offered to the next, as Postfix does. A REQUIRETLS message that one host cannot take (RFC 8689 §4.2.1: not
/// authenticated, not verified, or no REQUIRETLS) goes on to the next host too; it bounces with 5.7.30 only when
/// every host tried refused it for that reason, and is deferred when some host could not be reached (as mox does).
/// </summary>
public sealed class SmtpDelivery : IAsyncDisposable
{
    private readonly SmtpClientOptions _options;
    private readonly TimeProvider _time;

    public SmtpDelivery(SmtpClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        Cache = new SmtpConnectionCache(options, _time);
        Limiter = new ConcurrencyLimiter(options.MaxConnectionsPerDestination, options.MaxConnections);
    }

    public SmtpConnectionCache Cache { get; }

    public ConcurrencyLimiter Limiter { get; }

    /// <summary>
    /// Delivers <paramref name="envelope"/> to <paramref name="target"/>. Never throws for what remote servers or
    /// the network do (only for cancellation): every recipient comes back with an outcome.
    /// </summary>
    /// <param name="openBody">Opens the spooled message bytes; called once per host that accepts a recipient.</param>
    public async Task<DeliveryOutcome> SendAsync(SmtpTarget target, OutboundEnvelope envelope, Func<Stream> openBody, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(openBody);
        using var lease = await Limiter.AcquireAsync(target.Destination, cancellationToken);

        var final = new Dictionary<OutboundRecipient, RecipientOutcome>(ReferenceEqualityComparer.Instance);
        var lastDeferral = new Dictionary<OutboundRecipient, RecipientOutcome>(ReferenceEqualityComparer.Instance);
        var pending = envelope.Recipients.ToList();
        var attempts = new List<SessionAttempt>();
        ServerReply? dataReply = null;
        TlsReport? tls = null;
        var sessions = 0;
        var requireTlsRefusals = 0;

        var candidates = target.Hosts.SelectMany(h => h.Addresses.Select(a => (Host: h, Address: a))).Take(_options.MaxAddressesPerDelivery).ToList();
        var (cached, cachedIndex) = TakeCached(target, candidates);
        var order = cachedIndex < 0 ? candidates : [candidates[cachedIndex], .. candidates.Where((_, i) => i != cachedIndex)];
        foreach (var (host, address) in order)
        {
            if (pending.Count == 0 || sessions >= _options.MaxSessionsPerDelivery)
            {
                break;
            }

            var session = cached;
            cached = null;
            var reused = session is not null;
            var usedHost = host;
            if (session is null)
            {
                (session, usedHost) = await OpenAsync(target, host, address, envelope.RequireTls, attempts, cancellationToken);
                if (session is null)
                {
                    continue;
                }
            }

            sessions++;
            TransactionResult result;
            try
            {
                result = await session.SendAsync(envelope.For(pending), openBody, cancellationToken);
                if (reused && result.BeforeFirstReply)
                {
                    // The idle connection had died (the server timed it out): nothing was accepted, so start afresh.
                    attempts.Add(new SessionAttempt(usedHost.Name, session.RemoteEndPoint, true, result.Failure, session.Tls, session.Capabilities));
                    await session.CloseAsync(sendQuit: false, CancellationToken.None);
                    (session, usedHost) = await OpenAsync(target, host, address, envelope.RequireTls, attempts, cancellationToken);
                    if (session is null)
                    {
                        continue;
                    }

                    reused = false;
                    result = await session.SendAsync(envelope.For(pending), openBody, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                // Cancelled mid-conversation: the session's state is unknown, so it is closed, never cached.
                if (session is not null)
                {
                    await session.CloseAsync(sendQuit: false, CancellationToken.None);
                }

                throw;
            }

            attempts.Add(new SessionAttempt(usedHost.Name, session.RemoteEndPoint, reused, result.Failure, session.Tls, session.Capabilities));
            tls = session.Tls;
            dataReply = result.DataReply ?? dataReply;
            if (result.Recipients.Any(IsRequireTlsRefusal))
            {
                requireTlsRefusals++;
            }

            foreach (var outcome in result.Recipients)
            {
                if (outcome.Status == RecipientStatus.Deferred || IsRequireTlsRefusal(outcome))
                {
                    lastDeferral[outcome.Recipient] = outcome;
                }
                else
                {
                    final[outcome.Recipient] = outcome;
                }
            }

            pending = [.. pending.Where(r => !final.ContainsKey(r))];
            if (session.IsUsable)
            {
                await ReturnToCacheAsync(target, usedHost, address, session);
            }
            else
            {
                await session.CloseAsync(sendQuit: false, CancellationToken.None);
            }
        }

        if (cached is not null)
        {
            await Cache.ReturnAsync(SmtpConnectionCache.Key(cached.Host, cached.RemoteEndPoint.Address, target.Port, target.Credentials), cached);
        }

        tls ??= attempts.LastOrDefault(a => a.Tls is not null)?.Tls;
        var everyHostRefusedRequireTls = requireTlsRefusals > 0 && requireTlsRefusals == attempts.Count;
        var outcomes = envelope.Recipients.Select(r => final.TryGetValue(r, out var done) ? done
            : lastDeferral.TryGetValue(r, out var deferred) ? RequireTlsOutcome(deferred, everyHostRefusedRequireTls)
            : Unreached(r, target, attempts)).ToList();
        return new DeliveryOutcome(outcomes, dataReply, tls, attempts);
    }

    private Task ReturnToCacheAsync(SmtpTarget target, SmtpHost host, IPAddress address, SmtpClientSession session) =>
        Cache.ReturnAsync(SmtpConnectionCache.Key(host, address, target.Port, target.Credentials), session);

    private (SmtpClientSession? Session, int Index) TakeCached(SmtpTarget target, List<(SmtpHost Host, IPAddress Address)> candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            var session = Cache.TryTake(SmtpConnectionCache.Key(candidates[i].Host, candidates[i].Address, target.Port, target.Credentials));
            if (session is not null)
            {
                return (session, i);
            }
        }

        return (null, -1);
    }

    /// <summary>
    /// Opens a session; an opportunistic handshake that failed is retried once in plaintext on the same address
    /// (RFC 7435: opportunistic TLS must not make mail undeliverable; Postfix does the same), but never for a
    /// REQUIRETLS message (RFC 8689 §4.2.1: it may not go in plaintext, and the failed handshake is the better reason).
    /// </summary>
    private async Task<(SmtpClientSession? Session, SmtpHost Host)> OpenAsync(
        SmtpTarget target, SmtpHost host, IPAddress address, bool requireTls, List<SessionAttempt> attempts, CancellationToken cancellationToken)
    {
        var endPoint = new IPEndPoint(address, target.Port);
        var open = await SmtpClientSession.OpenAsync(host, address, target.Port, target.Credentials, _options, _time, cancellationToken);
        if (open.Session is not null)
        {
            return (open.Session, host);
        }

        attempts.Add(new SessionAttempt(host.Name, endPoint, false, open.Failure, open.Tls));
        if (!open.MayRetryWithoutTls || target.Credentials is not null || requireTls)
        {
            return (null, host);
        }

        var plain = host with { Tls = new TlsPolicy.NoTls($"plaintext retry after {open.Failure!.Diagnostic}") };
        var retry = await SmtpClientSession.OpenAsync(plain, address, target.Port, target.Credentials, _options, _time, cancellationToken);
        if (retry.Session is null)
        {
            attempts.Add(new SessionAttempt(host.Name, endPoint, false, retry.Failure, retry.Tls));
            return (null, plain);
        }

        return (retry.Session, plain);
    }

    /// <summary>
    /// A recipient no session reached: deferred with the last connection failure, or bounced when every host
    /// refused for good (a 5xx greeting or EHLO/HELO refusal everywhere).
    /// </summary>
    private static RecipientOutcome Unreached(OutboundRecipient recipient, SmtpTarget target, List<SessionAttempt> attempts)
    {
        var failures = attempts.Where(a => a.Failure is not null).ToList();
        if (failures.Count == 0)
        {
            return new RecipientOutcome(recipient, RecipientStatus.Deferred, SmtpClientFailures.ConnectCode, null, $"no host to try for {target.Destination}", null, false);
        }

        var last = failures[^1];
        var permanent = failures.All(a => a.Failure!.IsPermanent);
        var failure = last.Failure!;
        var remote = SmtpClientFailures.Remote(last.HostName, last.EndPoint);
        return new RecipientOutcome(
            recipient,
            permanent ? RecipientStatus.Bounced : RecipientStatus.Deferred,
            permanent ? failure.StatusCode : failure.StatusCode with { Class = 4 },
            failure.Reply,
            failure.ToString(),
            remote,
            false);
    }

    /// <summary>Our own refusal of one host for a REQUIRETLS message (no remote reply: nothing was sent).</summary>
    private static bool IsRequireTlsRefusal(RecipientOutcome outcome) =>
        outcome.Reply is null && outcome.StatusCode.Subject == 7 && outcome.StatusCode.Detail == 30;

    /// <summary>
    /// A REQUIRETLS refusal stands for good (5.7.30, a DSN now) only when every host tried refused the message for
    /// that reason: a domain whose servers do not offer REQUIRETLS will not start to within the queue's lifetime.
    /// Otherwise a host that could not be reached may still take it, so the recipient waits (4.7.30).
    /// </summary>
    private static RecipientOutcome RequireTlsOutcome(RecipientOutcome outcome, bool everyHostRefused) =>
        !IsRequireTlsRefusal(outcome) ? outcome
        : everyHostRefused ? outcome with { Status = RecipientStatus.Bounced, StatusCode = SmtpClientFailures.RequireTlsCode }
        : outcome with { Status = RecipientStatus.Deferred, StatusCode = SmtpClientFailures.RequireTlsCode with { Class = 4 } };

    public ValueTask DisposeAsync() => Cache.DisposeAsync();
}
