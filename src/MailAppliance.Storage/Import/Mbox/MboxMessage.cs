using System.Globalization;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import.Mbox;

/// <summary>
/// One message of an mbox as <see cref="MboxReader"/> found it: the From line's date (INTERNALDATE), the header
/// lines kept, and what the mbox's own bookkeeping headers said, as UW-IMAP's c-client and Dovecot write them:
/// <list type="bullet">
/// <item><c>Status: RO</c> (R: \Seen; O: no longer \Recent) and <c>X-Status: ADFT</c> (\Answered, \Deleted,
/// \Flagged, \Draft);</item>
/// <item><c>X-Keywords: a b</c>, the message's keywords;</item>
/// <item><c>X-UID: n</c>, its UID, valid with the folder's UIDVALIDITY;</item>
/// <item><c>X-IMAPbase: uidvalidity last-uid keyword...</c> on the first message (Dovecot, c-client without a
/// pseudo-message), or <c>X-IMAP:</c> with the same fields on c-client's "FOLDER INTERNAL DATA" pseudo-message, which
/// is no message at all;</item>
/// <item><c>Content-Length</c> (mboxcl2): the body's length, used when it ends exactly at a separator.</item>
/// </list>
/// Its bytes are read once, on demand (<see cref="WriteToAsync"/>), from the reader's current position.
/// </summary>
public sealed class MboxMessage : IImportMessage
{
    private readonly MboxReader _reader;
    private string? _lastBookkeeping;
    private readonly List<string> _keywords = [];

    internal MboxMessage(MboxReader reader, MboxFromLine from)
    {
        _reader = reader;
        From = from;
    }

    public MboxFromLine From { get; }

    /// <summary>Why the message cannot be imported (the reader then skips its bytes), or null.</summary>
    public string? Error { get; internal set; }

    internal bool Consumed { get; set; }

    internal bool BodyEnded { get; set; }

    internal byte[]? HeaderSeparator { get; set; }

    internal List<byte[]> KeptHeaderLines { get; } = [];

    public long? ContentLength { get; private set; }

    /// <summary>The <c>X-UID</c> header's value (whether it is valid is the folder's decision).</summary>
    public uint? XUid { get; private set; }

    /// <summary>From <c>X-IMAP</c> or <c>X-IMAPbase</c>: the folder's UIDVALIDITY, last UID and keywords.</summary>
    public MboxFolderData? FolderData { get; private set; }

    /// <summary>c-client's pseudo-message (it carries <c>X-IMAP</c>): folder data, not mail.</summary>
    public bool IsPseudoMessage { get; private set; }

    /// <summary>The UID to keep, set by the folder once it has checked <see cref="XUid"/> (null: a new one).</summary>
    public uint? Uid { get; internal set; }

    public MaildirFlags Flags { get; private set; }

    public IReadOnlyList<string> Keywords => _keywords;

    public DateTimeOffset? InternalDate => From.Date;

    public string? RemoteId => null;

    public Task WriteToAsync(Stream target, CancellationToken cancellationToken) => _reader.CopyAsync(this, target, cancellationToken);

    internal void ReadBookkeeping(string name, string value)
    {
        _lastBookkeeping = name.ToUpperInvariant();
        switch (_lastBookkeeping)
        {
            case "STATUS":
                foreach (var c in value)
                {
                    Flags |= c switch
                    {
                        'R' => MaildirFlags.Seen,
                        _ => MaildirFlags.None, // O: not \Recent any more, which an import never makes a message anyway
                    };
                }

                break;
            case "X-STATUS":
                foreach (var c in value)
                {
                    Flags |= c switch
                    {
                        'A' => MaildirFlags.Replied,
                        'D' => MaildirFlags.Trashed,
                        'F' => MaildirFlags.Flagged,
                        'T' => MaildirFlags.Draft,
                        _ => MaildirFlags.None,
                    };
                }

                break;
            case "X-KEYWORDS":
                AddKeywords(value);
                break;
            case "X-UID":
                XUid = uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0 ? uid : null;
                break;
            case "X-IMAP":
                IsPseudoMessage = true;
                FolderData = MboxFolderData.Parse(value);
                break;
            case "X-IMAPBASE":
                FolderData = MboxFolderData.Parse(value);
                break;
            case "CONTENT-LENGTH":
                ContentLength = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
                break;
        }
    }

    /// <summary>A folded continuation of the last bookkeeping header (c-client folds long keyword lists).</summary>
    internal void ContinueBookkeeping(string value)
    {
        switch (_lastBookkeeping)
        {
            case "X-KEYWORDS":
                AddKeywords(value);
                break;
            case "X-IMAP" or "X-IMAPBASE" when FolderData is { } data:
                FolderData = data with { Keywords = [.. data.Keywords, .. value.Split(' ', StringSplitOptions.RemoveEmptyEntries)] };
                break;
        }
    }

    private void AddKeywords(string value)
    {
        foreach (var keyword in value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            // RFC 3501 §9: flag-keyword = atom; a system flag (\Seen) is not a keyword.
            if (!keyword.StartsWith('\\') && !_keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase))
            {
                _keywords.Add(keyword);
            }
        }
    }
}

/// <summary>The folder data of <c>X-IMAP</c>/<c>X-IMAPbase</c>: <c>uidvalidity last-uid keyword...</c>.</summary>
public sealed record MboxFolderData(uint UidValidity, uint LastUid, IReadOnlyList<string> Keywords)
{
    public static MboxFolderData? Parse(string value)
    {
        var fields = value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2
            && uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var validity) && validity > 0
            && uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            ? new MboxFolderData(validity, last, fields[2..])
            : null;
    }
}
