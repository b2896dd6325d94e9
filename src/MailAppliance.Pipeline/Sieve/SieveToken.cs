namespace MailAppliance.Pipeline.Sieve;

/// <summary>Kinds of lexical token (RFC 5228 §8.1).</summary>
public enum SieveTokenKind
{
    Identifier,
    Tag,
    Number,
    String,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    Comma,
    Semicolon,
    End,
}

/// <summary>
/// One token: its kind, where it starts, and its value (identifier or tag name without the colon, the decoded
/// string, or the number with its K/M/G quantifier applied).
/// </summary>
public readonly record struct SieveToken(SieveTokenKind Kind, SievePosition Position, string Text, long Number = 0)
{
    public override string ToString() => Kind switch
    {
        SieveTokenKind.Identifier => $"identifier '{Text}'",
        SieveTokenKind.Tag => $"tag ':{Text}'",
        SieveTokenKind.Number => $"number {Number}",
        SieveTokenKind.String => "string",
        SieveTokenKind.End => "end of script",
        _ => $"'{Text}'",
    };
}
