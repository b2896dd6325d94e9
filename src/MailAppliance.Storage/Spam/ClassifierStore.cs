using Dapper;
using MailAppliance.Storage.Database;
using Npgsql;

namespace MailAppliance.Storage.Spam;

/// <summary>One classifier's totals and version: the owner is "" for the global classifier, else a user's address key.</summary>
public sealed record ClassifierOwner(string Owner, long SpamLearned, long HamLearned, double Bias, double BiasGradients, long Seq)
{
    public static ClassifierOwner Empty(string owner) => new(owner, 0, 0, 0, 0, 0);
}

/// <summary>A weight of the classifier (hashed feature bucket) with its accumulated squared gradients.</summary>
public readonly record struct ClassifierWeight(int Bucket, float Weight, float Gradients);

/// <summary>What a learn sees: the owner's state, how this message was learned before (null: never), and the current weights of its buckets.</summary>
public sealed record ClassifierLearnState(ClassifierOwner Owner, bool? LearnedBefore, IReadOnlyDictionary<int, ClassifierWeight> Weights);

/// <summary>What a learn writes: the new totals and bias, and the new values of the weights it changed.</summary>
public sealed record ClassifierLearnUpdate(long SpamLearned, long HamLearned, double Bias, double BiasGradients, IReadOnlyList<ClassifierWeight> Weights);

/// <summary>The outcome of one learn.</summary>
public enum LearnOutcome
{
    Learned,

    /// <summary>This owner had learned this message as this class already.</summary>
    AlreadyLearned,

    /// <summary>Learned as the other class before; now learned again as this one.</summary>
    Relearned,
}

/// <summary>
/// The classifiers' data in PostgreSQL (weights as rows, keyed by owner and bucket). Learning locks the owner row,
/// so learns of one owner run one after another and their seqs commit in order; reading is incremental by seq.
/// </summary>
public sealed class ClassifierStore(StorageDatabase database)
{
    private readonly NpgsqlDataSource db = database.Source;

    /// <summary>The seq of each owner that exists (an owner missing from the answer has learned nothing).</summary>
    public async Task<IReadOnlyDictionary<string, long>> SeqsAsync(IReadOnlyList<string> owners, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Owner, long Seq)>(new CommandDefinition(
            "SELECT owner, seq FROM spam_classifier_owners WHERE owner = ANY(@owners)", new { owners = owners.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Owner, r => r.Seq, StringComparer.Ordinal);
    }

    /// <summary>The owner's state and every weight changed after <paramref name="sinceSeq"/> (0: all of them).</summary>
    public async Task<(ClassifierOwner Owner, IReadOnlyList<(int Bucket, float Weight)> Weights)> ChangedSinceAsync(string owner, long sinceSeq, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var state = await connection.QuerySingleOrDefaultAsync<ClassifierOwner>(new CommandDefinition(
            "SELECT owner, spam_learned AS SpamLearned, ham_learned AS HamLearned, bias, bias_gradients AS BiasGradients, seq FROM spam_classifier_owners WHERE owner = @owner",
            new { owner }, transaction, cancellationToken: cancellationToken)) ?? ClassifierOwner.Empty(owner);
        var weights = new List<(int, float)>();
        await using (var command = new NpgsqlCommand("SELECT bucket, weight FROM spam_classifier_weights WHERE owner = $1 AND seq > $2", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = owner });
            command.Parameters.Add(new NpgsqlParameter { Value = sinceSeq });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                weights.Add((reader.GetInt32(0), reader.GetFloat(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (state, weights);
    }

    /// <summary>
    /// Learns one message for one owner in one transaction: <paramref name="compute"/> gets the owner's state, how the
    /// message was learned before and the current weights of <paramref name="buckets"/>, and returns what to write
    /// (null: nothing to do).
    /// </summary>
    public async Task<LearnOutcome> LearnAsync(string owner, byte[] digest, bool spam, IReadOnlyCollection<int> buckets,
        Func<ClassifierLearnState, ClassifierLearnUpdate?> compute, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO spam_classifier_owners (owner) VALUES (@owner) ON CONFLICT DO NOTHING", new { owner }, transaction, cancellationToken: cancellationToken));
        var state = await connection.QuerySingleAsync<ClassifierOwner>(new CommandDefinition(
            "SELECT owner, spam_learned AS SpamLearned, ham_learned AS HamLearned, bias, bias_gradients AS BiasGradients, seq FROM spam_classifier_owners WHERE owner = @owner FOR UPDATE",
            new { owner }, transaction, cancellationToken: cancellationToken));
        var before = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            "SELECT spam FROM spam_learned_messages WHERE owner = @owner AND digest = @digest", new { owner, digest }, transaction, cancellationToken: cancellationToken));
        if (before == spam)
        {
            await transaction.RollbackAsync(cancellationToken);
            return LearnOutcome.AlreadyLearned;
        }

        var current = new Dictionary<int, ClassifierWeight>();
        await using (var command = new NpgsqlCommand("SELECT bucket, weight, gradients FROM spam_classifier_weights WHERE owner = $1 AND bucket = ANY($2)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = owner });
            command.Parameters.Add(new NpgsqlParameter { Value = buckets.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                current[reader.GetInt32(0)] = new ClassifierWeight(reader.GetInt32(0), reader.GetFloat(1), reader.GetFloat(2));
            }
        }

        var update = compute(new ClassifierLearnState(state, before, current));
        if (update is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return LearnOutcome.AlreadyLearned;
        }

        var seq = state.Seq + 1;
        await using (var command = new NpgsqlCommand("""
            INSERT INTO spam_classifier_weights (owner, bucket, weight, gradients, seq)
            SELECT $1, b, w, g, $5 FROM unnest($2::integer[], $3::real[], $4::real[]) AS u (b, w, g)
            ON CONFLICT (owner, bucket) DO UPDATE SET weight = excluded.weight, gradients = excluded.gradients, seq = excluded.seq
            """, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = owner });
            command.Parameters.Add(new NpgsqlParameter { Value = update.Weights.Select(w => w.Bucket).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = update.Weights.Select(w => w.Weight).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = update.Weights.Select(w => w.Gradients).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = seq });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE spam_classifier_owners SET spam_learned = @spamLearned, ham_learned = @hamLearned, bias = @bias, bias_gradients = @biasGradients, seq = @seq
            WHERE owner = @owner;
            INSERT INTO spam_learned_messages (owner, digest, spam) VALUES (@owner, @digest, @spam)
            ON CONFLICT (owner, digest) DO UPDATE SET spam = excluded.spam, learned_at = now();
            """, new { owner, update.SpamLearned, update.HamLearned, update.Bias, update.BiasGradients, seq, digest, spam }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return before is null ? LearnOutcome.Learned : LearnOutcome.Relearned;
    }

    /// <summary>The owners that have learned anything, with their totals (for <c>spam show</c>).</summary>
    public async Task<ClassifierOwner?> OwnerAsync(string owner, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClassifierOwner>(new CommandDefinition(
            "SELECT owner, spam_learned AS SpamLearned, ham_learned AS HamLearned, bias, bias_gradients AS BiasGradients, seq FROM spam_classifier_owners WHERE owner = @owner",
            new { owner }, cancellationToken: cancellationToken));
    }
}
