namespace MailAppliance.Pop3.Protocol;

/// <summary>Every reply the server sends, in one catalogue.</summary>
public static class Pop3Replies
{
    public static Pop3Reply Ok { get; } = new(true, null, "");
    public static Pop3Reply Greeting(string hostname) => new(true, null, $"{hostname} POP3 MailAppliance ready");
    public static Pop3Reply CapabilityList { get; } = new(true, null, "Capability list follows");
    public static Pop3Reply Goodbye { get; } = new(true, null, "Bye");
    public static Pop3Reply BeginTls { get; } = new(true, null, "Begin TLS negotiation");
    public static Pop3Reply UserAccepted { get; } = new(true, null, "Send PASS");
    public static Pop3Reply LoggedIn(int count, long octets) => new(true, null, $"Logged in, {count} messages ({octets} octets)");
    public static Pop3Reply Stat(int count, long octets) => new(true, null, $"{count} {octets}");
    public static Pop3Reply ScanListing(int number, long octets) => new(true, null, $"{number} {octets}");
    public static Pop3Reply UniqueIdListing(int number, string uid) => new(true, null, $"{number} {uid}");
    public static Pop3Reply ListFollows(int count, long octets) => new(true, null, $"{count} messages ({octets} octets)");
    public static Pop3Reply UidlFollows { get; } = new(true, null, "Unique-ID listing follows");
    public static Pop3Reply MessageFollows(long octets) => new(true, null, $"{octets} octets");
    public static Pop3Reply TopFollows { get; } = new(true, null, "Top of message follows");
    public static Pop3Reply Deleted(int number) => new(true, null, $"Message {number} deleted");
    public static Pop3Reply Reset(int count, long octets) => new(true, null, $"Maildrop has {count} messages ({octets} octets)");
    /// <summary>RFC 5034 §4: a server challenge is "+ " and base64 text (not a status line).</summary>
    public static byte[] SaslContinuation(string challenge) => System.Text.Encoding.ASCII.GetBytes($"+ {challenge}\r\n");

    public static Pop3Reply UnknownCommand { get; } = new(false, null, "Unknown command");
    public static Pop3Reply SyntaxError { get; } = new(false, null, "Syntax error");
    public static Pop3Reply LineTooLong { get; } = new(false, null, "Line too long");
    public static Pop3Reply BadState { get; } = new(false, null, "Command not valid in this state");
    public static Pop3Reply NoSuchMessage { get; } = new(false, null, "No such message");
    public static Pop3Reply AlreadyDeleted { get; } = new(false, null, "Message already deleted");
    public static Pop3Reply MessageGone { get; } = new(false, null, "Message was removed by another session; it cannot be retrieved");
    public static Pop3Reply AlreadyTls { get; } = new(false, null, "TLS already active");
    public static Pop3Reply PlaintextRefused { get; } = new(false, Pop3ResponseCodes.Auth, "Plaintext authentication is disallowed without TLS; use STLS");
    public static Pop3Reply NeedUser { get; } = new(false, null, "Send USER first");
    public static Pop3Reply AuthFailed { get; } = new(false, Pop3ResponseCodes.Auth, "Authentication failed");
    public static Pop3Reply AuthCancelled { get; } = new(false, null, "Authentication cancelled");
    public static Pop3Reply AuthInvalid { get; } = new(false, null, "Invalid authentication data");
    public static Pop3Reply MechanismNotSupported { get; } = new(false, null, "Unsupported authentication mechanism");
    public static Pop3Reply TemporaryFailure { get; } = new(false, Pop3ResponseCodes.SysTemp, "Temporary server failure, try again later");
    public static Pop3Reply MaildropInUse { get; } = new(false, Pop3ResponseCodes.InUse, "Mailbox is locked by another POP3 session");
    public static Pop3Reply NotRemoved { get; } = new(false, Pop3ResponseCodes.SysTemp, "Some deleted messages were not removed");
    public static Pop3Reply Timeout { get; } = new(false, null, "Idle timeout, closing connection");
    public static Pop3Reply TooManyErrors { get; } = new(false, null, "Too many errors, closing connection");
    public static Pop3Reply ShuttingDown { get; } = new(false, Pop3ResponseCodes.SysTemp, "Server shutting down");
    public static Pop3Reply TooManyConnections { get; } = new(false, Pop3ResponseCodes.SysTemp, "Too many connections, try again later");
}
