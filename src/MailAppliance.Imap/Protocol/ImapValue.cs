using System.Text;

namespace MailAppliance.Imap.Protocol;

/// <summary>One parsed argument of an IMAP command (RFC 9051 §4): an atom, a string (quoted or literal), or a list.</summary>
public abstract record ImapValue
{
    /// <summary>The value as text: an atom's characters, a string's UTF-8 decoding; null for lists.</summary>
    public virtual string? AsText() => null;
}

/// <summary>
/// An atom, including the forms with brackets and angle brackets that FETCH uses (<c>BODY.PEEK[HEADER.FIELDS (A B)]&lt;0.100&gt;</c>),
/// NIL, flags (<c>\Seen</c>) and sequence sets.
/// </summary>
public sealed record ImapAtom(string Text) : ImapValue
{
    public bool Is(string word) => string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);

    public override string AsText() => Text;
}

/// <summary>A quoted string or a literal that fitted in memory (<see cref="IsBinary"/>: sent as a literal8, RFC 3516).</summary>
public sealed record ImapString(byte[] Bytes, bool IsLiteral, bool IsBinary = false) : ImapValue
{
    public override string AsText() => Encoding.UTF8.GetString(Bytes);
}

/// <summary>A literal too large for memory (APPEND): its bytes were spooled to a file the command owns.</summary>
public sealed record ImapFileLiteral(LiteralFile File, bool IsBinary = false) : ImapValue;

/// <summary>A parenthesized list.</summary>
public sealed record ImapList(IReadOnlyList<ImapValue> Items) : ImapValue;

/// <summary>A spooled literal: a temporary file deleted when the command is done.</summary>
public sealed class LiteralFile : IDisposable
{
    public LiteralFile(string path, long length)
    {
        Path = path;
        Length = length;
    }

    public string Path { get; }

    public long Length { get; }

    public Stream Open() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
