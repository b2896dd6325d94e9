using MailAppliance.Mime;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// A write-only stream that parses the message as its bytes go by (so the message is read once, never held whole),
/// then yields what the index caches: IMAP ENVELOPE, BODY, BODYSTRUCTURE, the part tree with offsets, sizes, the
/// folded text for SEARCH (read back from the stored file, bounded) and the SORT/THREAD keys.
/// </summary>
public sealed class MessageIndexer
{
    private readonly MimeParser _parser = new();
    private MessageStructure? _structure;

    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        _parser.Write(data);
        Length += data.Length;
    }

    public IndexedMessage Complete(Stream storedFile, int maxSearchTextBytes)
    {
        _structure ??= _parser.Complete();
        return Index(_structure, storedFile, maxSearchTextBytes);
    }

    /// <summary>Indexes a message already on disk (reconstruct).</summary>
    public static IndexedMessage IndexFile(string path, int maxSearchTextBytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
        var structure = MimeParser.Parse(file);
        return Index(structure, file, maxSearchTextBytes);
    }

    private static IndexedMessage Index(MessageStructure structure, Stream file, int maxSearchTextBytes)
    {
        return new IndexedMessage(
            structure.Length,
            structure.CrlfLength,
            ImapViews.Envelope(structure),
            ImapViews.Body(structure),
            ImapViews.BodyStructure(structure),
            structure.Serialize(),
            SearchText.Build(structure, file, maxSearchTextBytes),
            SortKeys.Build(structure.Root).Serialize());
    }
}

/// <summary>What the index keeps of a message besides its flags: sizes, cached IMAP views, search text and sort keys.</summary>
public sealed record IndexedMessage(long Size, long CrlfSize, byte[] Envelope, byte[] Body, byte[] BodyStructure, byte[] Structure, SearchText Search, byte[] SortKeys);
