using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The content of a folder's dovecot-uidlist (Dovecot's maildir format documentation, "IMAP UID mapping").
/// Version 3 header: <c>3 V&lt;uidvalidity&gt; N&lt;next uid&gt; G&lt;mailbox guid&gt;</c> (field order free, other
/// fields allowed and preserved); then one <see cref="UidListRecord"/> per line, UIDs strictly ascending. Version 1
/// (<c>1 &lt;uidvalidity&gt; &lt;next uid&gt;</c>, lines <c>&lt;uid&gt; &lt;file name&gt;</c>) is read and written back as
/// version 3. Immutable: changes return a new value.
/// </summary>
public sealed class UidList
{
    public const int CurrentVersion = 3;

    private readonly UidListRecord[] _records;
    private Dictionary<string, UidListRecord>? _byBaseName;

    private UidList(int version, uint uidValidity, uint headerNextUid, string? mailboxGuid, string[] extraHeaderFields, UidListRecord[] records)
    {
        Version = version;
        UidValidity = uidValidity;
        HeaderNextUid = headerNextUid;
        MailboxGuid = mailboxGuid;
        ExtraHeaderFields = extraHeaderFields;
        _records = records;
    }

    /// <summary>The version the file was read in (3 or 1); <see cref="Format"/> always writes version 3.</summary>
    public int Version { get; }

    public uint UidValidity { get; }

    /// <summary>The header's <c>N</c> field as written. Dovecot appends lines without updating it, so it may lag.</summary>
    public uint HeaderNextUid { get; }

    /// <summary>The next UID to assign: max(N, last UID + 1).</summary>
    public uint NextUid => _records.Length == 0 ? Math.Max(HeaderNextUid, 1) : Math.Max(HeaderNextUid, _records[^1].Uid + 1);

    /// <summary>The header's <c>G</c> field: the mailbox GUID (32 hex digits), when present.</summary>
    public string? MailboxGuid { get; }

    /// <summary>Header fields other than V, N and G, kept verbatim.</summary>
    public IReadOnlyList<string> ExtraHeaderFields { get; }

    /// <summary>The records in ascending UID order.</summary>
    public IReadOnlyList<UidListRecord> Records => _records;

    /// <summary>A new, empty list. A missing GUID is generated (random 128 bits, as Dovecot's are unique).</summary>
    public static UidList Create(uint uidValidity, string? mailboxGuid = null, uint nextUid = 1)
    {
        ArgumentOutOfRangeException.ThrowIfZero(uidValidity);
        return new UidList(CurrentVersion, uidValidity, Math.Max(nextUid, 1), mailboxGuid ?? NewMailboxGuid(), [], []);
    }

    /// <summary>32 lower-case hex digits, the form of Dovecot's mailbox GUIDs.</summary>
    public static string NewMailboxGuid() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The record with this UID, or null.</summary>
    public UidListRecord? FindByUid(uint uid)
    {
        var low = 0;
        var high = _records.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var candidate = _records[middle].Uid;
            if (candidate == uid)
            {
                return _records[middle];
            }

            if (candidate < uid)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return null;
    }

    /// <summary>The record of a file's base name (the name without <c>:2,</c> info), or null.</summary>
    public UidListRecord? FindByBaseName(string baseName)
    {
        _byBaseName ??= _records.ToDictionary(r => r.BaseName, StringComparer.Ordinal);
        return _byBaseName.GetValueOrDefault(baseName);
    }

    /// <summary>The list with records added (merged in UID order). Conflict when a UID or base name is already present.</summary>
    public MaildirResult<UidList> WithRecords(IEnumerable<UidListRecord> added)
    {
        var merged = new SortedDictionary<uint, UidListRecord>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _records.Concat(added))
        {
            if (!merged.TryAdd(record.Uid, record))
            {
                return MaildirResult<UidList>.Fail(MaildirFailureKind.Conflict, $"UID {record.Uid} is already in the uidlist");
            }

            if (!names.Add(record.BaseName))
            {
                return MaildirResult<UidList>.Fail(MaildirFailureKind.Conflict, $"file '{record.BaseName}' is already in the uidlist");
            }
        }

        return MaildirResult<UidList>.Ok(new UidList(Version, UidValidity, HeaderNextUid, MailboxGuid, [.. ExtraHeaderFields], [.. merged.Values]));
    }

    /// <summary>
    /// The list without these UIDs (expunged). The header's N is raised to the old next UID first, so removing the
    /// highest UIDs never lets them be handed out again.
    /// </summary>
    public UidList WithoutUids(IEnumerable<uint> uids)
    {
        var removed = uids.ToHashSet();
        var kept = _records.Where(r => !removed.Contains(r.Uid)).ToArray();
        return new UidList(Version, UidValidity, NextUid, MailboxGuid, [.. ExtraHeaderFields], kept);
    }

    /// <summary>The list with the header's N raised to at least <paramref name="nextUid"/> (never lowered).</summary>
    public UidList WithNextUid(uint nextUid) =>
        new(Version, UidValidity, Math.Max(NextUid, nextUid), MailboxGuid, [.. ExtraHeaderFields], _records);

    /// <summary>The version 3 file content, N = <see cref="NextUid"/>, each line LF-terminated.</summary>
    public string Format()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{CurrentVersion} V{UidValidity} N{NextUid}");
        if (MailboxGuid is not null)
        {
            builder.Append(" G").Append(MailboxGuid);
        }

        foreach (var field in ExtraHeaderFields)
        {
            builder.Append(' ').Append(field);
        }

        builder.Append('\n');
        foreach (var record in _records)
        {
            builder.Append(record.Format()).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>
    /// Parses the file content. InvalidFormat for an unknown version, a header without UIDVALIDITY, a malformed
    /// record, UIDs not strictly ascending, or a file name listed twice (Dovecot treats all of these as corruption
    /// and rebuilds). An unterminated last line (an append cut short by a crash) is ignored.
    /// </summary>
    public static MaildirResult<UidList> Parse(string text)
    {
        // Every line Dovecot (or we) write ends with LF: a last line without one is a torn append and is ignored.
        var lines = text.Split('\n');
        var complete = lines.Length - 1;
        if (complete == 0)
        {
            return Invalid(text.Length == 0 ? "empty file" : "truncated header");
        }

        var header = UidListHeader.Parse(lines[0]);
        if (!header.Succeeded)
        {
            return MaildirResult<UidList>.Fail(header.Failure);
        }

        var (version, uidValidity, nextUid, guid, extra) = header.Value;
        var records = new List<UidListRecord>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < complete; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var record = version == 1 ? UidListHeader.ParseVersion1Record(line) : UidListHeader.ParseVersion3Record(line);
            if (record is null)
            {
                return Invalid($"malformed line {i + 1}: '{line}'");
            }

            if (records.Count > 0 && record.Uid <= records[^1].Uid)
            {
                return Invalid($"UIDs not ascending at line {i + 1} ({record.Uid} after {records[^1].Uid})");
            }

            if (!names.Add(record.BaseName))
            {
                return Invalid($"file listed twice at line {i + 1}: '{record.BaseName}'");
            }

            records.Add(record);
        }

        return MaildirResult<UidList>.Ok(new UidList(version, uidValidity, nextUid, guid, extra, [.. records]));
    }

    private static MaildirResult<UidList> Invalid(string reason) =>
        MaildirResult<UidList>.Fail(MaildirFailureKind.InvalidFormat, "dovecot-uidlist: " + reason);
}
