using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>Where a rule looks (SpamAssassin's rule types).</summary>
public enum RuleKind
{
    /// <summary><c>header</c>: a header field, all of them (<c>ALL</c>), or whether one exists.</summary>
    Header,

    /// <summary><c>body</c>: the subject and the text a reader sees (HTML reduced to text).</summary>
    Body,

    /// <summary><c>rawbody</c>: text parts decoded, HTML as written.</summary>
    RawBody,

    /// <summary><c>uri</c>: each URI of the message.</summary>
    Uri,

    /// <summary><c>meta</c>: an expression over other rules.</summary>
    Meta,
}

/// <summary>How a header rule reads its field (<c>Name:addr</c>, <c>Name:name</c>, <c>Name:raw</c>).</summary>
public enum HeaderForm
{
    Decoded,
    Address,
    DisplayName,
    Raw,
}

/// <summary>One rule as written: its test; its score and description come from <c>score</c> and <c>describe</c> lines.</summary>
public sealed record Rule(string Name, RuleKind Kind, int Line, string Source)
{
    /// <summary>The pattern (header/body/rawbody/uri), null for exists:, eval: and meta rules.</summary>
    public Regex? Pattern { get; init; }

    /// <summary><c>!~</c>: the rule hits when the pattern does not match.</summary>
    public bool Negated { get; init; }

    /// <summary>Header rules: the field name, or ALL, ToCc, EnvelopeFrom.</summary>
    public string? Header { get; init; }

    public HeaderForm HeaderForm { get; init; }

    /// <summary><c>[if-unset: TEXT]</c>: the value matched when the field is absent.</summary>
    public string? IfUnset { get; init; }

    /// <summary><c>exists:Name</c>.</summary>
    public bool Exists { get; init; }

    /// <summary><c>eval:function(args)</c>: a built-in test.</summary>
    public EvalCall? Eval { get; init; }

    /// <summary>Meta rules: the parsed expression.</summary>
    public MetaExpression? Meta { get; init; }

    /// <summary>Sub-rules (<c>__NAME</c>) only feed meta rules: they score nothing and are not reported.</summary>
    public bool IsSubRule => Name.StartsWith("__", StringComparison.Ordinal);
}

/// <summary>A call of a built-in test with its (string) arguments.</summary>
public sealed record EvalCall(string Function, IReadOnlyList<string> Arguments);
