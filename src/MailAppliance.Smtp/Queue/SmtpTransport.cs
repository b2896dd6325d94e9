using MailAppliance.Core.Addresses;
using MailAppliance.Smtp.Client;
using MailAppliance.Smtp.Client.Destinations;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;
using ClientOutcome = MailAppliance.Smtp.Client.RecipientOutcome;
using ClientStatus = MailAppliance.Smtp.Client.RecipientStatus;
using QueueStatus = MailAppliance.Storage.Queue.RecipientStatus;

namespace MailAppliance.Smtp.Queue;

/// <summary>One recipient of an outbound transaction, with the RFC 3461 parameters it came with.</summary>
/// <param name="Address">Where the message goes (the recipient, or a forward's target).</param>
/// <param name="Notify">NOTIFY as given at RCPT (NEVER, or a list), or null.</param>
/// <param name="OriginalRecipient">ORCPT as it travels (<c>rfc822;a+40b</c>), or null.</param>
public sealed record RemoteRecipient(string Address, string? Notify, string? OriginalRecipient);

/// <summary>
/// Delivery to other mail servers: one SMTP transaction per message, envelope sender and next-hop domain, every
/// recipient of that domain in it (RFC 5321 §3.3), the destination from <see cref="DestinationResolver"/> (routes,
/// MX, MTA-STS, DANE) and the conversation by <see cref="SmtpDelivery"/>. The spool bytes go out as they are, behind
/// the DKIM-Signature fields of <see cref="OutboundMessage"/>; every recipient gets the remote reply verbatim.
/// </summary>
public sealed class SmtpTransport
{
    private readonly SmtpDelivery _delivery;
    private readonly DestinationResolver _destinations;
    private readonly ILogger<SmtpTransport> _logger;

    public SmtpTransport(SmtpDelivery delivery, DestinationResolver destinations, ILogger<SmtpTransport> logger)
    {
        _delivery = delivery;
        _destinations = destinations;
        _logger = logger;
    }

    /// <summary>
    /// Sends <paramref name="message"/> from <paramref name="sender"/> (empty: the null reverse-path) to
    /// <paramref name="recipients"/>, all in <paramref name="domain"/>. Returns one result per recipient, in order.
    /// Never throws for what DNS, the network or the remote server do (only for cancellation).
    /// </summary>
    public async Task<IReadOnlyList<TransportResult>> SendAsync(
        OutboundMessage message, string sender, string domain, IReadOnlyList<RemoteRecipient> recipients, CancellationToken cancellationToken)
    {
        MailAddress? from = null;
        if (sender.Length > 0 && !MailAddress.TryParse(sender, out from, out var senderError))
        {
            return All(recipients, QueueStatus.Bounced, "5.1.7", $"bad sender address <{sender}>: {senderError}");
        }

        var outbound = new List<OutboundRecipient>(recipients.Count);
        var results = new TransportResult?[recipients.Count];
        for (var i = 0; i < recipients.Count; i++)
        {
            if (!MailAddress.TryParse(recipients[i].Address, out var address, out var error))
            {
                results[i] = new TransportResult(QueueStatus.Bounced, $"5.1.3 bad recipient address syntax: {error}") { StatusCode = "5.1.3" };
                continue;
            }

            outbound.Add(new OutboundRecipient(address, Notify(recipients[i].Notify), Client.OriginalRecipient.FromParameter(recipients[i].OriginalRecipient)));
        }

        if (outbound.Count > 0)
        {
            // RFC 8689 §4.2.2: TLS-Required: No sets the recipient domain's MTA-STS and DANE aside (STARTTLS is still
            // used when offered); §4.1: a REQUIRETLS message ignores the field.
            var destination = await _destinations.ResolveAsync(domain, recipientTlsPolicies: !message.TlsNotRequired, cancellationToken);
            if (destination.Failure is { } failure)
            {
                // RFC 7505 null MX (5.1.10), NXDOMAIN (5.1.2) bounce at once; SERVFAIL and time-outs wait.
                _logger.LogInformation("Outbound {QueueId} to {Domain}: {Failure} ({Notes})", message.QueueId, domain, failure, string.Join("; ", destination.Notes));
                var result = new TransportResult(failure.Permanent ? QueueStatus.Bounced : QueueStatus.Deferred, failure.ToString()) { StatusCode = failure.StatusCode.ToString() };
                FillPending(results, result);
            }
            else
            {
                var envelope = new OutboundEnvelope(
                    from, outbound, message.Size, BodyOf(message.Envelope), message.Envelope.SmtpUtf8, ReturnOf(message.Envelope), EnvelopeIdOf(message.Envelope), message.Envelope.RequireTls);
                var outcome = await _delivery.SendAsync(destination.Target!, envelope, message.OpenBody, cancellationToken);
                Log(message, domain, destination, outcome);
                var byRecipient = new Dictionary<OutboundRecipient, ClientOutcome>(ReferenceEqualityComparer.Instance);
                foreach (var r in outcome.Recipients)
                {
                    byRecipient[r.Recipient] = r;
                }

                var next = 0;
                for (var i = 0; i < results.Length; i++)
                {
                    results[i] ??= ToResult(byRecipient[outbound[next++]], outcome.Tls);
                }
            }
        }

        return results!;
    }

