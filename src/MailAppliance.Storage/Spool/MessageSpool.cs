using System.Security.Cryptography;
using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Nodes;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// The spool: one file per accepted message in <c>&lt;DataDirectory&gt;/spool</c>, the source of truth of the queue.
/// A message is written into <c>spool/tmp</c>, flushed to disk, renamed into <c>spool/</c>, and the directory fsync'd
/// before the SMTP server may answer 250; concurrent messages share those flushes (<see cref="SpoolSealer"/>).
/// </summary>
/// <remarks>
/// Files are recycled: a small settled message's file is renamed into <c>spool/free</c> and emptied rather than
/// unlinked, and the next message is written into it instead of a new file. Creating a file costs an inode
/// allocation, and on ext4 without a journal that allocation skips every inode freed in the last seconds, reading
/// each one: at a thousand messages a second, a sixth of the server's CPU went into that scan. A file in
/// <c>spool/free</c> is nobody's message: start-up reuses them, and nothing else reads them. Only with the file
/// system barrier (<see cref="SyncMode.SyncFs"/>): its flush makes every directory's renames durable at once, so no
/// crash can leave a file both in <c>spool/free</c> and under a message's name. With per-file fsyncs (which sync
/// only <c>spool/</c>) files are created and unlinked as before. A file whose header names another queue id than
/// its own name is never read as that message (<see cref="Open"/>).
/// </remarks>
public sealed class MessageSpool
{
    public const string Extension = ".msg";

    /// <summary>Files kept for reuse at most (beyond that, settled files are unlinked).</summary>
    public const int MaxFreeFiles = 4096;

    /// <summary>Larger files are unlinked, not kept: a free file holds its old blocks until it is reused.</summary>
    public const long MaxRecycledSize = 64 * 1024;

    private readonly SpoolSealer _sealer;
    private readonly TimeProvider _time;
    private readonly NodeIdentity? _node;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _free = new();
    private int _freeCount;

    /// <param name="spoolDirectory">The spool (<c>&lt;DataDirectory&gt;/spool</c>).</param>
    /// <param name="time">The clock queue ids are made from.</param>
    /// <param name="syncMode">How files are made durable.</param>
    /// <param name="barrier">The process's barrier for <see cref="SyncMode.SyncFs"/> (shared with the mail store).</param>
    /// <param name="node">This process as a node: its files in <c>spool/tmp</c> carry its id, so start-up removes
    /// only what dead nodes left there, never a live peer's message in progress. Null: a single process, whose
    /// start-up removes everything in <c>spool/tmp</c>.</param>
    public MessageSpool(string spoolDirectory, TimeProvider time, SyncMode syncMode = SyncMode.Auto, IFileSystemBarrier? barrier = null, NodeIdentity? node = null)
    {
        Directory = spoolDirectory;
        TmpDirectory = Path.Combine(spoolDirectory, "tmp");
        FreeDirectory = Path.Combine(spoolDirectory, "free");
        // Private to the service whatever the umask: the spool holds whole messages (0700, as the maildirs).
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        System.IO.Directory.CreateDirectory(spoolDirectory, Private);
        System.IO.Directory.CreateDirectory(TmpDirectory, Private);
        System.IO.Directory.CreateDirectory(FreeDirectory, Private);
        _sealer = new SpoolSealer(spoolDirectory, mode: syncMode, barrier: barrier);
        _time = time;
        _node = node;
    }

    public string Directory { get; }

    public string TmpDirectory { get; }

    /// <summary>Files of settled messages, kept to be written over by new ones.</summary>
    public string FreeDirectory { get; }

    /// <summary>How many files wait in <see cref="FreeDirectory"/> to be reused (by this process).</summary>
    public int FreeFiles => Volatile.Read(ref _freeCount);

