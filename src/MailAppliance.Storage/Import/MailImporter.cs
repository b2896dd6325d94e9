using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import;

/// <summary>How an import runs (the command line's options).</summary>
public sealed record ImportOptions
{
    /// <summary><c>--folder F</c>: a single-folder source goes into F, a tree's INBOX into F and its folders below F.</summary>
    public MailboxName? Folder { get; init; }

    /// <summary><c>--dedupe</c>: a Message-ID (or, without one, body and key headers) already in the folder is not stored again.</summary>
    public bool Dedupe { get; init; }

    /// <summary><c>--dry-run</c>: read everything, store nothing, count what would happen.</summary>
    public bool DryRun { get; init; }

    /// <summary>Whether an empty target folder takes the source's UIDVALIDITY and UIDs (imports yes, box polls no).</summary>
    public bool KeepSourceUids { get; init; } = true;

    /// <summary>Messages per commit (one transaction, one barrier).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Bytes per commit: a batch of large messages commits sooner.</summary>
    public long BatchBytes { get; init; } = 64L * 1024 * 1024;
}

/// <summary>The four counts every import reports (INTERFACE.md: <c>imported N, duplicates D, skipped S, failed F</c>).</summary>
public sealed record ImportCounts(int Imported, int Duplicates, int Skipped, int Failed)
{
    public static ImportCounts Zero { get; } = new(0, 0, 0, 0);

    public ImportCounts Add(ImportCounts other) =>
        new(Imported + other.Imported, Duplicates + other.Duplicates, Skipped + other.Skipped, Failed + other.Failed);
}

/// <summary>What happened to one source folder.</summary>
public sealed record ImportFolderResult(MailboxName Source, MailboxName Target, ImportCounts Counts, bool KeptUids, uint? UidValidity, bool NewUidsBecauseNotEmpty);

/// <summary>Progress for a terminal: the folder being read and the counts so far.</summary>
public sealed record ImportProgress(string Folder, ImportCounts Counts);

public sealed record ImportReport(ImportCounts Counts, IReadOnlyList<ImportFolderResult> Folders, IReadOnlyList<string> Failures, int Subscribed);

/// <summary>
/// Imports a source into a user's mailboxes: folder by folder, each message streamed into a staging file,
/// fingerprinted, checked against what the folder holds (resume: the same bytes or the same kept UID are not
/// stored twice; <c>--dedupe</c>: the same Message-ID is stored once, its flags merged into the kept copy), and
/// committed in batches. Special-use folders land in ours (no second Sent, Junk or Trash); subscriptions carry over.
/// </summary>
public sealed class MailImporter(MailStore store, TimeProvider time)
{
    private const int MaxFailuresListed = 50;

    /// <summary>Called after each commit with the source messages now safe in the store (imported, duplicate or skipped).</summary>
    public Func<IReadOnlyList<IImportMessage>, CancellationToken, Task>? AfterCommit { get; init; }

    public async Task<ImportReport> ImportAsync(
        IImportSource source, MailUser user, ImportOptions options, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var total = ImportCounts.Zero;
        var folders = new List<ImportFolderResult>();
        var failures = new List<string>();
        await foreach (var folder in source.FoldersAsync(cancellationToken))
        {
            var target = TargetName(folder.Name, folder.SpecialUse, options.Folder);
            var result = await ImportFolderAsync(folder, target, user, options, total, progress, failures, cancellationToken);
            total = total.Add(result.Counts);
            folders.Add(result);
        }

        var subscribed = 0;
        if (!options.DryRun)
        {
            foreach (var name in await source.SubscriptionsAsync(cancellationToken))
            {
                await store.SetSubscribedAsync(user, TargetName(name, null, options.Folder), subscribed: true, cancellationToken);
                subscribed++;
            }
        }

        return new ImportReport(total, folders, failures, subscribed);
    }

    /// <summary>
    /// Where a source folder goes: under <c>--folder</c> when given (its INBOX into the folder itself), else onto our
    /// special-use folder when it is one (RFC 6154 attribute or a well-known name), else the same name.
    /// </summary>
    public static MailboxName TargetName(MailboxName source, string? specialUse, MailboxName? under)
    {
        if (under is not null)
        {
            return source.IsInbox ? under : MailboxName.FromComponents([.. under.Components, .. source.Components]).Value;
        }

        return SpecialUseFolders.Map(source, specialUse) ?? source;
    }