    private static TransportResult ToResult(ClientOutcome outcome, TlsReport? tls) => new(
        outcome.Status switch
        {
            ClientStatus.Delivered => QueueStatus.Delivered,
            ClientStatus.Bounced => QueueStatus.Bounced,
            _ => QueueStatus.Deferred,
        },
        // A remote reply verbatim; our own diagnostic with its RFC 3463 code in front (as the replies have theirs).
        outcome.Reply is null ? $"{outcome.StatusCode} {outcome.Diagnostic}" : outcome.Result)
    {
        StatusCode = outcome.StatusCode.ToString(),
        RemoteMta = outcome.RemoteHost is { } host ? host.Split('[')[0].Trim() : null,
        RemoteReply = outcome.Reply is not null,
        DsnPassedOn = outcome.DsnPassedOn,
        Remote = outcome.Status == ClientStatus.Delivered,
        Relay = outcome.Status == ClientStatus.Delivered ? $"{outcome.RemoteHost}, TLS {tls?.ToString() ?? "not reached"}" : null,
    };

    private void Log(OutboundMessage message, string domain, DestinationResult destination, DeliveryOutcome outcome)
    {
        var delivered = outcome.Recipients.Count(r => r.Status == ClientStatus.Delivered);
        var level = delivered == outcome.Recipients.Count && outcome.Attempts.All(a => a.Failure is null) ? LogLevel.Debug : LogLevel.Information;
        if (!_logger.IsEnabled(level))
        {
            return; // every recipient's delivery line names the relay and the TLS session
        }

        var hosts = string.Join(", ", outcome.Attempts.Select(a => $"{a.HostName}[{a.EndPoint}]{(a.Reused ? " (reused)" : "")}{(a.Failure is null ? "" : $": {a.Failure}")}"));
#pragma warning disable CA2254 // one template, at the level chosen above
        _logger.Log(
            level,
            "Outbound {QueueId} to {Domain}: {Delivered} of {Count} delivered via {Hosts}; TLS {Tls}; {DataReply} ({Notes})",
            message.QueueId, domain, delivered, outcome.Recipients.Count, hosts, outcome.Tls?.ToString() ?? "not reached",
            outcome.DataReply?.ToSingleLine() ?? "no data sent", string.Join("; ", destination.Notes));
#pragma warning restore CA2254
    }

    private static void FillPending(TransportResult?[] results, TransportResult result)
    {
        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= result;
        }
    }

    private static TransportResult[] All(IReadOnlyList<RemoteRecipient> recipients, QueueStatus status, string code, string text) =>
        [.. recipients.Select(_ => new TransportResult(status, $"{code} {text}") { StatusCode = code })];

    /// <summary>NOTIFY as the client passes it on (RFC 3461 §4.1); null when none was given or it does not parse.</summary>
    internal static DsnNotify? Notify(string? notify)
    {
        if (string.IsNullOrEmpty(notify))
        {
            return null;
        }

        var result = DsnNotify.Never;
        foreach (var word in notify.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (word.ToUpperInvariant())
            {
                case "NEVER":
                    return DsnNotify.Never;
                case "SUCCESS":
                    result |= DsnNotify.Success;
                    break;
                case "FAILURE":
                    result |= DsnNotify.Failure;
                    break;
                case "DELAY":
                    result |= DsnNotify.Delay;
                    break;
                default:
                    return null;
            }
        }

        return result;
    }

    private static BodyType BodyOf(SpoolEnvelope envelope) => envelope.Body.ToUpperInvariant() switch
    {
        "8BITMIME" => BodyType.EightBitMime,
        "BINARYMIME" => BodyType.BinaryMime,
        _ => BodyType.SevenBit,
    };

    private static DsnReturn ReturnOf(SpoolEnvelope envelope) => envelope.Ret?.ToUpperInvariant() switch
    {
        "FULL" => DsnReturn.Full,
        "HDRS" => DsnReturn.Headers,
        _ => DsnReturn.Unspecified,
    };

    /// <summary>The ENVID is spooled as given (xtext); the client wants it decoded (it encodes it again).</summary>
    internal static string? EnvelopeIdOf(SpoolEnvelope envelope) =>
        envelope.EnvelopeId is { } envid && Xtext.TryDecode(envid, out var decoded) ? decoded : null;
}

/// <summary>
/// A message on its way out: its envelope, the fields to put before it (DKIM-Signature), and a way to open its
/// bytes afresh for each transaction (transactions to different domains run side by side, each with its own file).
/// </summary>
/// <param name="open">The message as the delivery already holds it open, when nothing else reads it meanwhile: the
/// first <see cref="OpenBody"/> reads it in place (not disposing it); any later one opens the file again.</param>
public sealed class OutboundMessage(SpoolEnvelope envelope, byte[] prefix, long messageLength, MessageQueue queue, SpooledMessage? open = null)
{
    private int _openTaken;

    public SpoolEnvelope Envelope => envelope;

    public string QueueId => envelope.QueueId;

    /// <summary>
    /// The message says <c>TLS-Required: No</c> and was not sent with REQUIRETLS (RFC 8689 §4.1: then the field is
    /// ignored): the recipient domain's TLS policies are set aside.
    /// </summary>
    public bool TlsNotRequired { get; init; }

    /// <summary>The octets the remote server receives: the prefix and the message.</summary>
    public long Size => prefix.Length + messageLength;

    /// <summary>A new read of the spool file, prefix first; disposing it closes the file.</summary>
    /// <exception cref="IOException">The spool file is gone or unreadable (the client defers with 4.3.0).</exception>
    public Stream OpenBody()
    {
        if (open is not null && Interlocked.Exchange(ref _openTaken, 1) == 0)
        {
            return open.WithPrefix(prefix); // reads the open file in place; disposing it leaves the file to its owner
        }

        var spooled = queue.Open(envelope.QueueId) ?? throw new IOException($"spool file {envelope.QueueId} is gone or unreadable");
        return new OwnedStream(spooled.WithPrefix(prefix), spooled);
    }

    /// <summary>A stream that disposes the spooled message it reads from.</summary>
    private sealed class OwnedStream(Stream inner, SpooledMessage owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.Message.Dispose();
            }

            base.Dispose(disposing);
        }

    }
}
