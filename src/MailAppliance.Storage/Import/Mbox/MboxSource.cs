using System.Runtime.CompilerServices;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import.Mbox;

/// <summary>
/// An mbox file (one folder: INBOX, or <c>--folder</c>) or a directory of mbox files, as UW-IMAP and Dovecot keep a
/// user's mail: each file is a folder, each subdirectory a level of the hierarchy (<c>lists/debian</c> →
/// <c>lists/debian</c>; a directory without a file of its name is a <c>\Noselect</c> parent), a file named
/// <c>INBOX</c> at the top is INBOX. Names are modified UTF-7 on disk (as both servers write them). Dot files
/// (<c>.subscriptions</c>, <c>.mailboxlist</c>, <c>.imap/</c>) are not folders; the first two are the
/// subscriptions (Dovecot's and c-client's), one name a line.
/// </summary>
public sealed class MboxSource(string path, TimeZoneInfo localZone) : IImportSource
{
    private readonly List<string> _folderNames = [];

    public string Description => path;

    public async IAsyncEnumerable<IImportFolder> FoldersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            yield return await MboxFolder.OpenAsync(path, MailboxName.Inbox, localZone, cancellationToken);
            yield break;
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"no mbox file or directory at {path}", path);
        }

        foreach (var (file, name) in Files(path, []).OrderBy(f => f.Name.IsInbox ? 0 : 1).ThenBy(f => f.Name.Name, StringComparer.Ordinal))
        {
            _folderNames.Add(name.Name);
            yield return await MboxFolder.OpenAsync(file, name, localZone, cancellationToken);
        }
    }

    public Task<IReadOnlyList<MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        var names = new List<MailboxName>();
        if (!Directory.Exists(path))
        {
            return Task.FromResult<IReadOnlyList<MailboxName>>(names);
        }

        foreach (var file in new[] { ".subscriptions", ".mailboxlist" })
        {
            var full = Path.Combine(path, file);
            if (!File.Exists(full))
            {
                continue;
            }

            foreach (var line in File.ReadAllLines(full))
            {
                var text = line.Trim();
                if (text.Length > 0 && MailboxName.FromModifiedUtf7(text) is { Succeeded: true } name && !names.Contains(name.Value))
                {
                    names.Add(name.Value);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<MailboxName>>(names);
    }

    /// <summary>Parents that are directories without an mbox of their own (<c>\Noselect</c> on the source).</summary>
    public IReadOnlyList<string> FolderNames => _folderNames;

    private static IEnumerable<(string File, MailboxName Name)> Files(string directory, string[] parents)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var leaf = Path.GetFileName(entry);
            if (leaf.StartsWith('.'))
            {
                continue;
            }

            var decoded = ModifiedUtf7.Decode(leaf);
            string[] components = [.. parents, decoded.Succeeded ? decoded.Value : leaf];
            if (Directory.Exists(entry))
            {
                foreach (var child in Files(entry, components))
                {
                    yield return child;
                }
            }
            else if (LooksLikeMbox(entry) && MailboxName.FromComponents(components) is { Succeeded: true } name)
            {
                yield return (entry, name.Value);
            }
        }
    }

    /// <summary>An empty file (an empty folder) or one whose first line is a <c>From </c> line.</summary>
    private static bool LooksLikeMbox(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        Span<byte> head = stackalloc byte[5];
        var n = stream.ReadAtLeast(head, 5, throwOnEndOfStream: false);
        return n == 0 || head[..n].SequenceEqual("From "u8);
    }
}

/// <summary>
/// One mbox file as a folder. Opening reads the first message's header for the folder data (<c>X-IMAP</c> on
/// c-client's pseudo-message, which is skipped, or <c>X-IMAPbase</c>): with it the folder has a UIDVALIDITY, and a
/// message keeps its <c>X-UID</c> when the UIDs ascend and stay at or below the last UID (c-client's own rule;
/// any other gets a new UID, as c-client would give it). Such mboxes (c-client, Dovecot) are never unquoted: a
/// client cached each message under its UID with its <c>&gt;From</c> lines as they are.
/// </summary>
public sealed class MboxFolder : IImportFolder, IAsyncDisposable
{
    private readonly MboxReader _reader;
    private MboxMessage? _first;

    private MboxFolder(MboxReader reader, MailboxName name)
    {
        _reader = reader;
        Name = name;
    }

    public MailboxName Name { get; }

    public string? SpecialUse => null;

    public uint? UidValidity { get; private set; }

    public uint UidNext { get; private set; } = 1;

    /// <summary>The keywords the folder data names (a client may rely on their order: it is kept).</summary>
    public IReadOnlyList<string> FolderKeywords { get; private set; } = [];

    public static async Task<MboxFolder> OpenAsync(string file, MailboxName name, TimeZoneInfo localZone, CancellationToken cancellationToken)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var folder = new MboxFolder(new MboxReader(stream, localZone), name);
        try
        {
            await folder.ReadFolderDataAsync(cancellationToken);
        }
        catch
        {
            await folder.DisposeAsync();
            throw;
        }

        return folder;
    }

    private async Task ReadFolderDataAsync(CancellationToken cancellationToken)
    {
        var first = await _reader.NextAsync(cancellationToken);
        if (first?.FolderData is { } data)
        {
            UidValidity = data.UidValidity;
            UidNext = data.LastUid == uint.MaxValue ? data.LastUid : data.LastUid + 1;
            FolderKeywords = data.Keywords;
            _reader.Unquote = false;
        }
        else if (first?.XUid is not null)
        {
            _reader.Unquote = false;
        }

        // RFC-less but universal: c-client's "FOLDER INTERNAL DATA" message holds the folder data only.
        _first = first is { IsPseudoMessage: true } ? await _reader.NextAsync(cancellationToken) : first;
    }

    public async IAsyncEnumerable<IImportMessage> MessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            uint last = 0;
            var message = _first;
            _first = null;
            while (message is not null)
            {
                if (UidValidity is not null && message.XUid is { } uid && uid > last && uid < UidNext)
                {
                    message.Uid = uid;
                    last = uid;
                }

                yield return message;
                message = await _reader.NextAsync(cancellationToken);
            }
        }
        finally
        {
            await DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
