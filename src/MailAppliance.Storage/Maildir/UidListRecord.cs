using System.Globalization;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// One message line of dovecot-uidlist: <c>&lt;uid&gt; [&lt;key&gt;&lt;value&gt; ...] :&lt;base name&gt;</c>. Extension
/// fields are a key letter and a value (Dovecot writes e.g. <c>S</c> size, <c>W</c> virtual size, <c>M</c> save
/// time, <c>G</c> message GUID); they are kept verbatim, in order, so a rewrite preserves ones we do not know.
/// </summary>
public sealed record UidListRecord
{
    public UidListRecord(uint uid, string baseName, IReadOnlyList<string>? extensionFields = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(uid);
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        if (baseName.AsSpan().IndexOfAny(":\r\n/\0") >= 0)
        {
            throw new ArgumentException($"not a Maildir base name: '{baseName}'", nameof(baseName));
        }

        foreach (var field in extensionFields ?? [])
        {
            if (field.Length == 0 || field[0] == ':' || field.AsSpan().IndexOfAny(" \t\r\n") >= 0)
            {
                throw new ArgumentException($"invalid extension field: '{field}'", nameof(extensionFields));
            }
        }

        Uid = uid;
        BaseName = baseName;
        ExtensionFields = extensionFields?.ToArray() ?? [];
    }

    public uint Uid { get; }

    /// <summary>The file name without its <c>:2,</c> info (including <c>,S=</c>/<c>,W=</c> fields).</summary>
    public string BaseName { get; }

    /// <summary>The raw extension fields (<c>W20</c>, <c>G…</c>), in file order.</summary>
    public IReadOnlyList<string> ExtensionFields { get; }

    /// <summary>The value of extension field <paramref name="key"/>, or null.</summary>
    public string? GetExtension(char key) =>
        ExtensionFields.FirstOrDefault(f => f[0] == key) is { } field ? field[1..] : null;

    /// <summary>The <c>W</c> field (size with CRLF line ends), when present.</summary>
    public long? VirtualSize => ParseLong(GetExtension('W'));

    /// <summary>The <c>S</c> field (file size), when present.</summary>
    public long? Size => ParseLong(GetExtension('S'));

    /// <summary>The <c>G</c> field (message GUID), when present.</summary>
    public string? Guid => GetExtension('G');

    public bool Equals(UidListRecord? other) =>
        other is not null && Uid == other.Uid && BaseName == other.BaseName && ExtensionFields.SequenceEqual(other.ExtensionFields);

    public override int GetHashCode() => HashCode.Combine(Uid, BaseName);

    /// <summary>The version 3 line, without the line feed.</summary>
    public string Format() =>
        ExtensionFields.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{Uid} :{BaseName}")
            : string.Create(CultureInfo.InvariantCulture, $"{Uid} {string.Join(' ', ExtensionFields)} :{BaseName}");

    private static long? ParseLong(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
}
