namespace MailAppliance.Pipeline.Sieve;

/// <summary>What a positional argument or a tag's parameter must be.</summary>
public enum SieveArgKind
{
    /// <summary>A single string (a list of one is accepted, as Pigeonhole does).</summary>
    String,
    StringList,
    Number,
}

/// <summary>A tagged argument: its name (without ':'), its parameter if any, the group of tags it excludes, and
/// the extension that must be required for it.</summary>
public sealed record SieveTagSpec(string Name, SieveArgKind? Parameter = null, string? Group = null, string? Extension = null);

/// <summary>Whether a command takes a block, and how many tests it takes.</summary>
public enum SieveBlockRule
{
    None,
    Required,
}

/// <summary>The signature of one command or test: the table the compiler validates against.</summary>
public sealed record SieveCommandSpec(
    string Name,
    bool IsTest,
    string? Extension,
    IReadOnlyList<SieveTagSpec> Tags,
    IReadOnlyList<SieveArgKind> Positional,
    int OptionalPositional = 0,
    SieveBlockRule Block = SieveBlockRule.None,
    int MinTests = 0,
    int MaxTests = 0);

/// <summary>
/// Every command and test we know (RFC 5228 and the extensions in <see cref="SieveCapabilities"/>), one table.
/// </summary>
public static class SieveCommandSpecs
{
    private static readonly SieveTagSpec Comparator = new("comparator", SieveArgKind.String, "comparator");
    private static readonly SieveTagSpec[] MatchTypes =
    [
        new("is", Group: "match"),
        new("contains", Group: "match"),
        new("matches", Group: "match"),
        new("regex", Group: "match", Extension: "regex"),
        new("value", SieveArgKind.String, "match", "relational"),
        new("count", SieveArgKind.String, "match", "relational"),
    ];

    private static readonly SieveTagSpec[] AddressParts =
    [
        new("all", Group: "addresspart"),
        new("localpart", Group: "addresspart"),
        new("domain", Group: "addresspart"),
        new("user", Group: "addresspart", Extension: "subaddress"),
        new("detail", Group: "addresspart", Extension: "subaddress"),
    ];

    private static readonly SieveTagSpec[] Index =
    [
        new("index", SieveArgKind.Number, Extension: "index"),
        new("last", Extension: "index"),
    ];

    private static readonly SieveTagSpec[] Zone =
    [
        new("zone", SieveArgKind.String, "zone"),
        new("originalzone", Group: "zone"),
    ];

    private static readonly SieveTagSpec[] Match = [Comparator, .. MatchTypes];

    private static readonly SieveArgKind[] Nothing = [];

    private static SieveCommandSpec Cmd(string name, string? ext, SieveTagSpec[] tags, params SieveArgKind[] args) => new(name, false, ext, tags, args);

    private static SieveCommandSpec Test(string name, string? ext, SieveTagSpec[] tags, params SieveArgKind[] args) => new(name, true, ext, tags, args);

