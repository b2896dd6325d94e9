using System.Globalization;

namespace MailAppliance.Imap.Protocol;

/// <summary>The three results of a tagged response (RFC 9051 §7.1).</summary>
public enum ImapStatus
{
    Ok,
    No,
    Bad,
}

/// <summary>
/// A tagged reply: its status, an optional response code (RFC 9051 §7.1, RFC 5530) and human-readable text. The
/// text is generic: what went wrong in detail goes to the log, never to the client.
/// </summary>
public sealed record ImapReply(ImapStatus Status, string? Code, string Text)
{
    public string StatusWord => Status switch
    {
        ImapStatus.Ok => "OK",
        ImapStatus.No => "NO",
        _ => "BAD",
    };

    /// <summary>The text after the status word: <c>[CODE] text</c>.</summary>
    public override string ToString() => Code is null ? Text : "[" + Code + "] " + Text;
}

/// <summary>
/// Every IMAP response code the server sends, named once (RFC 9051 §7.1, RFC 5530 and the extensions that define
/// their own). Codes with arguments are built by the methods of <see cref="ImapReplies"/>.
/// </summary>
public static class ImapCodes
{
    public const string Alert = "ALERT";
    public const string AlreadyExists = "ALREADYEXISTS";
    public const string AppendUid = "APPENDUID";
    public const string AuthenticationFailed = "AUTHENTICATIONFAILED";
    public const string BadCharset = "BADCHARSET";
    public const string BadComparator = "BADCOMPARATOR";
    public const string BadEvent = "BADEVENT";
    public const string BadUrl = "BADURL";
    public const string Cannot = "CANNOT";
    public const string Capability = "CAPABILITY";
    public const string ClientBug = "CLIENTBUG";
    public const string Closed = "CLOSED";
    public const string CompressionActive = "COMPRESSIONACTIVE";
    public const string CopyUid = "COPYUID";
    public const string HighestModSeq = "HIGHESTMODSEQ";
    public const string InUse = "INUSE";
    public const string Limit = "LIMIT";
    public const string MailboxId = "MAILBOXID";
    public const string Metadata = "METADATA";
    public const string Modified = "MODIFIED";
    public const string NoModSeq = "NOMODSEQ";
    public const string NonExistent = "NONEXISTENT";
    public const string NoPerm = "NOPERM";
    public const string NotSaved = "NOTSAVED";
    public const string OverQuota = "OVERQUOTA";
    public const string Parse = "PARSE";
    public const string PermanentFlags = "PERMANENTFLAGS";
    public const string PrivacyRequired = "PRIVACYREQUIRED";
    public const string ReadOnly = "READ-ONLY";
    public const string ReadWrite = "READ-WRITE";
    public const string ServerBug = "SERVERBUG";
    public const string TooBig = "TOOBIG";
    public const string TryCreate = "TRYCREATE";
    public const string UidNext = "UIDNEXT";
    public const string UidValidity = "UIDVALIDITY";
    public const string Unavailable = "UNAVAILABLE";
    public const string UnknownCte = "UNKNOWN-CTE";
    public const string Unseen = "UNSEEN";
    public const string UseAttr = "USEATTR";
}

/// <summary>
/// The server's tagged NO and BAD replies (and the OK replies that carry a code), named once. A handler answers with
/// one of these; a failure it did not foresee becomes <see cref="ServerBug"/> or <see cref="Unavailable"/>, never
/// the text of an exception (STYLE.md rule 7).
/// </summary>
public static class ImapReplies
{
    // Mailboxes
    public static readonly ImapReply NoSuchMailbox = new(ImapStatus.No, ImapCodes.NonExistent, "No such mailbox");
    public static readonly ImapReply TryCreate = new(ImapStatus.No, ImapCodes.TryCreate, "No such mailbox");
    public static readonly ImapReply MailboxExists = new(ImapStatus.No, ImapCodes.AlreadyExists, "Mailbox already exists");
    public static readonly ImapReply InboxExists = new(ImapStatus.No, ImapCodes.AlreadyExists, "INBOX always exists");
    public static readonly ImapReply InboxNotDeletable = new(ImapStatus.No, ImapCodes.Cannot, "INBOX cannot be deleted");
    public static readonly ImapReply HasChildren = new(ImapStatus.No, ImapCodes.InUse, "Mailbox has children, delete them first");
    public static readonly ImapReply InvalidMailboxName = new(ImapStatus.No, ImapCodes.Cannot, "Invalid mailbox name");
    public static readonly ImapReply ReadOnlyMailbox = new(ImapStatus.No, ImapCodes.ReadOnly, "Mailbox is read-only");
    public static readonly ImapReply NoSuchQuotaRoot = new(ImapStatus.No, ImapCodes.NonExistent, "No such quota root");
    public static readonly ImapReply QuotaByAdmin = new(ImapStatus.No, ImapCodes.NoPerm, "Quotas are set by the administrator");
    public static readonly ImapReply UnknownSpecialUse = new(ImapStatus.No, ImapCodes.UseAttr, "Unsupported special-use attribute");

