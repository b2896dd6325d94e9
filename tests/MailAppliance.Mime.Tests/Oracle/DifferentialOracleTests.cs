using System.Text;
using MailAppliance.Mime.Imap;
using MailAppliance.Mime.Tests.Properties;

namespace MailAppliance.Mime.Tests.Oracle;

/// <summary>
/// Differential test: deterministic MIME-shaped random messages (boundaries, nesting, missing lines, bare CR/LF)
/// go through Dovecot and through us; sizes, BODY, BODYSTRUCTURE and every section must agree. ENVELOPE is left out
/// (broken address lists differ by design, see docs/mime.md). MIME_ORACLE_FUZZ=N runs N messages (default 150).
/// </summary>
public sealed class DifferentialOracleTests
{
    // Seeds of the default run that differ on purpose (docs/mime.md), with the reason. Each must still differ.
    private static readonly IReadOnlyDictionary<int, string> KnownDifferences = new Dictionary<int, string>
    {
        [42] = "Content-Type with a folded continuation after the subtype: Dovecot shows \"\" \"\", we keep the type",
        [75] = "same, for an embedded message's Content-Type",
        [109] = "same",
        [117] = "same",
        [54] = "embedded message whose header starts with a continuation line inside multipart/digest: Dovecot does not end that header at the digest's close delimiter",
    };

    [Fact]
    public void Random_mime_shaped_messages_match_dovecot()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("MIME_ORACLE_FUZZ"), out var n) && n > 0 ? n : 150;
        // MIME_ORACLE_FUZZ_BARE_CR=1 also uses lone CRs as line ends (exploratory: known to differ, see docs).
        var bareCr = Environment.GetEnvironmentVariable("MIME_ORACLE_FUZZ_BARE_CR") == "1";
        var raws = Enumerable.Range(1, count).Select(seed => MessageGenerators.MimeLikeFromSeed(seed, bareCr)).ToList();
        var structures = raws.Select(r => MimeParser.Parse(r)).ToList();
        var sections = structures.Select(s => (IReadOnlyList<string>)OracleComparisonTests.SectionsOf(s).ToList()).ToList();
        var oracle = DovecotOracle.Fetch(raws, sections);
        var failures = new List<string>();
        var known = new Dictionary<int, string>(KnownDifferences);
        for (var i = 0; i < raws.Count; i++)
        {
            var items = new Dictionary<string, byte[]>
            {
                ["RFC822.SIZE"] = Encoding.ASCII.GetBytes(structures[i].CrlfLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ["BODY"] = ImapViews.Body(structures[i]),
                ["BODYSTRUCTURE"] = ImapViews.BodyStructure(structures[i]),
            };
            foreach (var section in sections[i])
            {
                var text = TestMessages.Section(raws[i], structures[i], section);
                items["BODY[" + section + "]"] = text == "<none>" ? Array.Empty<byte>() : Encoding.Latin1.GetBytes(text);
            }

            foreach (var (key, mine) in items)
            {
                var theirs = oracle[i].FirstOrDefault(kv => string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
                if (theirs is not null && key.StartsWith("BODY[", StringComparison.Ordinal))
                {
                    theirs = DovecotOracle.StringContent(theirs) ?? Array.Empty<byte>();
                }

                if (theirs is null || !mine.AsSpan().SequenceEqual(theirs))
                {
                    if (known.Remove(i + 1))
                    {
                        break;
                    }

                    failures.Add($"seed {i + 1} {key}\n  ours:    {Show(mine)}\n  dovecot: {(theirs is null ? "<missing>" : Show(theirs))}\n  message: {Show(raws[i])}");
                    break;
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {raws.Count} differ:\n" + string.Join("\n", failures.Take(8)));
        if (count >= 150 && !bareCr)
        {
            Assert.True(known.Count == 0, "listed but now matching Dovecot: " + string.Join(", ", known.Keys));
        }
    }

    private static string Show(byte[] b) => Encoding.Latin1.GetString(b).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
