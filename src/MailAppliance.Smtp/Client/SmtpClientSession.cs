using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>The result of opening a session: a session ready for MAIL, or why there is none.</summary>
/// <param name="MayRetryWithoutTls">An opportunistic handshake failed: the same host may be tried again in plaintext.</param>
public sealed record SessionOpenResult(SmtpClientSession? Session, ConnectionFailure? Failure, TlsReport? Tls, bool MayRetryWithoutTls = false);

/// <summary>
/// One outbound SMTP session with one server: greeting, EHLO (HELO when EHLO is refused), STARTTLS as the
/// <see cref="TlsPolicy"/> says, AUTH for a smarthost, then any number of transactions
/// (<see cref="SendAsync"/>) until it is closed. Not thread-safe: one transaction at a time.
/// </summary>
public sealed partial class SmtpClientSession : IAsyncDisposable
{
    private readonly SmtpConnection _connection;
    private readonly SmtpClientOptions _options;
    private readonly TimeProvider _time;
    private bool _needsReset;

    private SmtpClientSession(SmtpConnection connection, SmtpHost host, SmtpClientOptions options, TimeProvider time)
    {
        _connection = connection;
        _options = options;
        _time = time;
        Host = host;
        Remote = SmtpClientFailures.Remote(host.Name, connection.RemoteEndPoint);
        OpenedAt = LastUsed = time.GetUtcNow();
        Tls = TlsReport.NotUsed(host.Tls, "not negotiated");
    }

    public SmtpHost Host { get; }

    /// <summary><c>name[address]</c> (with <c>:port</c> when not 25), as logs and DSNs name the remote MTA.</summary>
    public string Remote { get; }

    public IPEndPoint RemoteEndPoint => _connection.RemoteEndPoint;

    public IPEndPoint LocalEndPoint => _connection.LocalEndPoint;

    /// <summary>What the server offered in its last EHLO (after STARTTLS: the second one).</summary>
    public EhloCapabilities Capabilities { get; private set; } = EhloCapabilities.None;

    public TlsReport Tls { get; private set; }

    public bool IsAuthenticated { get; private set; }

    /// <summary>False once the connection broke, timed out or the server said 421: it must not be used again.</summary>
    public bool IsUsable { get; private set; } = true;

    public int MessagesSent { get; private set; }

    public DateTimeOffset OpenedAt { get; }

    public DateTimeOffset LastUsed { get; private set; }

    /// <summary>
    /// Connects to <paramref name="address"/> and brings the session to the point where MAIL may be sent. Every
    /// failure comes back as a value; nothing is left open when there is no session.
    /// </summary>
    public static async Task<SessionOpenResult> OpenAsync(
        SmtpHost host, IPAddress address, int port, SmtpCredentials? credentials, SmtpClientOptions options, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var time = timeProvider ?? TimeProvider.System;
        var endPoint = new IPEndPoint(address, port);
        var remote = SmtpClientFailures.Remote(host.Name, endPoint);
        SmtpConnection connection;
        try
        {
            var parser = new ServerReplyParser(options.MaxReplyLineLength, options.MaxReplyLines);
            connection = await SmtpConnection.ConnectAsync(endPoint, options.Timeouts.Connect, parser, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return new SessionOpenResult(null, SmtpClientFailures.ConnectTimedOut(remote), null);
        }
        catch (SocketException e)
        {
            var reason = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "Connection refused",
                SocketError.NetworkUnreachable => "Network is unreachable",
                SocketError.HostUnreachable => "No route to host",
                SocketError.TimedOut => "Connection timed out",
                _ => e.Message,
            };
            return new SessionOpenResult(null, e.SocketErrorCode == SocketError.TimedOut ? SmtpClientFailures.ConnectTimedOut(remote) : SmtpClientFailures.Refused(remote, reason), null);
        }

        var session = new SmtpClientSession(connection, host, options, time);
        var (failure, mayRetryWithoutTls) = await session.HandshakeAsync(credentials, cancellationToken);
        if (failure is null)
        {
            return new SessionOpenResult(session, null, session.Tls);
        }

        var tls = session.Tls;
        await session.CloseAsync(sendQuit: session.IsUsable, cancellationToken);
        return new SessionOpenResult(null, failure, tls, mayRetryWithoutTls);
    }

