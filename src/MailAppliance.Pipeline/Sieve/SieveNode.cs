namespace MailAppliance.Pipeline.Sieve;

/// <summary>A string of the script as compiled: encoded characters already decoded, and whether it names
/// variables (RFC 5229 §3) that must be substituted each time it is used.</summary>
public sealed record SieveString(string Text, bool HasVariables);

/// <summary>How a test compares (RFC 5228 §2.7): match type, comparator and, for :value/:count, the relation.</summary>
public enum SieveMatchType
{
    Is,
    Contains,
    Matches,
    Regex,
    Value,
    Count,
}

/// <summary>Which part of an address a test looks at (RFC 5228 §2.7.4, RFC 5233 §4).</summary>
public enum SieveAddressPart
{
    All,
    LocalPart,
    Domain,
    User,
    Detail,
}

/// <summary>The comparison of one test, resolved at compile time.</summary>
public sealed record SieveMatchSpec(SieveMatchType Type, string Comparator, string? Relation)
{
    public static SieveMatchSpec Default { get; } = new(SieveMatchType.Is, "i;ascii-casemap", null);
}

/// <summary>
/// One command or test of a compiled script: validated against its <see cref="SieveCommandSpec"/>, tags resolved,
/// strings prepared. Immutable, so one compiled script serves any number of concurrent runs.
/// </summary>
public sealed class SieveNode
{
    internal SieveNode(SieveCommandSpec spec, SievePosition position)
    {
        Spec = spec;
        Position = position;
    }

    public SieveCommandSpec Spec { get; }

    public string Name => Spec.Name;

    public SievePosition Position { get; }

    /// <summary>Tags given (lower-case name without ':'), with their parameter when they take one.</summary>
    public Dictionary<string, object?> Tags { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Positional arguments: <see cref="IReadOnlyList{SieveString}"/> for strings, <see cref="long"/> for numbers.</summary>
    public List<object> Positional { get; } = [];

    public List<SieveNode> Tests { get; } = [];

    public List<SieveNode>? Block { get; internal set; }

    public SieveMatchSpec Match { get; internal set; } = SieveMatchSpec.Default;

    public SieveAddressPart AddressPart { get; internal set; }

    public bool Has(string tag) => Tags.ContainsKey(tag);

    public IReadOnlyList<SieveString> StringsAt(int index) => (IReadOnlyList<SieveString>)Positional[index];

    public SieveString StringAt(int index) => StringsAt(index)[0];

    public long NumberAt(int index) => (long)Positional[index];

    public SieveString? TagString(string tag) => Tags.TryGetValue(tag, out var v) && v is IReadOnlyList<SieveString> l ? l[0] : null;

    public IReadOnlyList<SieveString>? TagStrings(string tag) => Tags.TryGetValue(tag, out var v) ? v as IReadOnlyList<SieveString> : null;

    public long? TagNumber(string tag) => Tags.TryGetValue(tag, out var v) && v is long n ? n : null;
}
