using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Storage.Spam;

namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>What the classifier said of a message.</summary>
/// <param name="SpamProbability">Null when neither the user's nor the global model has learned enough to be trusted.</param>
/// <param name="Owner">Whose model spoke: "" global, else the user's address key.</param>
public sealed record ClassifierVerdict(double? SpamProbability, string? Owner, long SpamLearned, long HamLearned);

/// <summary>
/// The statistical classifier as the scanner uses it: logistic regression over hashed typed features (chosen over
/// Bayes on OSB pairs by measurement, docs/spam.md), one model per user and one global, stored in PostgreSQL
/// (<see cref="ClassifierStore"/>) and cached in memory. A user's model speaks once it has learned
/// <see cref="MinimumLearned"/> spam and as many ham; until then the global one does, under the same rule; with
/// neither the classifier contributes nothing. A learn by any process is seen here within <see cref="RefreshInterval"/>.
/// </summary>
public sealed class SpamClassifier
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly ClassifierStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedModel> _models = new(StringComparer.Ordinal);

    public SpamClassifier(ClassifierStore store, TimeProvider time, int minimumLearned = 10)
    {
        _store = store;
        _time = time;
        MinimumLearned = minimumLearned;
    }

    public int MinimumLearned { get; }

    public async Task<ClassifierVerdict> ClassifyAsync(Lazy<ulong[]> features, string? userKey, CancellationToken cancellationToken)
    {
        foreach (var owner in userKey is null ? [""] : new[] { userKey.ToLowerInvariant(), "" })
        {
            var model = await FreshAsync(owner, cancellationToken);
            if (model.Owner.SpamLearned >= MinimumLearned && model.Owner.HamLearned >= MinimumLearned)
            {
                var p = LogisticModel.Predict(LogisticModel.DistinctBuckets(features.Value), b => model.Weights.TryGetValue(b, out var w) ? w : 0, model.Owner.Bias);
                return new ClassifierVerdict(p, owner, model.Owner.SpamLearned, model.Owner.HamLearned);
            }

            if (owner.Length == 0)
            {
                return new ClassifierVerdict(null, null, model.Owner.SpamLearned, model.Owner.HamLearned);
            }
        }

        return new ClassifierVerdict(null, null, 0, 0);
    }

    /// <summary>
    /// Learns a message as spam or ham for the user (when given) and for the global model. Learning the same
    /// message again as the same class changes nothing; as the other class, it is learned again.
    /// </summary>
    public async Task<LearnOutcome> LearnAsync(MessageContent content, bool spam, string? userKey, CancellationToken cancellationToken)
    {
        var features = Tokenizer.Features(content);
        var buckets = LogisticModel.DistinctBuckets(features);
        var digest = Digest(content);
        var outcome = LearnOutcome.AlreadyLearned;
        foreach (var owner in userKey is null ? [""] : new[] { userKey.ToLowerInvariant(), "" })
        {
            var result = await _store.LearnAsync(owner, digest, spam, buckets, state =>
            {
                var bias = state.Owner.Bias;
                var biasGradients = state.Owner.BiasGradients;
                var updated = LogisticModel.Step(buckets, spam,
                    b => state.Weights.TryGetValue(b, out var w) ? (w.Weight, w.Gradients) : default, ref bias, ref biasGradients);
                var spamLearned = state.Owner.SpamLearned + (spam ? 1 : 0) - (state.LearnedBefore == true ? 1 : 0);
                var hamLearned = state.Owner.HamLearned + (spam ? 0 : 1) - (state.LearnedBefore == false ? 1 : 0);
                return new ClassifierLearnUpdate(spamLearned, hamLearned, bias, biasGradients,
                    updated.Select(u => new ClassifierWeight(u.Bucket, u.Weight, u.Gradients)).ToList());
            }, cancellationToken);
            if (owner.Length > 0 || userKey is null)
            {
                outcome = result;
            }
        }

        return outcome;
    }

    /// <summary>The learned totals of an owner ("" global).</summary>
    public async Task<(long Spam, long Ham)> LearnedAsync(string owner, CancellationToken cancellationToken) =>
        await _store.OwnerAsync(owner, cancellationToken) is { } o ? (o.SpamLearned, o.HamLearned) : (0, 0);

    /// <summary>A message's identity for learning: its Message-ID and the start of its text, hashed.</summary>
    public static byte[] Digest(MessageContent content)
    {
        var id = content.Structure.Root.GetHeader("Message-ID")?.Value.Trim() ?? "";
        var text = content.BodyText.Length > 65536 ? content.BodyText[..65536] : content.BodyText;
        return SHA256.HashData(Encoding.UTF8.GetBytes(id + "\n" + content.Subject + "\n" + text));
    }

    private async Task<CachedModel> FreshAsync(string owner, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var model = _models.GetOrAdd(owner, o => new CachedModel(ClassifierOwner.Empty(o)));
        if (now - model.CheckedAt < RefreshInterval)
        {
            return model;
        }

        await model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (now - model.CheckedAt < RefreshInterval)
            {
                return model;
            }

            var seqs = await _store.SeqsAsync([owner], cancellationToken);
            var seq = seqs.GetValueOrDefault(owner);
            if (seq != model.Owner.Seq)
            {
                // Only the rows changed since the seq we hold; a seq that went back (the data was reset) reloads all.
                var reload = seq < model.Owner.Seq;
                var (state, weights) = await _store.ChangedSinceAsync(owner, reload ? 0 : model.Owner.Seq, cancellationToken);
                if (reload)
                {
                    model.Weights.Clear();
                }

                foreach (var (bucket, weight) in weights)
                {
                    model.Weights[bucket] = weight;
                }

                model.Owner = state;
            }

            model.CheckedAt = now;
            return model;
        }
        finally
        {
            model.Gate.Release();
        }
    }

    // Weights change in place while other scans read them: a scan may see a learn half applied, which only moves
    // its probability by part of one step.
    private sealed class CachedModel(ClassifierOwner owner)
    {
        private ClassifierOwner _owner = owner;

        public ClassifierOwner Owner
        {
            get => Volatile.Read(ref _owner);
            set => Volatile.Write(ref _owner, value);
        }

        public ConcurrentDictionary<int, float> Weights { get; } = new();

        public DateTimeOffset CheckedAt { get; set; } = DateTimeOffset.MinValue;

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