    private async Task<ImportFolderResult> ImportFolderAsync(
        IImportFolder folder, MailboxName target, MailUser user, ImportOptions options, ImportCounts before,
        IProgress<ImportProgress>? progress, List<string> failures, CancellationToken cancellationToken)
    {
        var sourceValidity = options.KeepSourceUids ? folder.UidValidity : null;
        var import = await store.BeginImportAsync(user, target, sourceValidity, folder.UidNext, options.DryRun, cancellationToken);
        var known = await import.LoadKnownAsync(options.Dedupe, cancellationToken);
        var run = new FolderRun(import, known, options);
        await foreach (var message in folder.MessagesAsync(cancellationToken))
        {
            await ProcessAsync(run, message, failures, cancellationToken);
            if (run.Batch.Count >= options.BatchSize || run.BatchBytes >= options.BatchBytes)
            {
                await CommitAsync(run, cancellationToken);
            }

            progress?.Report(new ImportProgress(folder.Name.Name, before.Add(run.Counts)));
        }

        await CommitAsync(run, cancellationToken);
        progress?.Report(new ImportProgress(folder.Name.Name, before.Add(run.Counts)));
        return new ImportFolderResult(folder.Name, target, run.Counts, import.KeepsUids, import.KeepsUids ? sourceValidity : null, import.HadMessages);
    }

    private async Task ProcessAsync(FolderRun run, IImportMessage message, List<string> failures, CancellationToken cancellationToken)
    {
        var import = run.Import;
        if (import.KeepsUids && message.Uid is { } uid && run.Known.Uids.Contains(uid))
        {
            run.Count(skipped: 1);
            run.Handled.Add(message);
            return;
        }

        if (import.DryRun)
        {
            var fingerprint = new ImportFingerprint();
            try
            {
                await message.WriteToAsync(new FingerprintStream(fingerprint), cancellationToken);
            }
            catch (ImportReadException e)
            {
                Fail(run, failures, e.Message);
                return;
            }

            Classify(run, Convert.ToHexStringLower(fingerprint.ContentHash), fingerprint.DedupeKey, null, message);
            return;
        }

        var staging = import.Stage(import.KeepsUids ? message.Uid : null, message.Flags, message.Keywords, message.InternalDate);
        try
        {
            await message.WriteToAsync(staging.Body, cancellationToken);
            await staging.SealAsync(time.GetUtcNow(), cancellationToken);
        }
        catch (ImportReadException e)
        {
            await staging.DisposeAsync();
            Fail(run, failures, e.Message);
            return;
        }
        catch
        {
            await staging.DisposeAsync();
            throw;
        }

        if (!Classify(run, Convert.ToHexStringLower(staging.Fingerprint.ContentHash), staging.Fingerprint.DedupeKey, staging, message))
        {
            await staging.DisposeAsync();
        }
    }

    /// <summary>Decides one message; true when it is to be stored (added to the batch).</summary>
    private static bool Classify(FolderRun run, string hash, string dedupeKey, ImportStaging? staging, IImportMessage message)
    {
        if (run.Known.ContentHashes.Contains(hash))
        {
            // The same bytes were imported before (a resumed run, or the same copy in another source): nothing to
            // store, but with --dedupe this copy's flags still join the kept one's.
            if (run.Options.Dedupe && run.Known.DedupeKeys.TryGetValue(dedupeKey, out var sameUid))
            {
                run.MergeFlags(sameUid, message.Flags, message.Keywords);
            }

            run.Count(skipped: 1);
            run.Handled.Add(message);
            return false;
        }

        if (run.Options.Dedupe)
        {
            if (run.Known.DedupeKeys.TryGetValue(dedupeKey, out var keptUid))
            {
                run.Count(duplicates: 1);
                run.Handled.Add(message);
                run.MergeFlags(keptUid, message.Flags, message.Keywords);
                return false;
            }

            if (run.Staged.TryGetValue(dedupeKey, out var kept))
            {
                run.Count(duplicates: 1);
                run.Handled.Add(message);
                kept.Flags |= message.Flags;
                kept.Keywords = kept.Keywords.Union(message.Keywords, StringComparer.OrdinalIgnoreCase).ToList();
                return false;
            }
        }

        run.Known.ContentHashes.Add(hash);
        run.Count(imported: 1);
        run.Handled.Add(message);
        if (staging is null)
        {
            run.Known.DedupeKeys.TryAdd(dedupeKey, 0);
            return false;
        }

        run.Staged.TryAdd(dedupeKey, staging);
        run.Batch.Add(staging);
        run.BatchBytes += staging.Size;
        return true;
    }

