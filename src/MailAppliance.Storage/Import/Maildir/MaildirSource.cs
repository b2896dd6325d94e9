using System.Globalization;
using System.Runtime.CompilerServices;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import.Maildir;

/// <summary>
/// A Maildir++ tree (INBOX at the root, <c>.A.B</c> folders) as another server left it. What keeps clients'
/// caches valid is read from whichever server wrote it:
/// <list type="bullet">
/// <item>Dovecot: <c>dovecot-uidlist</c> (UIDVALIDITY, UIDs, UIDNEXT), <c>dovecot-keywords</c> (the letters of a
/// file name's info), <c>subscriptions</c> — the same reading reconstruct does;</item>
/// <item>Courier: <c>courierimapuiddb</c> (<c>1 UIDVALIDITY UIDNEXT</c>, then <c>UID FILENAME</c> lines),
/// <c>courierimapkeywords/</c> (<c>:list</c> holds the keyword names, an empty line, then <c>BASENAME:N N</c>
/// lines; a file in the directory named after a message, or <c>.N.BASENAME</c> with the highest N, holds its newer
/// keywords, one a line) and <c>courierimapsubscribed</c> (<c>INBOX.A.B</c> a line);</item>
/// <item>neither: no UIDVALIDITY; messages get UIDs in file-name order (the delivery time comes first in a maildir
/// name, so that is arrival order).</item>
/// </list>
/// INTERNALDATE is the file's modification time, as both servers keep it.
/// </summary>
public sealed class MaildirSource(string path) : IImportSource
{
    public string Description => path;

    public async IAsyncEnumerable<IImportFolder> FoldersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var root = new MaildirRoot(path);
        if (!Directory.Exists(Path.Combine(path, MaildirFolder.CurDirectory)) && !Directory.Exists(Path.Combine(path, MaildirFolder.NewDirectory)))
        {
            throw new DirectoryNotFoundException($"{path} is not a maildir (it has no cur/ or new/)");
        }

        foreach (var folder in root.ListFolders().Folders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(folder.Folder.CurPath) || Directory.Exists(folder.Folder.NewPath))
            {
                yield return await Task.FromResult(MaildirImportFolder.Open(folder.Name, folder.Folder.Path));
            }
        }
    }

    public Task<IReadOnlyList<MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        var names = new List<MailboxName>(SubscriptionsFile.Read(path).Names);
        var courier = Path.Combine(path, "courierimapsubscribed");
        if (File.Exists(courier))
        {
            foreach (var line in File.ReadAllLines(courier))
            {
                if (CourierName(line.Trim()) is { } name && !names.Contains(name))
                {
                    names.Add(name);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<MailboxName>>(names);
    }

    /// <summary>Courier's <c>INBOX.A.B</c> (modified UTF-7, <c>.</c> separated, under the INBOX. namespace) as <c>A/B</c>.</summary>
    public static MailboxName? CourierName(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var components = text.Split('.');
        if (components.Length > 1 && string.Equals(components[0], "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            components = components[1..];
        }

        var decoded = components.Select(ModifiedUtf7.Decode).ToArray();
        if (decoded.Any(d => !d.Succeeded))
        {
            return null;
        }

        var name = MailboxName.FromComponents(decoded.Select(d => d.Value).ToArray());
        return name.Succeeded ? name.Value : null;
    }
}

/// <summary>One folder of a maildir being imported (see <see cref="MaildirSource"/>).</summary>
public sealed class MaildirImportFolder : IImportFolder
{
    private readonly string _path;
    private readonly Dictionary<string, uint> _uids;
    private readonly Func<MaildirFileName, IReadOnlyList<string>> _keywords;

    private MaildirImportFolder(MailboxName name, string path, uint? uidValidity, uint uidNext, Dictionary<string, uint> uids, Func<MaildirFileName, IReadOnlyList<string>> keywords)
    {
        Name = name;
        _path = path;
        UidValidity = uidValidity;
        UidNext = uidNext;
        _uids = uids;
        _keywords = keywords;
    }

    public MailboxName Name { get; }

    public string? SpecialUse => null;

    public uint? UidValidity { get; }

    public uint UidNext { get; }

    /// <summary>Where the UIDs come from: <c>dovecot</c>, <c>courier</c> or <c>none</c>.</summary>
    public string Kind { get; private init; } = "none";

    public static MaildirImportFolder Open(MailboxName name, string path)
    {
        var dovecot = UidListFile.Read(path);
        if (dovecot.Succeeded && File.Exists(UidListFile.PathIn(path)))
        {
            var list = dovecot.Value;
            var keywords = KeywordsFile.Read(path);
            return new MaildirImportFolder(name, path, list.UidValidity, list.NextUid,
                list.Records.ToDictionary(r => r.BaseName, r => r.Uid, StringComparer.Ordinal), keywords.KeywordsOf) { Kind = "dovecot" };
        }

        var courier = CourierUidDb.Read(path);
        var courierKeywords = CourierKeywords.Read(path);
        if (courier is { } db)
        {
            return new MaildirImportFolder(name, path, db.UidValidity, db.UidNext, db.Uids, courierKeywords.Of) { Kind = "courier" };
        }

        return new MaildirImportFolder(name, path, null, 1, new Dictionary<string, uint>(StringComparer.Ordinal), courierKeywords.Of);
    }

    public async IAsyncEnumerable<IImportMessage> MessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var entries = new MaildirFolder(_path).Scan();
        var known = new List<(uint Uid, MaildirEntry Entry)>();
        var unknown = new List<MaildirEntry>();
        foreach (var entry in entries)
        {
            if (UidValidity is not null && _uids.TryGetValue(entry.BaseName, out var uid) && uid < UidNext)
            {
                known.Add((uid, entry));
            }
            else
            {
                unknown.Add(entry);
            }
        }

        foreach (var (uid, entry) in known.OrderBy(k => k.Uid))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new MaildirImportMessage(entry, uid, _keywords(entry.Name));
        }

        foreach (var entry in unknown.OrderBy(e => DeliveryTime(e.BaseName)).ThenBy(e => e.BaseName, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new MaildirImportMessage(entry, null, _keywords(entry.Name));
        }

        await Task.CompletedTask;
    }

    /// <summary>The seconds a maildir name starts with (<c>1700000000.M1P2.host</c>), for arrival order.</summary>
    private static long DeliveryTime(string baseName)
    {
        var dot = baseName.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && long.TryParse(baseName.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : long.MaxValue;
    }
}

/// <summary>A file of a maildir being imported: copied as it is.</summary>
internal sealed class MaildirImportMessage(MaildirEntry entry, uint? uid, IReadOnlyList<string> keywords) : IImportMessage
{
    public uint? Uid => uid;

    public MaildirFlags Flags => entry.Flags;

    public IReadOnlyList<string> Keywords => keywords;

    public DateTimeOffset? InternalDate => entry.InternalDate;

    public string? RemoteId => null;

    public async Task WriteToAsync(Stream target, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new ImportReadException($"{entry.Path}: {e.Message}", e);
        }

        await using (file)
        {
            await file.CopyToAsync(target, 64 * 1024, cancellationToken);
        }
    }
}
