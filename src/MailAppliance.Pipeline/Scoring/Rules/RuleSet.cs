namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// Rules with their scores and descriptions, ready to run: the built-in set with the admin's file over it (a rule or
/// score of the same name replaces the built-in one). Meta rules come after the rules they read.
/// </summary>
public sealed class RuleSet
{
    public const double DefaultScore = 1.0;

    internal RuleSet(IReadOnlyList<Rule> rules, IReadOnlyDictionary<string, double> scores, IReadOnlyDictionary<string, string> descriptions)
    {
        Rules = rules;
        Scores = scores;
        Descriptions = descriptions;
    }

    public static RuleSet Empty { get; } = new([], new Dictionary<string, double>(), new Dictionary<string, string>());

    /// <summary>Non-meta rules in file order, then meta rules ordered so each comes after what it reads.</summary>
    public IReadOnlyList<Rule> Rules { get; }

    /// <summary>Scores by symbol name (also for symbols no rule makes: network checks, the classifier).</summary>
    public IReadOnlyDictionary<string, double> Scores { get; }

    public IReadOnlyDictionary<string, string> Descriptions { get; }

    /// <summary>The score of a rule: its <c>score</c> line, 1.0 without one, 0 for sub-rules.</summary>
    public double ScoreOf(string name) =>
        Scores.TryGetValue(name, out var score) ? score : name.StartsWith("__", StringComparison.Ordinal) ? 0 : DefaultScore;

    /// <summary>The score of a symbol made by a check, <paramref name="fallback"/> when no <c>score</c> line names it.</summary>
    public double ScoreOf(string name, double fallback) => Scores.TryGetValue(name, out var score) ? score : fallback;
}
