namespace MailAppliance.Core.Net;

/// <summary>Per-connection settings.</summary>
public sealed record ClientConnectionOptions
{
    public static ClientConnectionOptions Default { get; } = new();

    /// <summary>The longest a TLS handshake (implicit, or after STARTTLS/STLS) may take before the connection is given up.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long disposing may spend flushing what the session left unsent; a client that stopped reading is then
    /// cut off instead of holding its connection slot.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The size of each buffer the input pipe rents from the pool for one socket read.</summary>
    public int ReadBufferSize { get; init; } = 4096;

    /// <summary>
    /// The smallest buffer the output pipe rents for writing. A flush writes each buffer to the socket on its own, so
    /// servers that stream message bodies (IMAP, POP3) use large ones: one send per 64 KiB instead of per 4 KiB.
    /// </summary>
    public int WriteBufferSize { get; init; } = 4096;

    /// <summary>
    /// How long a session that has answered and waits for the next command first blocks its thread on the socket
    /// (plaintext only), before it waits asynchronously. A client that sends its next command at once (a POP3 RETR
    /// loop, IMAP FETCH after FETCH) is then read on the same thread: no hop through the thread pool, whose
    /// sleeping workers cost two context switches per command. Zero: always asynchronous.
    /// </summary>
    public TimeSpan InputWait { get; init; } = TimeSpan.Zero;
}
