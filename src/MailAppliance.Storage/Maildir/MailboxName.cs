using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// A mailbox name as the IMAP layer sees it: components separated by <c>/</c>, as .NET strings (already decoded
/// from the wire's modified UTF-7 or UTF-8). INBOX is case-insensitive (RFC 3501 §5.1) and canonicalised to
/// <c>INBOX</c>, also as the first component of a child (<c>inbox/x</c> → <c>INBOX/x</c>), as Dovecot does.
/// On disk (Maildir++, Dovecot's LAYOUT=maildir++) INBOX is the Maildir root and every other mailbox is the
/// directory <c>.</c> + components encoded in modified UTF-7 and joined with <c>.</c> (<c>Archive/2025</c> →
/// <c>.Archive.2025</c>). Because <c>.</c> is the on-disk separator, a component may not contain <c>.</c>: like
/// Dovecot with the maildir++ layout and a <c>/</c> separator ("Character not allowed in mailbox name: '.'"), such
/// names are refused rather than mapped. Invalid names are refused as values, never as exceptions.
/// </summary>
public sealed class MailboxName : IEquatable<MailboxName>
{
    /// <summary>The IMAP hierarchy separator we announce.</summary>
    public const char Separator = '/';

    /// <summary>The Maildir++ hierarchy separator on disk.</summary>
    public const char DiskSeparator = '.';

    private const string InboxName = "INBOX";

    // Linux NAME_MAX: a folder is one directory entry, so the whole ".A.B.C" must fit in 255 bytes.
    private const int MaxDirectoryNameBytes = 255;

    private readonly string[] _components;

    private MailboxName(string[] components)
    {
        _components = components;
        Name = string.Join(Separator, components);
    }

    /// <summary>INBOX: the Maildir root.</summary>
    public static MailboxName Inbox { get; } = new([InboxName]);

    /// <summary>The name with <c>/</c> separators (INBOX canonical upper case).</summary>
    public string Name { get; }

    public IReadOnlyList<string> Components => _components;

    public bool IsInbox => _components.Length == 1 && _components[0] == InboxName;

    /// <summary>The parent mailbox, or null for a top-level name.</summary>
    public MailboxName? Parent => _components.Length > 1 ? new MailboxName(_components[..^1]) : null;

    public override string ToString() => Name;

    /// <summary>Parses a <c>/</c>-separated name received over IMAP (after the protocol layer decoded it to a string).</summary>
    public static MaildirResult<MailboxName> FromImap(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return Refuse("empty mailbox name");
        }

