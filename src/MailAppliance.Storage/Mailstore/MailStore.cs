using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Database;
using Dapper;
using MailAppliance.Storage.Maildir;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// The maildir tree with its PostgreSQL index. The tree is the source of truth (a Dovecot maildir, readable by
/// Dovecot); the index holds UIDs allocated in PostgreSQL transactions, flags, modseqs and cached MIME views.
/// Per user, an advisory lock separates reconstruct (exclusive) from deliveries and changes (shared); readers
/// take no lock.
/// </summary>
public sealed partial class MailStore
{
    private const long UserLockBase = 0x4D41_0000_0000_0000;

    private readonly NpgsqlDataSource _db;

    // Connections that take a user's session-level lock come from here (StorageDatabase.SessionSource).
    private readonly NpgsqlDataSource _sessionDb;
    private readonly MailstoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MailStore> _logger;
    private readonly MaildirLayout _layout;
    private readonly MaildirNameGenerator _names;

    // The last UIDVALIDITY this process gave a new mailbox (see NewUidValidity).
    private uint _lastUidValidity;

    // Null: every file and directory is fsync'd on its own (SyncMode.Fsync).
    private readonly IFileSystemBarrier? _barrier;

    // Users whose index is known to exist (saves a query per delivery), and one in-process gate per folder so that
    // this process's writers queue for the uidlist without polling its file lock.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, bool> _ensuredUsers = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _folderGates = new(StringComparer.Ordinal);

    // Where deliveries go, by user id and mailbox name (checked again by every group commit).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long UserId, string Name), MailboxInfo> _deliveryTargets = new();

    public MailStore(StorageDatabase db, MailstoreOptions options, TimeProvider time, ILogger<MailStore> logger)
    {
        _db = db.Source;
        _sessionDb = db.SessionSource;
        _options = options;
        _time = time;
        _logger = logger;
        _layout = new MaildirLayout(options.DataDirectory);
        _names = MaildirNameGenerator.ForCurrentProcess(time);
        _barrier = FileSystemBarrier.For(options.SyncMode, options.Barrier);
        Catalog = new MessageCatalog();
    }

    /// <summary>Tests stop a delivery after a step with this, as a crash would.</summary>
    internal Func<DeliveryStep, Task>? FaultInjection { get; set; }

    /// <summary>The user's maildir root (<c>mail/&lt;domain&gt;/&lt;localpart&gt;/Maildir</c>, local part lower-cased).</summary>
    public MaildirRoot RootOf(MailUser user)
    {
        var path = _layout.GetUserMaildirPath(user.Address.Domain.Ascii, user.Address.LocalPart.ToLowerInvariant());
        return path.Succeeded
            ? new MaildirRoot(path.Value)
            : throw new MailstoreException(MailstoreError.InvalidName, $"no maildir path for {user.Address}: {path.Failure}");
    }

    /// <summary>
    /// Makes sure the user's maildir and index exist. A user without index rows is reconstructed from the tree:
    /// an existing maildir (restored, or moved from another server) is adopted with its UIDs; a missing one is
    /// created with INBOX, Sent, Drafts, Junk and Trash.
    /// </summary>
    public async Task EnsureUserAsync(MailUser user, CancellationToken cancellationToken)
    {
        if (_ensuredUsers.ContainsKey(user.Id) || await HasMailboxesAsync(user, cancellationToken))
        {
            _ensuredUsers[user.Id] = true;
            return;
        }

        await ReconstructUserAsync(user, progress: null, cancellationToken);
        _ensuredUsers[user.Id] = true;
    }

    private SemaphoreSlim FolderGate(string folderPath) => _folderGates.GetOrAdd(folderPath, _ => new SemaphoreSlim(1, 1));

    public async Task<IReadOnlyList<MailboxInfo>> ListMailboxesAsync(MailUser user, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<MailboxRow>(new CommandDefinition(
            "SELECT id, user_id AS UserId, name, uidvalidity AS UidValidity, uidnext AS UidNext, highestmodseq AS HighestModSeq, guid FROM mailboxes WHERE user_id = @id ORDER BY name",
            new { id = user.Id }, cancellationToken: cancellationToken));
        var root = RootOf(user);
        return rows.Select(r => ToInfo(root, r)).ToList();
    }

