using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// An import into one mailbox, begun by <see cref="MailStore.BeginImportAsync"/>: messages are staged one by one
/// (<see cref="Stage"/>) and committed in batches (<see cref="CommitAsync"/>). When <see cref="KeepsUids"/> the
/// mailbox has the source's UIDVALIDITY and each message keeps the source's UID; otherwise messages get new UIDs
/// as deliveries do.
/// </summary>
public sealed class MailboxImport
{
    private readonly MailStore _store;
    private readonly Dictionary<string, int> _keywordIndexes = new(StringComparer.OrdinalIgnoreCase);

    internal MailboxImport(MailStore store, MailUser user, MailboxName name, MailboxInfo? mailbox, bool keepsUids, bool hadMessages, bool dryRun)
    {
        _store = store;
        User = user;
        Name = name;
        Mailbox = mailbox;
        KeepsUids = keepsUids;
        HadMessages = hadMessages;
        DryRun = dryRun;
    }

    public MailUser User { get; }

    public MailboxName Name { get; }

    /// <summary>The target mailbox; null only in a dry run for a mailbox that does not exist yet.</summary>
    public MailboxInfo? Mailbox { get; internal set; }

    /// <summary>The source's UIDVALIDITY and UIDs are kept (the mailbox was empty, or this resumes such an import).</summary>
    public bool KeepsUids { get; }

    /// <summary>The source had UIDs, but the mailbox already held messages: imported messages get new UIDs.</summary>
    public bool HadMessages { get; }

    public bool DryRun { get; }

    internal Dictionary<string, int> KeywordIndexes => _keywordIndexes;

    /// <summary>Starts one message: write its bytes into <see cref="ImportStaging.Body"/>, then seal it.</summary>
    public ImportStaging Stage(uint? sourceUid, MaildirFlags flags, IReadOnlyList<string> keywords, DateTimeOffset? internalDate)
    {
        if (DryRun || Mailbox is null)
        {
            throw new InvalidOperationException("a dry run stores nothing");
        }

        return _store.StageImport(this, sourceUid, flags, keywords, internalDate);
    }

    /// <summary>What the mailbox already holds, for resuming and --dedupe.</summary>
    public Task<ImportKnown> LoadKnownAsync(bool dedupe, CancellationToken cancellationToken) =>
        _store.LoadImportKnownAsync(this, dedupe, cancellationToken);

    /// <summary>
    /// Commits sealed messages: durable, indexed with their UIDs, visible. Each staging's <see cref="ImportStaging.Uid"/>
    /// says what it got (0: left out because its UID appeared meanwhile).
    /// </summary>
    public Task CommitAsync(IReadOnlyList<ImportStaging> batch, CancellationToken cancellationToken) =>
        batch.Count == 0 ? Task.CompletedTask : _store.CommitImportAsync(this, batch, cancellationToken);
}

/// <summary>What a mailbox already holds, as an import sees it.</summary>
public sealed class ImportKnown
{
    /// <summary>UIDs present or expunged: a kept UID among them is not imported again.</summary>
    public HashSet<uint> Uids { get; } = [];

    /// <summary>Content hashes (hex) of messages imported before.</summary>
    public HashSet<string> ContentHashes { get; } = new(StringComparer.Ordinal);

    /// <summary>Dedupe keys and the UID holding each.</summary>
    public Dictionary<string, uint> DedupeKeys { get; } = new(StringComparer.Ordinal);
}