        return FromComponents(name.Split(Separator));
    }

    /// <summary>Parses a <c>/</c>-separated name in modified UTF-7 (the IMAP4rev1 wire form).</summary>
    public static MaildirResult<MailboxName> FromModifiedUtf7(string encodedName)
    {
        var decoded = ModifiedUtf7.Decode(encodedName);
        return decoded.Succeeded ? FromImap(decoded.Value) : MaildirResult<MailboxName>.Fail(decoded.Failure);
    }

    /// <summary>Builds a name from its components, validating each one.</summary>
    public static MaildirResult<MailboxName> FromComponents(IReadOnlyList<string> components)
    {
        if (components.Count == 0)
        {
            return Refuse("empty mailbox name");
        }

        var canonical = components.ToArray();
        if (string.Equals(canonical[0], InboxName, StringComparison.OrdinalIgnoreCase))
        {
            canonical[0] = InboxName;
        }

        foreach (var component in canonical)
        {
            var problem = ComponentProblem(component);
            if (problem is not null)
            {
                return Refuse(problem);
            }
        }

        var name = new MailboxName(canonical);
        if (!name.IsInbox)
        {
            // Validates that the disk name fits (and that every component encodes).
            var directory = name.EncodeDirectoryName();
            if (!directory.Succeeded)
            {
                return MaildirResult<MailboxName>.Fail(directory.Failure);
            }
        }

        return MaildirResult<MailboxName>.Ok(name);
    }

    /// <summary>
    /// Decodes a folder directory name found in the Maildir root (<c>.Archive.2025</c>). Refused: names not starting
    /// with '.', empty components (<c>..x</c>, <c>.x.</c>), invalid or non-canonical modified UTF-7, control
    /// characters, <c>.INBOX</c> itself (INBOX is the root) and a first component that is INBOX in another case
    /// (it would not round-trip to the same directory).
    /// </summary>
    public static MaildirResult<MailboxName> FromFolderDirectoryName(string directoryName)
    {
        if (directoryName.Length < 2 || directoryName[0] != DiskSeparator)
        {
            return Refuse($"not a Maildir++ folder directory: '{directoryName}'");
        }

        var encodedComponents = directoryName[1..].Split(DiskSeparator);
        var components = new string[encodedComponents.Length];
        for (var i = 0; i < encodedComponents.Length; i++)
        {
            var decoded = ModifiedUtf7.Decode(encodedComponents[i]);
            if (!decoded.Succeeded)
            {
                return MaildirResult<MailboxName>.Fail(decoded.Failure);
            }

            // '/' would be our IMAP separator: a folder created by software using '.' as IMAP separator may hold it.
            if (decoded.Value.Contains(Separator, StringComparison.Ordinal))
            {
                return Refuse($"folder component contains '/': '{directoryName}'");
            }

            components[i] = decoded.Value;
        }

        if (string.Equals(components[0], InboxName, StringComparison.OrdinalIgnoreCase)
            && (components.Length == 1 || components[0] != InboxName))
        {
            return Refuse($"folder directory conflicts with INBOX: '{directoryName}'");
        }

        var name = FromComponents(components);
        if (name.Succeeded && name.Value.EncodeDirectoryName().Value != directoryName)
        {
            return Refuse($"non-canonical folder directory name: '{directoryName}'");
        }

        return name;
    }

    /// <summary>
    /// The folder directory name (<c>.A.B</c>, components in modified UTF-7), or the empty string for INBOX (the root).
    /// </summary>
    public string ToFolderDirectoryName() => IsInbox ? "" : EncodeDirectoryName().Value;

    /// <summary>The name in modified UTF-7 with <c>/</c> separators (IMAP4rev1 wire form, and Dovecot's subscriptions).</summary>
    public string ToModifiedUtf7() => string.Join(Separator, _components.Select(c => ModifiedUtf7.Encode(c).Value));

    /// <summary>The encoded components (modified UTF-7), e.g. for the TAB-separated subscriptions file.</summary>
    public IReadOnlyList<string> EncodedComponents => _components.Select(c => ModifiedUtf7.Encode(c).Value).ToArray();

    /// <summary>A child mailbox of this one.</summary>
    public MaildirResult<MailboxName> Child(string component) => FromComponents([.. _components, component]);

    /// <summary>True when this name is <paramref name="ancestor"/> or below it.</summary>
    public bool IsSelfOrDescendantOf(MailboxName ancestor) =>
        _components.Length >= ancestor._components.Length
        && ancestor._components.AsSpan().SequenceEqual(_components.AsSpan(0, ancestor._components.Length));

    public bool Equals(MailboxName? other) => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as MailboxName);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    private MaildirResult<string> EncodeDirectoryName()
    {
        var builder = new StringBuilder();
        foreach (var component in _components)
        {
            var encoded = ModifiedUtf7.Encode(component);
            if (!encoded.Succeeded)
            {
                return encoded;
            }

            builder.Append(DiskSeparator).Append(encoded.Value);
        }

        var directory = builder.ToString();
        if (Encoding.UTF8.GetByteCount(directory) > MaxDirectoryNameBytes)
        {
            return MaildirResult<string>.Fail(MaildirFailureKind.InvalidName, $"mailbox name too long for a folder directory ({MaxDirectoryNameBytes} bytes)");
        }

        return MaildirResult<string>.Ok(directory);
    }

    private static string? ComponentProblem(string component)
    {
        if (component.Length == 0)
        {
            return "empty hierarchy component (leading, trailing or doubled '/')";
        }

        foreach (var c in component)
        {
            // Control characters (C0, DEL, C1) have no business in names and could break line-based files.
            if (char.IsControl(c))
            {
                return "control character in mailbox name";
            }

            if (c == DiskSeparator)
            {
                // Also covers "." and ".." components: nothing can climb out of the Maildir root.
                return "character not allowed in mailbox name: '.' (the Maildir++ hierarchy separator)";
            }

            if (c == Separator)
            {
                return "'/' inside a hierarchy component";
            }
        }

        return null;
    }

    private static MaildirResult<MailboxName> Refuse(string reason) =>
        MaildirResult<MailboxName>.Fail(MaildirFailureKind.InvalidName, reason);
}
