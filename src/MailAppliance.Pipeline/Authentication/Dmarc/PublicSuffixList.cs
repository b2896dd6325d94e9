using System.Globalization;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// The Public Suffix List (publicsuffix.org's format: rules, <c>*.</c> wildcards, <c>!</c> exceptions) and the
/// organisational domain DMARC derives from it (RFC 7489 §3.2). Loaded from Debian's <c>publicsuffix</c> package
/// when installed, else from the copy built into this assembly. Rules are kept as A-labels.
/// </summary>
public sealed class PublicSuffixList
{
    public const string SystemPath = "/usr/share/publicsuffix/public_suffix_list.dat";

    private static readonly IdnMapping Idn = new();

    private readonly HashSet<string> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _exceptions = new(StringComparer.Ordinal);

    private PublicSuffixList(TextReader reader)
    {
        while (reader.ReadLine() is { } raw)
        {
            // Each line is one rule up to the first white space; "//" starts a comment.
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var rule = line.Split([' ', '\t'], 2)[0];
            if (rule.StartsWith('!'))
            {
                _exceptions.Add(Ascii(rule[1..]));
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcards.Add(Ascii(rule[2..]));
            }
            else
            {
                _rules.Add(Ascii(rule));
            }
        }
    }

    /// <summary>Where the list came from: the system file's path, or "built-in".</summary>
    public string Source { get; private init; } = "built-in";

    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>Debian's list when present, else the built-in copy.</summary>
    public static PublicSuffixList Load(string? path = SystemPath)
    {
        if (path is not null && File.Exists(path))
        {
            using var file = new StreamReader(path);
            return new PublicSuffixList(file) { Source = path };
        }

        return BuiltIn();
    }

    public static PublicSuffixList BuiltIn()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("public_suffix_list.dat")
            ?? throw new InvalidOperationException("the built-in public suffix list is missing from the assembly");
        using var reader = new StreamReader(stream);
        return new PublicSuffixList(reader);
    }

    public static PublicSuffixList Parse(string text) => new(new StringReader(text));

    /// <summary>The public suffix of <paramref name="domain"/> by the list's algorithm (the default rule is "*").</summary>
    public string PublicSuffix(string domain)
    {
        var labels = Normalize(domain).Split('.');
        // Walk from the longest candidate to the shortest; the first (longest) match wins, exceptions first.
        for (var i = 0; i < labels.Length; i++)
        {
            var candidate = string.Join('.', labels[i..]);
            if (_exceptions.Contains(candidate))
            {
                return string.Join('.', labels[(i + 1)..]);
            }

            if (_rules.Contains(candidate))
            {
                return candidate;
            }

            if (i + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(i + 1)..])))
            {
                return candidate;
            }
        }

        return labels[^1];
    }

    /// <summary>
    /// RFC 7489 §3.2: the public suffix plus one label. A domain that is itself a public suffix is its own
    /// organisational domain.
    /// </summary>
    public string OrganizationalDomain(string domain)
    {
        var name = Normalize(domain);
        var suffix = PublicSuffix(name);
        if (name.Length <= suffix.Length)
        {
            return name;
        }

        var rest = name[..(name.Length - suffix.Length - 1)];
        var dot = rest.LastIndexOf('.');
        return (dot < 0 ? rest : rest[(dot + 1)..]) + "." + suffix;
    }

    private static string Normalize(string domain) => Ascii(domain.Trim().TrimEnd('.'));

    private static string Ascii(string name)
    {
        var lower = name.ToLowerInvariant();
        if (System.Text.Ascii.IsValid(lower))
        {
            return lower;
        }

        try
        {
            return Idn.GetAscii(lower);
        }
        catch (ArgumentException)
        {
            return lower;
        }
    }
}
