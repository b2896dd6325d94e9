namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>A statistical model of one owner's (a user's, or the global) spam and ham, held in memory.</summary>
public interface IClassifierModel
{
    /// <summary>Messages learned as spam (net of unlearning).</summary>
    long SpamLearned { get; }

    /// <summary>Messages learned as ham (net of unlearning).</summary>
    long HamLearned { get; }

    /// <summary>The probability that a message with these features is spam; null while too few messages were learned.</summary>
    double? SpamProbability(ReadOnlySpan<ulong> features);

    /// <summary>Learns (or with <paramref name="unlearn"/> takes back) one message.</summary>
    void Learn(ReadOnlySpan<ulong> features, bool spam, bool unlearn = false);
}
