using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace MailAppliance.Mime.Tests.Properties;

/// <summary>Generators of MIME-shaped byte sequences: lines drawn from headers, boundaries and noise.</summary>
internal static class MessageGenerators
{
    private static readonly string[] Fragments =
    {
        "Content-Type: multipart/mixed; boundary=b",
        "Content-Type: multipart/alternative; boundary=\"c\"",
        "Content-Type: multipart/digest; boundary=b",
        "Content-Type: message/rfc822",
        "Content-Type: message/global",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset*=utf-8''%E2%82%AC",
        "Content-Type:",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Disposition: attachment; filename*0*=utf-8''a%20; filename*1=b.txt",
        "Subject: =?utf-8?B?w6k=?= =?bogus?q?x?=",
        "From: \"A\" <a@b.c>, group:;, <@r:x@y>, broken@",
        "To: undisclosed-recipients:;",
        "Date: Thu, 13 Feb 1969 23:32:54 -0330",
        "Message-ID: <x@y>",
        " folded continuation",
        "\tfolded tab",
        "--b",
        "--b--",
        "--c",
        "--c--",
        "--",
        string.Empty,
        string.Empty,
        "body text line",
        "SGVsbG8gd29ybGQ=",
        "caf=C3=A9=",
        "no colon header line",
        ": empty name",
        "\0\0nul",
        "\u00e9\u00ff 8bit",
    };

    private static readonly string[] LineEnds = { "\r\n", "\r\n", "\n", "\r", string.Empty };

    /// <summary>A message assembled from fragments with assorted line ends.</summary>
    public static Gen<byte[]> MimeLike =>
        Gen.Elements(Fragments).SelectMany(f => Gen.Elements(LineEnds).Select(e => f + e))
            .ListOf()
            .Select(lines => Encoding.Latin1.GetBytes(string.Concat(lines)));

    /// <summary>A deterministic MIME-shaped message for a seed (used by the differential oracle run).</summary>
    public static byte[] MimeLikeFromSeed(int seed, bool bareCr = false)
    {
        // Only CRLF and LF line ends, no empty Content-Type and no broken address list: bare CRs inside header
        // values, unparseable types and broken addresses are documented differences from Dovecot (docs/mime.md).
        var random = new Random(seed);
        var fragments = Fragments.Where(f => f != "Content-Type:" && !f.StartsWith("From:", StringComparison.Ordinal)).ToArray();
        var sb = new StringBuilder();
        var lines = random.Next(1, 40);
        for (var i = 0; i < lines; i++)
        {
            sb.Append(fragments[random.Next(fragments.Length)]).Append(random.Next(bareCr ? 3 : 2) switch { 0 => "\r\n", 1 => "\n", _ => "\r" });
        }

        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    /// <summary>Arbitrary bytes, mostly short.</summary>
    public static Gen<byte[]> RandomBytes => ArbMap.Default.GeneratorFor<byte[]>();

    /// <summary>A corpus message with a few random edits (deletions, insertions, byte flips).</summary>
    public static Gen<byte[]> MutatedCorpus
    {
        get
        {
            var names = TestMessages.Names.ToArray();
            var edit = Gen.Zip(Gen.Zip(Gen.Choose(0, 3), Gen.Choose(0, int.MaxValue)), Gen.Elements(Fragments), (ks, f) => (ks.Item1, ks.Item2, f));
            return Gen.Elements(names).SelectMany(n => edit.ListOf().Select(edits => Mutate(TestMessages.Load(n), edits)));
        }
    }

    private static byte[] Mutate(byte[] original, IEnumerable<(int Kind, int Seed, string Fragment)> edits)
    {
        var bytes = new List<byte>(original);
        foreach (var (kind, seed, fragment) in edits)
        {
            if (bytes.Count == 0)
            {
                bytes.AddRange(Encoding.Latin1.GetBytes(fragment));
                continue;
            }

            var at = seed % bytes.Count;
            switch (kind)
            {
                case 0:
                    bytes.RemoveRange(at, Math.Min(1 + (seed % 37), bytes.Count - at));
                    break;
                case 1:
                    bytes.InsertRange(at, Encoding.Latin1.GetBytes(fragment + "\n"));
                    break;
                case 2:
                    bytes[at] = (byte)(seed >> 8);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at); // truncation
                    break;
            }
        }

        return bytes.ToArray();
    }
}