    /// <summary>Greeting, EHLO/HELO, STARTTLS per policy and AUTH; a failure as a value.</summary>
    private async Task<(ConnectionFailure? Failure, bool MayRetryWithoutTls)> HandshakeAsync(SmtpCredentials? credentials, CancellationToken cancellationToken)
    {
        var timeouts = _options.Timeouts;
        var phase = "while receiving the initial server greeting";
        try
        {
            // RFC 5321 §3.1: 220 opens the session; 554 (or a 4xx) means no service here now.
            var greeting = await _connection.ReadReplyAsync(timeouts.Greeting, phase, cancellationToken);
            if (greeting.Code != 220)
            {
                return (SmtpClientFailures.Refusal(Remote, greeting), false);
            }

            phase = "while performing the EHLO handshake";
            var helloFailure = await HelloAsync(cancellationToken);
            if (helloFailure is not null)
            {
                return (helloFailure, false);
            }

            var (tlsFailure, mayRetry) = await StartTlsAsync(cancellationToken);
            if (tlsFailure is not null)
            {
                return (tlsFailure, mayRetry);
            }

            if (credentials is not null)
            {
                phase = "while authenticating";
                var authFailure = await AuthenticateAsync(credentials, cancellationToken);
                if (authFailure is not null)
                {
                    return (authFailure, false);
                }
            }

            return (null, false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            return (Broken(e, phase), false);
        }
    }

    /// <summary>RFC 5321 §4.1.1.1 and §3.2: EHLO, and HELO when a server does not know EHLO (5xx).</summary>
    private async Task<ConnectionFailure?> HelloAsync(CancellationToken cancellationToken)
    {
        var phase = "while performing the EHLO handshake";
        var ehlo = await CommandAsync($"EHLO {_options.HeloName}", _options.Timeouts.Helo, phase, cancellationToken);
        if (ehlo.Code == 250)
        {
            Capabilities = EhloCapabilities.Parse(ehlo);
            return null;
        }

        if (!ehlo.IsPermanent)
        {
            return SmtpClientFailures.Refusal(Remote, ehlo);
        }

        var helo = await CommandAsync($"HELO {_options.HeloName}", _options.Timeouts.Helo, "while performing the HELO handshake", cancellationToken);
        if (helo.Code != 250)
        {
            return SmtpClientFailures.Refusal(Remote, helo);
        }

        Capabilities = EhloCapabilities.None;
        return null;
    }

    /// <summary>RFC 3207: STARTTLS as the policy asks; after the handshake, EHLO again (§4.2: forget what was offered).</summary>
    private async Task<(ConnectionFailure? Failure, bool MayRetryWithoutTls)> StartTlsAsync(CancellationToken cancellationToken)
    {
        var policy = Host.Tls;
        if (policy is TlsPolicy.NoTls none)
        {
            Tls = TlsReport.NotUsed(policy, none.Reason);
            return (null, false);
        }

        if (!Capabilities.StartTls)
        {
            Tls = TlsReport.NotUsed(policy, "STARTTLS not offered");
            return (policy.IsMandatory ? SmtpClientFailures.TlsNotOffered(Remote) : null, false);
        }

        var reply = await CommandAsync("STARTTLS", _options.Timeouts.Helo, "while sending STARTTLS", cancellationToken);
        if (reply.Code != 220)
        {
            Tls = TlsReport.NotUsed(policy, $"STARTTLS refused: {reply.ToSingleLine()}");
            return (policy.IsMandatory ? SmtpClientFailures.TlsRefused(Remote, reply) : null, false);
        }

        TlsVerdict verdict = default;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = IPAddress.TryParse(Host.Name, out _) ? "" : Host.Name.TrimEnd('.'), // SNI: RFC 7672 §8.1 wants the MX name
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                verdict = TlsVerifier.Evaluate(policy, Host.Name, certificate, chain, errors);

                // Mandatory-but-unauthenticated policies (Postfix "encrypt", DANE with no usable record) take any
                // certificate; opportunistic TLS too (RFC 7435): an unverified channel beats plaintext.
                return verdict.Verified || policy is TlsPolicy.OpportunisticTls or TlsPolicy.EncryptTls
                    || (policy is TlsPolicy.DaneTls dane && dane.Usable.Count == 0);
            },
        };
        if (_options.TrustedRoots is { } roots)
        {
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        SslStream tls;
        try
        {
            tls = await _connection.StartTlsAsync(options, _options.Timeouts.Helo, cancellationToken);
        }
        catch (AuthenticationException e)
        {
            IsUsable = false;
            var notVerified = verdict.Detail is not null && !verdict.Verified;
            Tls = TlsReport.NotUsed(policy, notVerified ? $"certificate not verified: {verdict.Detail}" : $"TLS handshake failed: {e.Message}");
            return notVerified && policy.IsMandatory
                ? (SmtpClientFailures.TlsNotVerified(Remote, verdict.Detail!), false)
                : (SmtpClientFailures.TlsHandshake(Remote, e.InnerException?.Message ?? e.Message), !policy.IsMandatory);
        }
        catch (Exception e) when (IsConnectionFailure(e) && !policy.IsMandatory)
        {
            IsUsable = false;
            Tls = TlsReport.NotUsed(policy, $"TLS handshake failed: {e.Message}");
            return (SmtpClientFailures.TlsHandshake(Remote, e.Message), true);
        }

        Tls = new TlsReport(
            policy.Describe(), true, tls.SslProtocol, tls.NegotiatedCipherSuite, verdict.Verified, verdict.Detail ?? "", tls.RemoteCertificate?.Subject);
        Capabilities = EhloCapabilities.None;
        return (await HelloAsync(cancellationToken), false);
    }