    private static void Fail(FolderRun run, List<string> failures, string reason)
    {
        run.Count(failed: 1);
        if (failures.Count < MaxFailuresListed)
        {
            failures.Add(reason);
        }
    }

    private async Task CommitAsync(FolderRun run, CancellationToken cancellationToken)
    {
        var import = run.Import;
        if (run.Batch.Count > 0)
        {
            await import.CommitAsync(run.Batch, cancellationToken);
            foreach (var (key, staging) in run.Staged)
            {
                if (staging.Uid != 0)
                {
                    run.Known.DedupeKeys.TryAdd(key, staging.Uid);
                }
            }

            // A UID that another run took meanwhile: that message is there already.
            var left = run.Batch.Count(s => s.Uid == 0);
            run.Count(imported: -left, skipped: left);
        }

        foreach (var group in run.FlagMerges.GroupBy(m => (m.Value.Flags, Keywords: string.Join(' ', m.Value.Keywords.Order(StringComparer.Ordinal)))))
        {
            if (import.Mailbox is { } mailbox && !import.DryRun)
            {
                await store.StoreFlagsAsync(import.User, mailbox, group.Select(g => g.Key).ToList(), FlagMode.Add, group.Key.Flags,
                    group.First().Value.Keywords.ToList(), null, cancellationToken);
            }
        }

        if (AfterCommit is not null && run.Handled.Count > 0 && !import.DryRun)
        {
            await AfterCommit(run.Handled.ToList(), cancellationToken);
        }

        run.Batch.Clear();
        run.Staged.Clear();
        run.FlagMerges.Clear();
        run.Handled.Clear();
        run.BatchBytes = 0;
    }

    /// <summary>The state of one folder's import.</summary>
    private sealed class FolderRun(MailboxImport import, ImportKnown known, ImportOptions options)
    {
        public MailboxImport Import { get; } = import;

        public ImportKnown Known { get; } = known;

        public ImportOptions Options { get; } = options;

        public List<ImportStaging> Batch { get; } = [];

        public Dictionary<string, ImportStaging> Staged { get; } = new(StringComparer.Ordinal);

        public Dictionary<uint, (MaildirFlags Flags, HashSet<string> Keywords)> FlagMerges { get; } = [];

        public List<IImportMessage> Handled { get; } = [];

        public long BatchBytes { get; set; }

        public ImportCounts Counts { get; private set; } = ImportCounts.Zero;

        public void Count(int imported = 0, int duplicates = 0, int skipped = 0, int failed = 0) =>
            Counts = Counts.Add(new ImportCounts(imported, duplicates, skipped, failed));

        public void MergeFlags(uint uid, MaildirFlags flags, IReadOnlyList<string> keywords)
        {
            if (uid == 0 || (flags == MaildirFlags.None && keywords.Count == 0))
            {
                return;
            }

            var (had, words) = FlagMerges.TryGetValue(uid, out var m) ? m : (MaildirFlags.None, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
            words.UnionWith(keywords);
            FlagMerges[uid] = (had | flags, words);
        }
    }

    /// <summary>A write-only stream into a fingerprint (a dry run reads every message but stores nothing).</summary>
    private sealed class FingerprintStream(ImportFingerprint fingerprint) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => fingerprint.Length;

        public override long Position
        {
            get => fingerprint.Length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => fingerprint.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => fingerprint.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            fingerprint.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            fingerprint.Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }
    }
}
