namespace MailAppliance.Pop3.Server;

/// <summary>Settings of one POP3 server (the listener builds it from ApplianceOptions).</summary>
public sealed record Pop3ServerOptions
{
    public required string Hostname { get; init; }

    /// <summary>Allow USER/PASS and AUTH before TLS (<c>Auth:AllowPlaintextWithoutTls</c>).</summary>
    public bool AllowPlaintextAuth { get; init; }

    /// <summary>RFC 1939 §3: an autologout timer of at least 10 minutes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// RFC 2449 §4: commands are at most 255 octets including CRLF; we allow some slack for sloppy clients.
    /// </summary>
    public int MaxCommandLength { get; init; } = 512;

    /// <summary>Longest SASL response line (base64 of PLAIN credentials).</summary>
    public int MaxSaslLineLength { get; init; } = 4096;

    /// <summary>Failed commands after which the connection is closed.</summary>
    public int MaxErrors { get; init; } = 20;
}
