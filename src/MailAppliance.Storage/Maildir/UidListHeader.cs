using System.Globalization;

namespace MailAppliance.Storage.Maildir;

/// <summary>Line-level parsing of dovecot-uidlist (header and records of versions 1 and 3).</summary>
internal static class UidListHeader
{
    public static MaildirResult<(int Version, uint UidValidity, uint NextUid, string? Guid, string[] Extra)> Parse(string line)
    {
        var fields = line.TrimEnd('\r').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return Invalid("no version number");
        }

        if (version == 1)
        {
            // Version 1 (Dovecot v1.0, courierimapuiddb-like): "1 <uidvalidity> <next uid>".
            if (fields.Length < 3 || !TryUInt(fields[1], out var v1Validity) || !TryUInt(fields[2], out var v1Next) || v1Validity == 0)
            {
                return Invalid("malformed version 1 header");
            }

            return MaildirResult<(int, uint, uint, string?, string[])>.Ok((1, v1Validity, v1Next, null, []));
        }

        if (version != UidList.CurrentVersion)
        {
            return Invalid($"unsupported version {version}");
        }

        uint uidValidity = 0;
        uint nextUid = 1;
        string? guid = null;
        var extra = new List<string>();
        foreach (var field in fields.Skip(1))
        {
            switch (field[0])
            {
                case 'V' when TryUInt(field[1..], out var v):
                    uidValidity = v;
                    break;
                case 'N' when TryUInt(field[1..], out var n):
                    nextUid = n;
                    break;
                case 'G' when field.Length > 1:
                    guid = field[1..];
                    break;
                default:
                    extra.Add(field);
                    break;
            }
        }

        if (uidValidity == 0)
        {
            return Invalid("header without UIDVALIDITY");
        }

        return MaildirResult<(int, uint, uint, string?, string[])>.Ok((version, uidValidity, nextUid, guid, [.. extra]));
    }

    /// <summary><c>&lt;uid&gt; [fields] :&lt;base name&gt;</c>; also accepts a bare last token as the name (no ':').</summary>
    public static UidListRecord? ParseVersion3Record(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !TryUInt(line[..space], out var uid) || uid == 0)
        {
            return null;
        }

        var fields = new List<string>();
        var rest = line[(space + 1)..];
        while (rest.Length > 0)
        {
            if (rest[0] == ':')
            {
                return MakeRecord(uid, rest[1..], fields);
            }

            var next = rest.IndexOf(' ', StringComparison.Ordinal);
            if (next < 0)
            {
                // No ':' marker: the last token is the file name.
                return MakeRecord(uid, rest, fields);
            }

            if (next > 0)
            {
                fields.Add(rest[..next]);
            }

            rest = rest[(next + 1)..];
        }

        return null;
    }

    /// <summary>Version 1: <c>&lt;uid&gt; &lt;file name&gt;</c> (an info suffix, if any, is dropped).</summary>
    public static UidListRecord? ParseVersion1Record(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !TryUInt(line[..space], out var uid) || uid == 0)
        {
            return null;
        }

        var name = line[(space + 1)..].Trim();
        var colon = name.IndexOf(MaildirFileName.InfoSeparator, StringComparison.Ordinal);
        return MakeRecord(uid, colon >= 0 ? name[..colon] : name, []);
    }

    private static UidListRecord? MakeRecord(uint uid, string baseName, List<string> fields)
    {
        // The record's own rules, checked here so a damaged file (a CR, a tab, an empty field) is a line we cannot
        // read, never an ArgumentException out of the parser (found by fuzzing the uidlist reader).
        if (baseName.Length == 0 || baseName.AsSpan().IndexOfAny(":\r\n/\0") >= 0
            || fields.Any(f => f.Length == 0 || f[0] == ':' || f.AsSpan().IndexOfAny(" \t\r\n") >= 0))
        {
            return null;
        }

        return new UidListRecord(uid, baseName, fields);
    }

    private static bool TryUInt(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static MaildirResult<(int, uint, uint, string?, string[])> Invalid(string reason) =>
        MaildirResult<(int, uint, uint, string?, string[])>.Fail(MaildirFailureKind.InvalidFormat, "dovecot-uidlist header: " + reason);
}
