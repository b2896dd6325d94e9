using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>What became of one recipient in one delivery attempt.</summary>
public enum RecipientStatus
{
    /// <summary>The remote server took responsibility (2xx after the data).</summary>
    Delivered,

    /// <summary>Try again later (4xx, or a failure of the connection, of TLS or of DNS).</summary>
    Deferred,

    /// <summary>Refused for good (5xx, or a local rule such as 5.6.7): a DSN goes to the sender.</summary>
    Bounced,
}

/// <summary>
/// The result for one recipient: its status, the RFC 3463 code that says why, and the remote reply verbatim when
/// the remote server gave one (<see cref="Reply"/>); a failure this side found (no connection, SMTPUTF8 not offered)
/// has no reply, only <see cref="Diagnostic"/>.
/// </summary>
/// <param name="RemoteHost">The host name and address that answered (or failed), for the DSN's Remote-MTA.</param>
/// <param name="DsnPassedOn">True when the recipient's NOTIFY/ORCPT went on to a server that offered DSN
/// (RFC 3461 §4.2: otherwise a NOTIFY=SUCCESS recipient gets a "relayed" DSN from us).</param>
public sealed record RecipientOutcome(
    OutboundRecipient Recipient,
    RecipientStatus Status,
    EnhancedStatusCode StatusCode,
    ServerReply? Reply,
    string Diagnostic,
    string? RemoteHost,
    bool DsnPassedOn)
{
    /// <summary>For logs and <c>lastResult</c>: the remote reply verbatim on one line, or our own diagnostic.</summary>
    public string Result => Reply?.ToSingleLine() ?? Diagnostic;
}

/// <summary>How a connection (rather than a recipient) failed.</summary>
public enum ConnectionFailureKind
{
    /// <summary>Connection refused (RST) or no route to the host.</summary>
    Refused,

    /// <summary>No answer within the time-out: connecting, or waiting for a reply.</summary>
    TimedOut,

    /// <summary>The connection closed or broke in the middle of the conversation.</summary>
    ConnectionLost,

    /// <summary>The greeting was not 220, or EHLO and HELO were both refused.</summary>
    Refusal,

    /// <summary>The policy required TLS and the server did not offer STARTTLS or refused it.</summary>
    TlsNotAvailable,

    /// <summary>The TLS handshake failed, or the certificate did not pass the policy's verification.</summary>
    TlsFailed,

    /// <summary>Authentication to a smarthost failed, or was not possible (no TLS, no shared mechanism).</summary>
    AuthenticationFailed,

    /// <summary>The server sent something that is not SMTP (a bad reply, or one beyond the limits).</summary>
    ProtocolError,
}

/// <summary>A failure of one connection attempt, with the reply that caused it when there was one.</summary>
public sealed record ConnectionFailure(ConnectionFailureKind Kind, EnhancedStatusCode StatusCode, string Diagnostic, ServerReply? Reply = null)
{
    /// <summary>Only a 5xx greeting or EHLO/HELO refusal is permanent (RFC 5321 §3.1: 554 "no SMTP service here").</summary>
    public bool IsPermanent => Reply is { IsPermanent: true } && Kind == ConnectionFailureKind.Refusal;

    public override string ToString() => Reply is null ? Diagnostic : $"{Diagnostic}: {Reply.ToSingleLine()}";
}

/// <summary>What TLS gave one session, for the delivery log (RFC 8460 would report the same facts).</summary>
/// <param name="Policy">The policy applied (<see cref="TlsPolicy.Describe"/>).</param>
/// <param name="Verified">True when the peer was authenticated (chain and name, or DANE).</param>
/// <param name="Detail">Why it is verified or not, or why TLS was not used.</param>
public sealed record TlsReport(string Policy, bool Used, SslProtocols Protocol, TlsCipherSuite? CipherSuite, bool Verified, string Detail, string? PeerCertificate = null)
{
    public static TlsReport NotUsed(TlsPolicy policy, string detail) => new(policy.Describe(), false, SslProtocols.None, null, false, detail);

    public string ProtocolName => Protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.None => "none",
        _ => Protocol.ToString(),
    };

    public override string ToString() => Used
        ? $"{ProtocolName} with cipher {CipherSuite} ({(Verified ? "verified" : "not verified")}: {Detail})"
        : $"no TLS ({Detail})";
}

/// <summary>One connection the delivery used or tried.</summary>
/// <param name="Capabilities">What the server offered (after STARTTLS, the second EHLO), null when it never got that far.</param>
public sealed record SessionAttempt(string HostName, IPEndPoint EndPoint, bool Reused, ConnectionFailure? Failure, TlsReport? Tls, EhloCapabilities? Capabilities = null);

/// <summary>
/// The result of <see cref="SmtpDelivery.SendAsync"/>: an outcome for every recipient, and what happened on the way.
/// </summary>
/// <param name="DataReply">The reply to the end of the data (DATA's final dot or BDAT LAST), when it was sent.</param>
/// <param name="Tls">The TLS facts of the session that carried the message (or of the last one tried).</param>
public sealed record DeliveryOutcome(
    IReadOnlyList<RecipientOutcome> Recipients,
    ServerReply? DataReply,
    TlsReport? Tls,
    IReadOnlyList<SessionAttempt> Attempts)
{
    /// <summary>The last connection-level failure, when a host could not be used.</summary>
    public ConnectionFailure? LastFailure => Attempts.LastOrDefault(a => a.Failure is not null)?.Failure;

    public bool AllDelivered => Recipients.All(r => r.Status == RecipientStatus.Delivered);
}