    /// <summary>The mailbox, or null when the user has none of that name.</summary>
    public async Task<MailboxInfo?> FindMailboxAsync(MailUser user, MailboxName name, CancellationToken cancellationToken)
    {
        await EnsureUserAsync(user, cancellationToken);
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<MailboxRow>(new CommandDefinition(
            "SELECT id, user_id AS UserId, name, uidvalidity AS UidValidity, uidnext AS UidNext, highestmodseq AS HighestModSeq, guid FROM mailboxes WHERE user_id = @id AND name = @name",
            new { id = user.Id, name = name.Name }, cancellationToken: cancellationToken));
        return row is null ? null : ToInfo(RootOf(user), row);
    }

    /// <summary>The messages of a mailbox in UID order (readers take no lock).</summary>
    public async Task<IReadOnlyList<MessageInfo>> ListMessagesAsync(MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(
            "SELECT mailbox_id AS MailboxId, uid, base_name AS BaseName, file_name AS FileName, size, crlf_size AS CrlfSize, internal_date AS InternalDate, flags, keywords, modseq AS ModSeq FROM messages WHERE mailbox_id = @id ORDER BY uid",
            new { id = mailbox.Id }, cancellationToken: cancellationToken));
        return rows.Select(ToInfo).ToList();
    }

    /// <summary>
    /// Opens a message's bytes for reading. The file is found where the index last saw it, else by its base name
    /// in cur/, new/ or tmp/ (another process may have renamed it for a flag change). Null when it is gone.
    /// </summary>
    public Stream? OpenMessage(MailboxInfo mailbox, MessageInfo message)
    {
        foreach (var path in CandidatePaths(mailbox, message))
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
            }
            catch (FileNotFoundException)
            {
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // There but unreadable (a failing disk, permissions, a link loop): the message is served as gone
                // (FETCH answers NIL and says so in its OK), and the admin reads why here.
                _logger.LogMessageUnreadable(e, path);
                return null;
            }
        }

        return null;
    }

    private IEnumerable<string> CandidatePaths(MailboxInfo mailbox, MessageInfo message)
    {
        yield return Path.Combine(mailbox.FolderPath, message.FileName);
        var folder = new MaildirFolder(mailbox.FolderPath);

        // A STORE commits flags before the file is renamed (MailStore.FlagSync): the name its flags give comes next.
        if (message.Keywords.Count == 0 && MaildirFileName.Parse(Path.GetFileName(message.FileName)) is { Succeeded: true } name)
        {
            yield return Path.Combine(folder.CurPath, name.Value.WithFlags(message.Flags, []).FullName);
        }

        if (folder.Find(message.BaseName) is { } entry)
        {
            yield return entry.Path;
        }

        yield return Path.Combine(folder.TmpPath, message.BaseName);
    }

    private async Task<bool> HasMailboxesAsync(MailUser user, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM mailboxes WHERE user_id = @id)", new { id = user.Id }, cancellationToken: cancellationToken));
    }

    private static long UserLockKey(long userId) => UserLockBase + userId;

    private static MailboxInfo ToInfo(MaildirRoot root, MailboxRow row)
    {
        var name = MailboxName.FromImap(row.Name).Value;
        return new MailboxInfo(row.Id, row.UserId, name, (uint)row.UidValidity, (uint)Math.Min(row.UidNext, uint.MaxValue), row.HighestModSeq, root.GetFolder(name).Value.Path)
        {
            Guid = row.Guid,
        };
    }

    private static MessageInfo ToInfo(MessageRow row) =>
        new(row.MailboxId, (uint)row.Uid, row.BaseName, row.FileName, row.Size, row.CrlfSize, new DateTimeOffset(DateTime.SpecifyKind(row.InternalDate, DateTimeKind.Utc)),
            (MaildirFlags)row.Flags, row.Keywords, row.ModSeq);

    // Dapper fills these by column name (the queries alias snake_case columns).
    private sealed class MailboxRow
    {
        public long Id { get; init; }

        public long UserId { get; init; }

        public string Name { get; init; } = "";

        public long UidValidity { get; init; }

        public long UidNext { get; init; }

        public long HighestModSeq { get; init; }

        public string? Guid { get; init; }
    }

    private sealed class MessageRow
    {
        public long MailboxId { get; init; }

        public long Uid { get; init; }

        public string BaseName { get; init; } = "";

        public string FileName { get; init; } = "";

        public long Size { get; init; }

        public long CrlfSize { get; init; }

        public DateTime InternalDate { get; init; }

        public int Flags { get; init; }

        public string[] Keywords { get; init; } = [];

        public long ModSeq { get; init; }
    }
}