    /// <summary>RFC 4954 AUTH with PLAIN (RFC 4616) or LOGIN, and never without TLS: credentials are not sent in clear.</summary>
    private async Task<ConnectionFailure?> AuthenticateAsync(SmtpCredentials credentials, CancellationToken cancellationToken)
    {
        if (!Tls.Used)
        {
            return SmtpClientFailures.AuthFailed(Remote, "credentials are only sent over TLS, and TLS is not in use");
        }

        var timeout = _options.Timeouts.Helo;
        const string phase = "while authenticating";
        ServerReply reply;
        if (Capabilities.AuthMechanisms.Contains("PLAIN"))
        {
            var response = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{credentials.UserName}\0{credentials.Password}"));
            reply = await CommandAsync($"AUTH PLAIN {response}", timeout, phase, cancellationToken, secret: true);
        }
        else if (Capabilities.AuthMechanisms.Contains("LOGIN"))
        {
            reply = await CommandAsync("AUTH LOGIN", timeout, phase, cancellationToken);
            if (reply.Code == 334)
            {
                reply = await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.UserName)), timeout, phase, cancellationToken, secret: true);
            }

            if (reply.Code == 334)
            {
                reply = await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Password)), timeout, phase, cancellationToken, secret: true);
            }
        }
        else
        {
            return SmtpClientFailures.AuthFailed(Remote, Capabilities.AuthMechanisms.Count == 0 ? "the server offers no AUTH" : "no shared mechanism (PLAIN or LOGIN)");
        }

        if (reply.Code != 235)
        {
            return SmtpClientFailures.AuthFailed(Remote, "authentication refused", reply);
        }

        IsAuthenticated = true;
        return null;
    }

    /// <summary>
    /// Called when the session leaves the connection cache: the next transaction starts with RSET (pipelined ahead
    /// of MAIL when the server offers PIPELINING), which both clears any state and proves the connection is alive
    /// before anything of the message is committed to it.
    /// </summary>
    internal void PrepareForReuse() => _needsReset = true;

    /// <summary>RSET (RFC 5321 §4.1.1.5); false when the session is no longer usable.</summary>
    public async Task<bool> ResetAsync(CancellationToken cancellationToken = default)
    {
        if (!IsUsable)
        {
            return false;
        }

        try
        {
            var reply = await CommandAsync("RSET", _options.Timeouts.Rset, "while sending RSET", cancellationToken);
            _needsReset = false;
            IsUsable = reply.Code == 250;
            return IsUsable;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            IsUsable = false;
            return false;
        }
    }

    /// <summary>QUIT (when still usable, not waiting long for the 221) and closes the connection.</summary>
    public async Task CloseAsync(bool sendQuit = true, CancellationToken cancellationToken = default)
    {
        if (sendQuit && IsUsable)
        {
            try
            {
                await CommandAsync("QUIT", _options.Timeouts.Rset, "while sending QUIT", cancellationToken);
            }
            catch (Exception e) when (IsConnectionFailure(e) || e is OperationCanceledException)
            {
                // The server may close first; nothing depends on its 221.
            }
        }

        IsUsable = false;
        await _connection.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(CloseAsync(sendQuit: false));

    private async Task<ServerReply> CommandAsync(string command, TimeSpan timeout, string phase, CancellationToken cancellationToken, bool secret = false)
    {
        _ = secret; // commands are not logged here; the flag documents which ones must never be
        await _connection.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), timeout, phase, cancellationToken);
        var reply = await _connection.ReadReplyAsync(timeout, phase, cancellationToken);
        if (reply.Code == 421)
        {
            IsUsable = false; // RFC 5321 §3.8: the server is closing the channel
        }

        return reply;
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or TimeoutException or SmtpProtocolException or ObjectDisposedException or AuthenticationException;

    private ConnectionFailure Broken(Exception e, string phase)
    {
        IsUsable = false;
        return e switch
        {
            TimeoutException => SmtpClientFailures.TimedOut(Remote, phase),
            SmtpProtocolException p => SmtpClientFailures.Protocol(Remote, p.Message),
            AuthenticationException a => SmtpClientFailures.TlsHandshake(Remote, a.Message),
            _ => SmtpClientFailures.Lost(Remote, phase),
        };
    }
}
