namespace MailAppliance.Imap.Server;

/// <summary>Settings of one IMAP server (the listener builds it from ApplianceOptions).</summary>
public sealed record ImapServerOptions
{
    public required string Hostname { get; init; }

    /// <summary>Allow LOGIN and AUTHENTICATE before TLS (<c>Auth:AllowPlaintextWithoutTls</c>).</summary>
    public bool AllowPlaintextAuth { get; init; }

    /// <summary>RFC 9051 §5.4: the inactivity autologout timer is at least 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Timeout before login (unauthenticated connections are not kept for long).</summary>
    public TimeSpan PreAuthTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest command line (each line of a command with literals). RFC 7162 §4 asks for at least 8192.</summary>
    public int MaxLineLength { get; init; } = 64 * 1024;

    /// <summary>Largest literal outside APPEND (search strings, passwords, names).</summary>
    public long MaxLiteralSize { get; init; } = 64 * 1024;

    /// <summary>Largest message APPEND takes (the same limit as SMTP).</summary>
    public long MaxAppendSize { get; init; } = 50L * 1024 * 1024;

    /// <summary>Literals larger than this go to a temporary file instead of memory.</summary>
    public int MaxInMemoryLiteral { get; init; } = 256 * 1024;

    /// <summary>Where APPEND literals are spooled while a command is read.</summary>
    public required string TempDirectory { get; init; }

    /// <summary>Consecutive BAD commands after which the connection is closed.</summary>
    public int MaxErrors { get; init; } = 10;

    /// <summary>Messages per FETCH batch read from the index (bounds the memory of FETCH 1:*).</summary>
    public int FetchBatchSize { get; init; } = 500;
}