    public static IReadOnlyDictionary<string, SieveCommandSpec> Commands { get; } = new[]
    {
        // RFC 5228 §3: control commands.
        new SieveCommandSpec("require", false, null, [], [SieveArgKind.StringList]),
        new SieveCommandSpec("if", false, null, [], Nothing, Block: SieveBlockRule.Required, MinTests: 1, MaxTests: 1),
        new SieveCommandSpec("elsif", false, null, [], Nothing, Block: SieveBlockRule.Required, MinTests: 1, MaxTests: 1),
        new SieveCommandSpec("else", false, null, [], Nothing, Block: SieveBlockRule.Required),
        Cmd("stop", null, []),
        // RFC 5228 §4 actions, with :flags (RFC 5232 §5), :copy (RFC 3894), :create (RFC 5490 §3.2).
        Cmd("keep", null, [new("flags", SieveArgKind.StringList, Extension: "imap4flags")]),
        Cmd("discard", null, []),
        Cmd("redirect", null, [new("copy", Extension: "copy")], SieveArgKind.String),
        Cmd("fileinto", "fileinto", [new("flags", SieveArgKind.StringList, Extension: "imap4flags"), new("copy", Extension: "copy"), new("create", Extension: "mailbox")], SieveArgKind.String),
        Cmd("reject", "reject", [], SieveArgKind.String),
        Cmd("ereject", "ereject", [], SieveArgKind.String),
        // RFC 5232 §3.
        new SieveCommandSpec("setflag", false, "imap4flags", [], [SieveArgKind.String, SieveArgKind.StringList], OptionalPositional: 1),
        new SieveCommandSpec("addflag", false, "imap4flags", [], [SieveArgKind.String, SieveArgKind.StringList], OptionalPositional: 1),
        new SieveCommandSpec("removeflag", false, "imap4flags", [], [SieveArgKind.String, SieveArgKind.StringList], OptionalPositional: 1),
        // RFC 5229 §4.
        Cmd("set", "variables",
        [
            new("lower", Group: "case"), new("upper", Group: "case"), new("lowerfirst", Group: "casefirst"),
            new("upperfirst", Group: "casefirst"), new("quotewildcard"), new("quoteregex", Extension: "regex"),
            new("length"), new("encodeurl", Extension: "enotify"),
        ], SieveArgKind.String, SieveArgKind.String),
        // RFC 5230 §4, RFC 6131 §2.
        Cmd("vacation", "vacation",
        [
            new("days", SieveArgKind.Number, "period"), new("seconds", SieveArgKind.Number, "period", "vacation-seconds"),
            new("subject", SieveArgKind.String), new("from", SieveArgKind.String), new("addresses", SieveArgKind.StringList),
            new("mime"), new("handle", SieveArgKind.String),
        ], SieveArgKind.String),
        // RFC 6609 §3.
        Cmd("include", "include", [new("personal", Group: "location"), new("global", Group: "location"), new("once"), new("optional")], SieveArgKind.String),
        Cmd("return", "include", []),
        Cmd("global", "include", [], SieveArgKind.StringList),
        // RFC 5293 §4, §5.
        Cmd("addheader", "editheader", [new("last")], SieveArgKind.String, SieveArgKind.String),
        new SieveCommandSpec("deleteheader", false, "editheader", [.. Match, new("index", SieveArgKind.Number), new("last")],
            [SieveArgKind.String, SieveArgKind.StringList], OptionalPositional: 1),

        // RFC 5228 §5: tests.
        Test("address", null, [.. Match, .. AddressParts, .. Index], SieveArgKind.StringList, SieveArgKind.StringList),
        Test("envelope", "envelope", [.. Match, .. AddressParts], SieveArgKind.StringList, SieveArgKind.StringList),
        Test("header", null, [.. Match, .. Index], SieveArgKind.StringList, SieveArgKind.StringList),
        Test("exists", null, [], SieveArgKind.StringList),
        Test("size", null, [new("over", Group: "size"), new("under", Group: "size")], SieveArgKind.Number),
        new SieveCommandSpec("not", true, null, [], Nothing, MinTests: 1, MaxTests: 1),
        new SieveCommandSpec("anyof", true, null, [], Nothing, MinTests: 1, MaxTests: int.MaxValue),
        new SieveCommandSpec("allof", true, null, [], Nothing, MinTests: 1, MaxTests: int.MaxValue),
        Test("true", null, []),
        Test("false", null, []),
        // RFC 5173 §5.
        Test("body", "body", [.. Match, new("raw", Group: "transform"), new("content", SieveArgKind.StringList, "transform"), new("text", Group: "transform")], SieveArgKind.StringList),
        // RFC 5260 §4, §5.
        Test("date", "date", [.. Match, .. Zone, .. Index], SieveArgKind.String, SieveArgKind.String, SieveArgKind.StringList),
        Test("currentdate", "date", [.. Match, new("zone", SieveArgKind.String)], SieveArgKind.String, SieveArgKind.StringList),
        // RFC 5229 §5.
        Test("string", "variables", Match, SieveArgKind.StringList, SieveArgKind.StringList),
        // RFC 5232 §4.
        new SieveCommandSpec("hasflag", true, "imap4flags", Match, [SieveArgKind.StringList, SieveArgKind.StringList], OptionalPositional: 1),
        // RFC 5490 §3.1.
        Test("mailboxexists", "mailbox", [], SieveArgKind.StringList),
        // RFC 7352 §3.
        Test("duplicate", "duplicate",
        [
            new("handle", SieveArgKind.String), new("header", SieveArgKind.String, "id"), new("uniqueid", SieveArgKind.String, "id"),
            new("seconds", SieveArgKind.Number), new("last"),
        ]),
        // RFC 5235 §3.
        Test("spamtest", "spamtest", [.. Match, new("percent", Extension: "spamtestplus")], SieveArgKind.String),
        Test("virustest", "virustest", Match, SieveArgKind.String),
    }.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);
}
