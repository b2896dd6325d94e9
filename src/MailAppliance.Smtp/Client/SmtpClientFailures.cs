using System.Net;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>
/// Every failure the client finds on its own side (no remote reply to quote), named once with its RFC 3463 code.
/// Texts follow Postfix's where one exists, so operators recognise them.
/// </summary>
public static class SmtpClientFailures
{
    public static readonly EnhancedStatusCode ConnectCode = new(4, 4, 1);
    public static readonly EnhancedStatusCode LostConnectionCode = new(4, 4, 2);
    public static readonly EnhancedStatusCode ProtocolErrorCode = new(4, 5, 0);
    public static readonly EnhancedStatusCode TlsRequiredCode = new(4, 7, 4);
    public static readonly EnhancedStatusCode TlsVerifyCode = new(4, 7, 5);
    public static readonly EnhancedStatusCode AuthCode = new(4, 7, 0);

    /// <summary>RFC 1870 §6 / RFC 3463 §3.4: message length exceeds administrative limit.</summary>
    public static readonly EnhancedStatusCode TooBigCode = new(5, 3, 4);

    /// <summary>RFC 6152 §3 / RFC 3463 §3.7: conversion required but not supported (we never re-encode).</summary>
    public static readonly EnhancedStatusCode EightBitCode = new(5, 6, 3);

    /// <summary>RFC 6531 §3.4 / RFC 6533: non-ASCII addresses not permitted for that recipient.</summary>
    public static readonly EnhancedStatusCode SmtpUtf8Code = new(5, 6, 7);

    /// <summary>RFC 8689 §5: REQUIRETLS support required.</summary>
    public static readonly EnhancedStatusCode RequireTlsCode = new(5, 7, 30);

    public static string Remote(string hostName, IPEndPoint endPoint) =>
        endPoint.Port == 25 ? $"{hostName}[{endPoint.Address}]" : $"{hostName}[{endPoint.Address}]:{endPoint.Port}";

    public static ConnectionFailure Refused(string remote, string reason) =>
        new(ConnectionFailureKind.Refused, ConnectCode, $"connect to {remote}: {reason}");

    public static ConnectionFailure ConnectTimedOut(string remote) =>
        new(ConnectionFailureKind.TimedOut, ConnectCode, $"connect to {remote}: Connection timed out");

    public static ConnectionFailure Refusal(string remote, ServerReply reply) =>
        new(ConnectionFailureKind.Refusal, reply.Enhanced ?? new EnhancedStatusCode(reply.IsPermanent ? 5 : 4, 0, 0), $"host {remote} refused to talk to me", reply);

    public static ConnectionFailure TlsNotOffered(string remote) =>
        new(ConnectionFailureKind.TlsNotAvailable, TlsRequiredCode, $"TLS is required, but was not offered by host {remote}");

    public static ConnectionFailure TlsRefused(string remote, ServerReply reply) =>
        new(ConnectionFailureKind.TlsNotAvailable, TlsRequiredCode, $"TLS is required, but host {remote} refused to start TLS", reply);

    public static ConnectionFailure TlsHandshake(string remote, string reason) =>
        new(ConnectionFailureKind.TlsFailed, TlsVerifyCode, $"TLS handshake with {remote} failed: {reason}");

    public static ConnectionFailure TlsNotVerified(string remote, string reason) =>
        new(ConnectionFailureKind.TlsFailed, TlsVerifyCode, $"Server certificate not verified: {remote}: {reason}");

    public static ConnectionFailure AuthFailed(string remote, string reason, ServerReply? reply = null) =>
        new(ConnectionFailureKind.AuthenticationFailed, AuthCode, $"SASL authentication with {remote} failed: {reason}", reply);

    public static ConnectionFailure Lost(string remote, string phase) =>
        new(ConnectionFailureKind.ConnectionLost, LostConnectionCode, $"lost connection with {remote} {phase}");

    public static ConnectionFailure TimedOut(string remote, string phase) =>
        new(ConnectionFailureKind.TimedOut, LostConnectionCode, $"conversation with {remote} timed out {phase}");

    public static ConnectionFailure Protocol(string remote, string what) =>
        new(ConnectionFailureKind.ProtocolError, ProtocolErrorCode, $"protocol error with {remote}: {what}");
}
