namespace MailAppliance.Imap.Protocol;

/// <summary>
/// A command as received: the tag, the command name (upper case; <c>UID FETCH</c> etc. joined with a space) and
/// its arguments. Literal files it holds are deleted when it is disposed.
/// </summary>
public sealed class ImapCommand : IDisposable
{
    public ImapCommand(string tag, string name, IReadOnlyList<ImapValue> arguments, IReadOnlyList<LiteralFile> files)
    {
        Tag = tag;
        Name = name;
        Arguments = arguments;
        Files = files;
    }

    public string Tag { get; }

    public string Name { get; }

    public IReadOnlyList<ImapValue> Arguments { get; }

    public IReadOnlyList<LiteralFile> Files { get; }

    /// <summary>Whether this is a UID command (RFC 3501 §6.4.8): sequence sets are UIDs and expunges may be sent.</summary>
    public bool IsUid => Name.StartsWith("UID ", StringComparison.Ordinal);

    public void Dispose()
    {
        foreach (var file in Files)
        {
            file.Dispose();
        }
    }
}

/// <summary>A piece of a command on the wire: the text of a line (without CRLF and literal marker) or a literal.</summary>
public abstract record CommandSegment;

public sealed record TextSegment(byte[] Text) : CommandSegment;

public sealed record LiteralSegment(ImapValue Value) : CommandSegment;