    /// <summary>A new queue id: time-ordered (milliseconds) then random, 16 characters of base32.</summary>
    public string NewQueueId()
    {
        Span<byte> bytes = stackalloc byte[10];
        var millis = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)millis;
            millis >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        // 80 bits as 16 base32 digits (Crockford's alphabet), most significant first: ids sort by arrival.
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        UInt128 value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }

        var chars = new char[16];
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return new string(chars);
    }

    /// <summary>Starts a spool file; write the message to <see cref="SpoolWriter.Body"/>, then commit.</summary>
    public async Task<SpoolWriter> BeginAsync(SpoolEnvelope envelope, CancellationToken cancellationToken)
    {
        var tmp = Path.Combine(TmpDirectory, (_node is null ? "" : _node.Id + ".") + envelope.QueueId + Extension);
        var file = Recycled(tmp) ?? OpenForWriting(tmp, FileMode.CreateNew);
        var header = SpoolFormat.Header(envelope);
        try
        {
            await file.WriteAsync(header, cancellationToken);
        }
        catch
        {
            await file.DisposeAsync();
            File.Delete(tmp);
            throw;
        }

        return new SpoolWriter(this, envelope, tmp, file, header.Length);
    }

    /// <summary>
    /// The spool file's write buffer: enough for the envelope and a message of a few KiB in one write call. A larger
    /// one (64 KiB, before) was a third of intake's allocations at 8 connections; the body of a large message
    /// arrives in chunks of the network's reads, which pass the buffer when it is empty.
    /// </summary>
    internal const int WriteBufferSize = 8 * 1024;

    /// <summary>A spool file to write: a new one (owner-only) or a recycled one, emptied.</summary>
    private static FileStream OpenForWriting(string path, FileMode mode) => new(path, new FileStreamOptions
    {
        Mode = mode,
        Access = FileAccess.Write,
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = WriteBufferSize,
        UnixCreateMode = mode == FileMode.CreateNew ? UnixFileMode.UserRead | UnixFileMode.UserWrite : null,
    });

    /// <summary>A free file renamed to <paramref name="tmp"/> and opened empty; null when there is none.</summary>
    private FileStream? Recycled(string tmp)
    {
        while (_sealer.UsesBarrier && _free.TryDequeue(out var free))
        {
            Interlocked.Decrement(ref _freeCount);
            try
            {
                File.Move(free, tmp, overwrite: false);
                return OpenForWriting(tmp, FileMode.Truncate);
            }
            catch (FileNotFoundException)
            {
                // Taken by another process's start-up meanwhile: try the next one.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unusable (or no file descriptor left): drop it, and let a new file be tried (and fail) as usual.
                TryDelete(tmp);
                return null;
            }
        }

        return null;
    }

    /// <summary>Start-up: the free files left by the last run are reused (up to <see cref="MaxFreeFiles"/>).</summary>
    public int AdoptFreeFiles()
    {
        var adopted = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(FreeDirectory))
        {
            if (!_sealer.UsesBarrier || Volatile.Read(ref _freeCount) >= MaxFreeFiles)
            {
                TryDelete(file);
                continue;
            }

            _free.Enqueue(file);
            Interlocked.Increment(ref _freeCount);
            adopted++;
        }

        return adopted;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    internal Task SealAsync(FileStream file, string tmpPath, string queueId) => _sealer.SealAsync(file, tmpPath, PathOf(queueId));

    public string PathOf(string queueId) => Path.Combine(Directory, queueId + Extension);

    /// <summary>Every committed spool file's queue id, oldest first.</summary>
    public IReadOnlyList<string> List() =>
        System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Select(p => Path.GetFileNameWithoutExtension(p)!).Order(StringComparer.Ordinal).ToList();

    /// <summary>Opens a spool file: its envelope, verdict, and a stream of the message; null if gone or unreadable.</summary>
    public SpooledMessage? Open(string queueId)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(PathOf(queueId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        try
        {
            var envelope = SpoolFormat.ReadHeader(stream, out var version);
            if (envelope is null || !string.Equals(envelope.QueueId, queueId, StringComparison.OrdinalIgnoreCase))
            {
                // Unreadable, or another message's bytes under this name: never delivered as this message.
                stream.Dispose();
                return null;
            }

            var start = stream.Position;
            var end = stream.Length;
            var verdict = SpoolVerdict.None;
            if (version >= 2)
            {
                if (SpoolFormat.ReadTrailer(stream, start, end) is not { } trailer)
                {
                    stream.Dispose();
                    return null;
                }

                (end, verdict) = trailer;
            }

            stream.Position = start;
            return new SpooledMessage(envelope, verdict, new SpoolMessageView(stream, start, end));
        }
        catch (EndOfStreamException)
        {
            stream.Dispose();
            return null;
        }
        catch (IOException)
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Removes a message whose recipients are all settled.</summary>
    /// <remarks>
    /// With per-file fsyncs the unlink is durable on return (its directory fsync shared with the messages being
    /// sealed); with the file system barrier it becomes durable with the next flush, without waiting for it. Either
    /// way a file that comes back after a crash delivers nothing twice: its recipient rows say it is settled (start-up
    /// removes it), and without them the store's delivery keys refuse a second copy.
    /// </remarks>
    /// <param name="queueId">The message.</param>
    /// <param name="recycle">Keep a small file for reuse (its bytes stay until the next message overwrites them);
    /// false for a message an administrator removes, whose bytes go at once.</param>
    public void Delete(string queueId, bool recycle = true)
    {
        var path = PathOf(queueId);
        if (!(recycle && _sealer.UsesBarrier && Volatile.Read(ref _freeCount) < MaxFreeFiles && IsSmall(path) && TryRecycle(path, queueId)))
        {
            File.Delete(path);
        }

        if (!_sealer.UsesBarrier)
        {
            _sealer.Directory.SyncAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Moves a settled file into <see cref="FreeDirectory"/> and empties it (its inode is what is reused, not its
    /// bytes: delivered mail does not linger there). False if it could not be moved; the caller unlinks it.
    /// </summary>
    private bool TryRecycle(string path, string queueId)
    {
        var free = Path.Combine(FreeDirectory, queueId);
        try
        {
            File.Move(path, free, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            return true; // already gone (removed by another process): nothing to keep, nothing to unlink
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        try
        {
            using var emptied = File.OpenHandle(free, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(free);
            return true;
        }

        _free.Enqueue(free);
        Interlocked.Increment(ref _freeCount);
        return true;
    }

    private static bool IsSmall(string path)
    {
        try
        {
            return new FileInfo(path).Length <= MaxRecycledSize;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Start-up: tmp files are messages that never got their 250 (the client still has them). Only this node's and
    /// dead nodes' files go: a live peer's file is a message it is receiving right now.
    /// </summary>
    public int DeleteUncommitted()
    {
        var count = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(TmpDirectory))
        {
            var name = Path.GetFileName(file);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var owner = dot > 0 && name.IndexOf('.', dot + 1) > 0 ? name[..dot] : null;
            if (_node is not null && owner is not null && owner != _node.Id && _node.IsPeerAlive(owner))
            {
                continue;
            }

            File.Delete(file);
            count++;
        }

        return count;
    }
}
