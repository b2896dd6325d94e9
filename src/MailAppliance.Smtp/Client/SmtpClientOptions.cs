using System.Security.Cryptography.X509Certificates;

namespace MailAppliance.Smtp.Client;

/// <summary>
/// Time-outs of the outbound client. Defaults are RFC 5321 §4.5.3.2's minimums, which are also Postfix's
/// (smtp_*_timeout), except for connecting and RSET, which RFC 5321 leaves open (Postfix: 30 s and 20 s).
/// </summary>
public sealed record SmtpClientTimeouts
{
    public TimeSpan Connect { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>§4.5.3.2.1 Initial 220 Message: 5 minutes.</summary>
    public TimeSpan Greeting { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>EHLO, HELO, AUTH, STARTTLS and the handshake (Postfix smtp_helo_timeout, smtp_starttls_timeout).</summary>
    public TimeSpan Helo { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>§4.5.3.2.2 MAIL: 5 minutes.</summary>
    public TimeSpan Mail { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>§4.5.3.2.3 RCPT: 5 minutes.</summary>
    public TimeSpan Rcpt { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>§4.5.3.2.4 DATA Initiation: 2 minutes.</summary>
    public TimeSpan DataInitiation { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>§4.5.3.2.5 Data Block: 3 minutes for each write of the body (BDAT chunks likewise).</summary>
    public TimeSpan DataBlock { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>§4.5.3.2.6 DATA Termination: 10 minutes for the reply to the final dot (or to BDAT LAST).</summary>
    public TimeSpan DataTermination { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>RSET, and QUIT when a session is closed.</summary>
    public TimeSpan Rset { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>Options of the outbound SMTP client, its connection cache and its concurrency limits.</summary>
public sealed record SmtpClientOptions
{
    /// <summary>The name we give in EHLO/HELO (the appliance's <c>Hostname</c>; RFC 5321 §4.1.1.1: our FQDN).</summary>
    public string HeloName { get; init; } = "localhost";

    public SmtpClientTimeouts Timeouts { get; init; } = new();

    /// <summary>Octets per reply line (CRLF included) and lines per reply; see <see cref="Protocol.ServerReplyParser"/>.</summary>
    public int MaxReplyLineLength { get; init; } = 2048;

    public int MaxReplyLines { get; init; } = 100;

    /// <summary>Octets per BDAT chunk (RFC 3030) and per write of a DATA body.</summary>
    public int ChunkSize { get; init; } = 256 * 1024;

    /// <summary>Concurrent sessions to one destination (Postfix default_destination_concurrency_limit: 20).</summary>
    public int MaxConnectionsPerDestination { get; init; } = 20;

    /// <summary>Concurrent outbound sessions in all (Postfix default_process_limit: 100).</summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>How long an idle session waits in the cache for the next message to the same destination.</summary>
    public TimeSpan ConnectionIdleTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages per connection before it is closed (Postfix smtp_connection_reuse_count_limit).</summary>
    public int MaxMessagesPerConnection { get; init; } = 100;

    /// <summary>A connection older than this is closed rather than reused (Postfix smtp_connection_reuse_time_limit: 300 s).</summary>
    public TimeSpan MaxConnectionAge { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Addresses tried for one delivery (Postfix smtp_mx_address_limit: 5).</summary>
    public int MaxAddressesPerDelivery { get; init; } = 5;

    /// <summary>Sessions (connections that reached the greeting) for one delivery (Postfix smtp_mx_session_limit: 2).</summary>
    public int MaxSessionsPerDelivery { get; init; } = 2;

    /// <summary>
    /// Roots for verified TLS (MTA-STS, smarthosts with a verify policy, DANE-TA excluded); null: the system's store.
    /// Tests put their own CA here.
    /// </summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }
}
