namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// Every reply the server sends, named once, each with its enhanced status code (RFC 3463). Texts are generic:
/// details of a failure go to the log, not to the client.
/// </summary>
public static class SmtpReplies
{
    // 2xx
    public static readonly SmtpReply Ok = new(250, "2.0.0", "Ok");
    public static readonly SmtpReply SenderOk = new(250, "2.1.0", "Sender ok");
    public static readonly SmtpReply RecipientOk = new(250, "2.1.5", "Recipient ok");
    public static readonly SmtpReply ResetOk = new(250, "2.0.0", "Reset state");
    public static readonly SmtpReply Bye = new(221, "2.0.0", "Bye");
    public static readonly SmtpReply CannotVerify = new(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly SmtpReply AuthSucceeded = new(235, "2.7.0", "Authentication successful");
    public static readonly SmtpReply ReadyForTls = new(220, "2.0.0", "Ready to start TLS");
    public static readonly SmtpReply StartMailInput = new(354, null, "End data with <CR><LF>.<CR><LF>");
    public static readonly SmtpReply Help = new(214, "2.0.0", "See RFC 5321");

    // 4xx: the sender keeps the message and tries again
    public static readonly SmtpReply ServiceNotAvailable = new(421, "4.3.2", "Service not available, closing transmission channel");
    public static readonly SmtpReply TooManyConnections = new(421, "4.7.0", "Too many connections, try again later");
    public static readonly SmtpReply Timeout = new(421, "4.4.2", "Timeout, closing transmission channel");
    public static readonly SmtpReply TooManyErrors = new(421, "4.7.0", "Too many errors, closing transmission channel");
    public static readonly SmtpReply TemporaryFailure = new(451, "4.3.0", "Temporary failure, please try again later");
    public static readonly SmtpReply InsufficientStorage = new(452, "4.3.1", "Insufficient system storage, please try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "Too many recipients");
    public static readonly SmtpReply MailboxFull = new(452, "4.2.2", "Mailbox full");
    public static readonly SmtpReply AuthTemporaryFailure = new(454, "4.7.0", "Temporary authentication failure");
    public static readonly SmtpReply TlsNotAvailable = new(454, "4.7.0", "TLS not available");

    // 5xx: refused for good
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "Line too long");
    public static readonly SmtpReply CommandUnrecognized = new(500, "5.5.2", "Command unrecognized");
    public static readonly SmtpReply SyntaxError = new(501, "5.5.4", "Syntax error in parameters or arguments");
    public static readonly SmtpReply BadAddressSyntax = new(501, "5.1.3", "Bad address syntax");
    public static readonly SmtpReply BadSenderSyntax = new(501, "5.1.7", "Bad sender address syntax");
    public static readonly SmtpReply NotImplemented = new(502, "5.5.1", "Command not implemented");
    public static readonly SmtpReply BadSequence = new(503, "5.5.1", "Bad sequence of commands");
    public static readonly SmtpReply NeedHelo = new(503, "5.5.1", "Send EHLO or HELO first");
    public static readonly SmtpReply NeedMail = new(503, "5.5.1", "Need MAIL command");
    public static readonly SmtpReply NeedRecipient = new(503, "5.5.1", "Need RCPT command");
    public static readonly SmtpReply AlreadyAuthenticated = new(503, "5.5.1", "Already authenticated");
    public static readonly SmtpReply ParametersNotRecognized = new(555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented");
    public static readonly SmtpReply ParameterNotImplemented = new(504, "5.5.4", "Parameter not implemented");
    public static readonly SmtpReply MechanismNotSupported = new(504, "5.5.4", "Unrecognized authentication mechanism");
    public static readonly SmtpReply AuthRequired = new(530, "5.7.0", "Authentication required");
    public static readonly SmtpReply MustUseTls = new(530, "5.7.0", "Must issue a STARTTLS command first");

    // RFC 8689 §2: REQUIRETLS only in a TLS session; RFC 3463's 5.7.10 "encryption needed" (as mox answers).
    public static readonly SmtpReply RequireTlsNeedsTls = new(530, "5.7.10", "REQUIRETLS needs a TLS session: issue STARTTLS first");
    public static readonly SmtpReply AuthFailed = new(535, "5.7.8", "Authentication credentials invalid");
    public static readonly SmtpReply EncryptionRequiredForAuth = new(538, "5.7.11", "Encryption required for requested authentication mechanism");
    public static readonly SmtpReply UnknownUser = new(550, "5.1.1", "No such user here");
    public static readonly SmtpReply RelayDenied = new(550, "5.7.1", "Relay access denied");
    public static readonly SmtpReply SenderNotOwned = new(553, "5.7.1", "Sender address rejected: not owned by the authenticated user");
    public static readonly SmtpReply MessageTooBig = new(552, "5.3.4", "Message size exceeds fixed maximum message size");
    public static readonly SmtpReply SmtpUtf8Required = new(553, "5.6.7", "Address needs SMTPUTF8");
    public static readonly SmtpReply AuthCancelled = new(501, "5.0.0", "Authentication cancelled");
    public static readonly SmtpReply BareLineFeed = new(550, "5.6.0", "Message contains bare CR or LF characters in its line ends");
    public static readonly SmtpReply TransactionOpen = new(503, "5.5.1", "Transaction in progress; it is discarded");

    // Policy: what checks of the intake pipeline decide (the reason a check gives replaces the text).
    public static readonly SmtpReply PolicyRejected = new(550, "5.7.1", "Rejected by policy");
    public static readonly SmtpReply PolicyTemporaryFailure = new(451, "4.7.1", "Try again later");
    public static readonly SmtpReply ConnectionRejected = new(554, "5.7.1", "Connection rejected by policy");
    public static readonly SmtpReply ConnectionTemporaryFailure = new(421, "4.7.1", "Try again later, closing transmission channel");
}
