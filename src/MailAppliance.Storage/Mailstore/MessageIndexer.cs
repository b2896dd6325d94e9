using System.Text;
using MailAppliance.Mime;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// A write-only stream that parses the message as its bytes go by (so the message is read once, never held whole),
/// then yields what the index caches: IMAP ENVELOPE, BODY, BODYSTRUCTURE, the part tree with offsets, sizes, and
/// the text for full-text search (read back from the stored file, bounded).
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
            SearchText(structure, file, maxSearchTextBytes));
    }

    private static string SearchText(MessageStructure structure, Stream file, int maxBytes)
    {
        var text = new StringBuilder();
        foreach (var name in new[] { "Subject", "From", "To", "Cc" })
        {
            if (structure.Root.GetDecodedValue(name) is { } value)
            {
                text.Append(value).Append('\n');
            }
        }

        foreach (var part in structure.TextParts())
        {
            if (text.Length >= maxBytes)
            {
                break;
            }

            text.Append(part.ReadText(file, maxBytes - text.Length)).Append('\n');
        }

        foreach (var attachment in structure.Attachments())
        {
            if (attachment.FileName is { } fileName)
            {
                text.Append(fileName).Append('\n');
            }
        }

        // PostgreSQL text cannot hold NUL; and tsvector has its own size limit well above maxBytes.
        return text.Replace('\0', ' ').ToString();
    }
}

public sealed record IndexedMessage(long Size, long CrlfSize, byte[] Envelope, byte[] Body, byte[] BodyStructure, byte[] Structure, string SearchText)
{
    /// <summary>The full-text column's value (<see cref="SearchWords"/>), computed once, off the database.</summary>
    public NpgsqlTypes.NpgsqlTsVector SearchVector => _searchVector ??= SearchWords.ToTsVector(SearchText);

    private NpgsqlTypes.NpgsqlTsVector? _searchVector;
}
