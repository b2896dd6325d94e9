using System.Globalization;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Import.Maildir;

/// <summary>Courier-IMAP's <c>courierimapuiddb</c>: <c>1 UIDVALIDITY UIDNEXT</c>, then <c>UID FILENAME</c> a line.</summary>
public sealed record CourierUidDb(uint UidValidity, uint UidNext, Dictionary<string, uint> Uids)
{
    public const string FileName = "courierimapuiddb";

    public static CourierUidDb? Read(string folderPath)
    {
        var file = Path.Combine(folderPath, FileName);
        return File.Exists(file) ? Parse(File.ReadAllLines(file)) : null;
    }

    public static CourierUidDb? Parse(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return null;
        }

        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header.Length < 3 || header[0] != "1"
            || !uint.TryParse(header[1], NumberStyles.None, CultureInfo.InvariantCulture, out var validity) || validity == 0
            || !uint.TryParse(header[2], NumberStyles.None, CultureInfo.InvariantCulture, out var next))
        {
            return null;
        }

        var uids = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || !uint.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || uid == 0)
            {
                continue;
            }

            // The name may carry the info (":2,S") it had when the line was written: the base name is what stays.
            var name = line[(space + 1)..];
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            uids.TryAdd(colon >= 0 ? name[..colon] : name, uid);
            next = Math.Max(next, uid == uint.MaxValue ? uid : uid + 1);
        }

        return new CourierUidDb(validity, next, uids);
    }
}

/// <summary>
/// Courier-IMAP's keywords of a folder, <c>courierimapkeywords/</c>: <c>:list</c> names the keywords (one a line, up to
/// an empty line) and gives each message's as <c>BASENAME:N N</c>; a file named after a message's base name, or
/// <c>.N.BASENAME</c> (the highest N wins, a plain name beats them all), replaces them with the names it lists.
/// </summary>
public sealed class CourierKeywords
{
    public const string DirectoryName = "courierimapkeywords";

    private readonly Dictionary<string, IReadOnlyList<string>> _byBaseName;

    private CourierKeywords(Dictionary<string, IReadOnlyList<string>> byBaseName) => _byBaseName = byBaseName;

    public IReadOnlyList<string> Of(MaildirFileName name) => _byBaseName.TryGetValue(name.BaseName, out var keywords) ? keywords : [];

    public static CourierKeywords Read(string folderPath)
    {
        var byBaseName = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var directory = Path.Combine(folderPath, DirectoryName);
        if (!Directory.Exists(directory))
        {
            return new CourierKeywords(byBaseName);
        }

        var list = Path.Combine(directory, ":list");
        if (File.Exists(list))
        {
            var names = new List<string>();
            var inNames = true;
            foreach (var line in File.ReadAllLines(list))
            {
                if (inNames)
                {
                    if (line.Length == 0)
                    {
                        inNames = false;
                    }
                    else
                    {
                        names.Add(line);
                    }

                    continue;
                }

                var colon = line.LastIndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }

                var indexes = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < names.Count ? names[i] : null)
                    .OfType<string>().Distinct().ToList();
                byBaseName[line[..colon]] = indexes;
            }
        }

        // Updates written after :list: the newest per message wins.
        var updates = new Dictionary<string, (long Order, string File)>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var leaf = Path.GetFileName(file);
            if (leaf == ":list")
            {
                continue;
            }

            string baseName;
            long order;
            if (leaf.StartsWith('.') && leaf.IndexOf('.', 1) is var dot and > 1
                && long.TryParse(leaf.AsSpan(1, dot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                (baseName, order) = (leaf[(dot + 1)..], n);
            }
            else
            {
                (baseName, order) = (leaf, long.MaxValue);
            }

            if (!updates.TryGetValue(baseName, out var had) || order > had.Order)
            {
                updates[baseName] = (order, file);
            }
        }

        foreach (var (baseName, (_, file)) in updates)
        {
            byBaseName[baseName] = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct().ToList();
        }

        return new CourierKeywords(byBaseName);
    }
}
