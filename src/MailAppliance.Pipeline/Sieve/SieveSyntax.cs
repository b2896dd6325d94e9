namespace MailAppliance.Pipeline.Sieve;

/// <summary>An argument as written (RFC 5228 §2.6): a string list, a number or a tag.</summary>
public abstract record SieveArgument(SievePosition Position);

/// <summary>A string or a bracketed string list; a single string is a list of one.</summary>
public sealed record SieveStringListArgument(SievePosition Position, IReadOnlyList<string> Values, bool IsList) : SieveArgument(Position);

public sealed record SieveNumberArgument(SievePosition Position, long Value) : SieveArgument(Position);

public sealed record SieveTagArgument(SievePosition Position, string Name) : SieveArgument(Position);

/// <summary>
/// A command or a test as parsed, before validation: its identifier, arguments, tests (one test, or a test list in
/// parentheses) and, for a command, its block.
/// </summary>
public sealed record SieveSyntaxNode(
    SievePosition Position,
    string Identifier,
    IReadOnlyList<SieveArgument> Arguments,
    IReadOnlyList<SieveSyntaxNode> Tests,
    bool HasTestList,
    IReadOnlyList<SieveSyntaxNode>? Block);
