using MailAppliance.Storage.Spool;

namespace MailAppliance.Pipeline.Stages;

/// <summary>What a check wishes for the transaction.</summary>
public enum CheckAction
{
    /// <summary>No objection (the usual answer: symbols and scores say the rest).</summary>
    Accept,

    /// <summary>Answer 4xx: the sender should try again later.</summary>
    TempFail,

    /// <summary>Answer 5xx.</summary>
    Reject,
}

/// <summary>
/// A check's answer: symbols with scores, header fields to add, and an accept / tempfail / reject wish with the reply
/// text to give (the SMTP code and enhanced code come from the stage's catalogue). A check that fails or runs out of
/// time is a zero-score <c>NAME_TEMPERROR</c> symbol: never an exception, never a lost message.
/// </summary>
public sealed record CheckResult
{
    public static CheckResult Nothing { get; } = new();

    public IReadOnlyList<VerdictSymbol> Symbols { get; init; } = [];

    /// <summary>Complete header fields (CRLF-folded, no final CRLF) to add on delivery.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    /// <summary>Per envelope recipient: their own score, Junk or not, and X-Spam-* fields (the spam check's).</summary>
    public IReadOnlyList<RecipientVerdict> Recipients { get; init; } = [];

    /// <summary>Ranges of the message not to deliver (header fields that arrived claiming to be ours).</summary>
    public IReadOnlyList<MessageRange> Removed { get; init; } = [];

    public CheckAction Action { get; init; } = CheckAction.Accept;

    /// <summary>The reason given with a tempfail or reject (human text, no code).</summary>
    public string? Reason { get; init; }

    /// <summary>The SMTP code of a reject when the stage's usual one does not fit (554 for a virus at DATA).</summary>
    public int? Code { get; init; }

    /// <summary>The enhanced status code of a reject when the stage's usual one does not fit (5.4.6 for a loop).</summary>
    public string? EnhancedCode { get; init; }

    public static CheckResult Symbol(string name, double score) => new() { Symbols = [new VerdictSymbol(name, score)] };

    public static CheckResult Rejected(string reason, params VerdictSymbol[] symbols) => new() { Action = CheckAction.Reject, Reason = reason, Symbols = symbols };

    public static CheckResult TemporaryFailure(string reason, params VerdictSymbol[] symbols) => new() { Action = CheckAction.TempFail, Reason = reason, Symbols = symbols };
}
