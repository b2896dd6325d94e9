using System.Text;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Mime.Tests.Oracle;

/// <summary>
/// Compares RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE and every section of every corpus message with Dovecot's
/// answers. Intentional differences are listed in Messages/oracle-differences.txt (and docs/mime.md); a listed
/// difference that no longer occurs fails too, so the list stays true.
/// </summary>
public sealed class OracleComparisonTests
{
    [Fact]
    public void Corpus_matches_dovecot()
    {
        var names = TestMessages.Names.ToList();
        Assert.NotEmpty(names);
        var raws = names.Select(TestMessages.Load).ToList();
        // Every corpus message also with the other line-end convention (Dovecot maildirs use bare LF).
        foreach (var i in Enumerable.Range(0, names.Count))
        {
            var text = raws[i];
            var hasCrlf = text.AsSpan().IndexOf("\r\n"u8) >= 0;
            names.Add(names[i] + (hasCrlf ? "#lf" : "#crlf"));
            raws.Add(hasCrlf ? ToLf(text) : ToCrlf(text));
        }

        // Messages our builder generates are checked too.
        foreach (var (name, raw) in BuiltMessages.All())
        {
            names.Add(name);
            raws.Add(raw);
        }

        var structures = raws.Select(r => MimeParser.Parse(r)).ToList();
        var sections = structures.Select(s => (IReadOnlyList<string>)SectionsOf(s, partials: true).ToList()).ToList();
        var oracle = DovecotOracle.Fetch(raws, sections);
        var expected = LoadDifferences();
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var compared = 0;
        for (var i = 0; i < names.Count; i++)
        {
            var ours = new Dictionary<string, byte[]>(StringComparer.Ordinal)
            {
                ["RFC822.SIZE"] = Encoding.ASCII.GetBytes(structures[i].CrlfLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ["ENVELOPE"] = ImapViews.Envelope(structures[i]),
                ["BODY"] = ImapViews.Body(structures[i]),
                ["BODYSTRUCTURE"] = ImapViews.BodyStructure(structures[i]),
            };
            foreach (var item in ours.Keys.ToList())
            {
                Compare(names[i], item, ours[item], oracle[i].GetValueOrDefault(item));
            }

            foreach (var section in sections[i])
            {
                var mine = Ours(raws[i], structures[i], section);
                var key = DovecotOracle.ResponseKey(section);
                var theirs = oracle[i].FirstOrDefault(kv => string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)).Value is { } v ? DovecotOracle.StringContent(v) ?? Array.Empty<byte>() : null;
                Compare(names[i], key, mine, theirs, raw: true);
            }
        }

        foreach (var e in expected.Keys.Where(k => !seen.Contains(k)))
        {
            failures.Add($"{e}: listed in oracle-differences.txt but now matches Dovecot; remove it");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(compared > names.Count * 12, $"only {compared} items compared");

        void Compare(string name, string item, byte[] mine, byte[]? theirs, bool raw = false)
        {
            compared++;
            var key = name + " " + item;
            var same = theirs is not null && mine.AsSpan().SequenceEqual(theirs);
            var hash = name.IndexOf('#', StringComparison.Ordinal);
            if (!expected.ContainsKey(key) && hash > 0 && expected.ContainsKey(name[..hash] + " " + item))
            {
                // A listed difference holds for both line-end variants of the message.
                if (!same)
                {
                    seen.Add(name[..hash] + " " + item);
                }

                return;
            }

            if (expected.ContainsKey(key))
            {
                if (!same)
                {
                    seen.Add(key);
                }

                return;
            }

            if (!same)
            {
                failures.Add($"{key}\n  ours:    {Show(mine)}\n  dovecot: {(theirs is null ? "<missing>" : Show(theirs))}");
            }
        }
    }

    /// <summary>Our bytes for a section, with an optional partial suffix "&lt;start.length&gt;" in CRLF terms.</summary>
    private static byte[] Ours(byte[] raw, MessageStructure s, string section)
    {
        var lt = section.IndexOf('<', StringComparison.Ordinal);
        var text = TestMessages.Section(raw, s, lt < 0 ? section : section[..lt]);
        var bytes = text == "<none>" ? Array.Empty<byte>() : Encoding.Latin1.GetBytes(text);
        if (lt < 0)
        {
            return bytes;
        }

        var range = section[(lt + 1)..^1].Split('.');
        var start = Math.Min(int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), bytes.Length);
        var length = Math.Min(int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture), bytes.Length - start);
        return bytes.AsSpan(start, length).ToArray();
    }

    private static byte[] ToLf(byte[] crlf)
    {
        var list = new List<byte>(crlf.Length);
        for (var i = 0; i < crlf.Length; i++)
        {
            if (!(crlf[i] == (byte)'\r' && i + 1 < crlf.Length && crlf[i + 1] == (byte)'\n'))
            {
                list.Add(crlf[i]);
            }
        }

        return list.ToArray();
    }

    private static byte[] ToCrlf(byte[] lf)
    {
        var list = new List<byte>(lf.Length + (lf.Length / 20));
        for (var i = 0; i < lf.Length; i++)
        {
            if (lf[i] == (byte)'\n' && (i == 0 || lf[i - 1] != (byte)'\r'))
            {
                list.Add((byte)'\r');
            }

            list.Add(lf[i]);
        }

        return list.ToArray();
    }

    private static string Show(byte[] b) => Encoding.Latin1.GetString(b).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The sections worth comparing for a structure: the whole, header fields, and every part's forms.</summary>
    internal static IEnumerable<string> SectionsOf(MessageStructure s, bool partials = false)
    {
        yield return string.Empty;
        yield return "HEADER";
        yield return "TEXT";
        yield return "HEADER.FIELDS (From Subject Content-Type)";
        yield return "HEADER.FIELDS.NOT (Subject Received)";
        if (partials)
        {
            yield return "<3.17>";
            yield return "TEXT<2.9>";
            yield return "1<1.4>";
        }
        foreach (var p in PartPaths(s.Root, string.Empty))
        {
            yield return p.Path;
            yield return p.Path + ".MIME";
            if (SectionResolver.IsImapMessage(p.Part))
            {
                yield return p.Path + ".HEADER";
                yield return p.Path + ".TEXT";
                yield return p.Path + ".HEADER.FIELDS (Subject)";
            }
        }
    }

    private static IEnumerable<(string Path, MessagePart Part)> PartPaths(MessagePart message, string prefix)
    {
        if (message.Kind != MimePartKind.Multipart)
        {
            var path = prefix + "1";
            yield return (path, message);
            if (SectionResolver.IsImapMessage(message))
            {
                foreach (var x in PartPaths(message.Message!, path + "."))
                {
                    yield return x;
                }
            }

            yield break;
        }

        for (var i = 0; i < message.Children.Count; i++)
        {
            var child = message.Children[i];
            var path = prefix + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return (path, child);
            if (child.Kind == MimePartKind.Multipart)
            {
                foreach (var x in PartPaths(child, path + ".").Skip(0))
                {
                    yield return x;
                }
            }
            else if (SectionResolver.IsImapMessage(child))
            {
                foreach (var x in PartPaths(child.Message!, path + "."))
                {
                    yield return x;
                }
            }
        }
    }

    private static Dictionary<string, string> LoadDifferences()
    {
        var path = Path.Combine(TestMessages.Directory, "oracle-differences.txt");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return result;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            // "<file> <ITEM> | reason"
            var bar = line.IndexOf('|', StringComparison.Ordinal);
            var key = (bar < 0 ? line : line[..bar]).Trim();
            result[key] = bar < 0 ? string.Empty : line[(bar + 1)..].Trim();
        }

        return result;
    }
}