    // Messages
    public static readonly ImapReply OverQuota = new(ImapStatus.No, ImapCodes.OverQuota, "Quota exceeded");

    /// <summary>INTERFACE.md: a full disk answers [OVERQUOTA], as Dovecot's "Not enough disk space".</summary>
    public static readonly ImapReply DiskFull = new(ImapStatus.No, ImapCodes.OverQuota, "Not enough disk space");
    public static readonly ImapReply TooBig = new(ImapStatus.No, ImapCodes.TooBig, "Message too large");
    public static readonly ImapReply EmptyMessage = new(ImapStatus.No, ImapCodes.Cannot, "Empty message");
    public static readonly ImapReply BadUrl = new(ImapStatus.No, ImapCodes.BadUrl, "Invalid or unreachable URL");
    public static readonly ImapReply NotSaved = new(ImapStatus.No, ImapCodes.NotSaved, "No search result saved");
    public static readonly ImapReply UnknownCte = new(ImapStatus.No, ImapCodes.UnknownCte, "Unknown Content-Transfer-Encoding");
    public static readonly ImapReply CannotDecode = new(ImapStatus.No, ImapCodes.Cannot, "Cannot decode the part");
    public static readonly ImapReply ExpungedMessage = new(ImapStatus.No, null, "Some of the requested messages no longer exist");
    public static readonly ImapReply BadComparator = new(ImapStatus.No, ImapCodes.BadComparator, "Unsupported comparator");

    // Sessions
    public static readonly ImapReply PrivacyRequired = new(ImapStatus.No, ImapCodes.PrivacyRequired, "Use STARTTLS first");
    public static readonly ImapReply UnsupportedMechanism = new(ImapStatus.No, ImapCodes.Cannot, "Unsupported authentication mechanism");
    public static readonly ImapReply AuthenticationFailed = new(ImapStatus.No, ImapCodes.AuthenticationFailed, "Authentication failed");
    public static readonly ImapReply AuthenticationUnavailable = new(ImapStatus.No, ImapCodes.Unavailable, "Temporary authentication failure");
    public static readonly ImapReply CompressionActive = new(ImapStatus.No, ImapCodes.CompressionActive, "Compression is already active");
    public static readonly ImapReply BadEvent = new(ImapStatus.No, ImapCodes.BadEvent + " (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)", "Unsupported event");
    public static readonly ImapReply MetadataTooMany = new(ImapStatus.No, ImapCodes.Metadata + " TOOMANY", "Too many annotations");
    public static readonly ImapReply MetadataNoPrivate = new(ImapStatus.No, ImapCodes.Metadata + " NOPRIVATE", "Private annotations are not supported here");
    public static readonly ImapReply CannotNow = new(ImapStatus.No, ImapCodes.Cannot, "Not possible now");

    // Failures nobody foresaw: the details are in the log.
    public static readonly ImapReply Unavailable = new(ImapStatus.No, ImapCodes.Unavailable, "Temporary failure, try again later");

    /// <summary>A literal could not be spooled to disk for a reason other than a full disk.</summary>
    public static readonly ImapReply LiteralUnavailable = new(ImapStatus.No, ImapCodes.Unavailable, "Could not store the literal, try again later");
    public static readonly ImapReply ServerBug = new(ImapStatus.No, ImapCodes.ServerBug, "Internal error, see the server log");

    // Unsolicited and OK codes with arguments
    public static string BadCharset(string supported) => ImapCodes.BadCharset + " (" + supported + ")";

    public static string MetadataMaxSize(long size) => ImapCodes.Metadata + " MAXSIZE " + size.ToString(CultureInfo.InvariantCulture);

    public static string MetadataLongEntries(long size) => ImapCodes.Metadata + " LONGENTRIES " + size.ToString(CultureInfo.InvariantCulture);

    public static string AppendUid(uint validity, string uids) => ImapCodes.AppendUid + " " + validity.ToString(CultureInfo.InvariantCulture) + " " + uids;

    public static string CopyUid(uint validity, string source, string target) =>
        ImapCodes.CopyUid + " " + validity.ToString(CultureInfo.InvariantCulture) + " " + source + " " + target;

    public static string Modified(string set) => ImapCodes.Modified + " " + set;

    public static string Number(string code, long value) => code + " " + value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A NO with the given code and text (for replies whose code carries an argument).</summary>
    public static ImapReply No(string? code, string text) => new(ImapStatus.No, code, text);

    /// <summary>An OK with the given code and text.</summary>
    public static ImapReply Ok(string? code, string text) => new(ImapStatus.Ok, code, text);

    /// <summary>A BAD: the command could not be understood (the text says where).</summary>
    public static ImapReply Bad(string text) => new(ImapStatus.Bad, null, text);
}
