using System.Diagnostics;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using Npgsql;

namespace MailAppliance.Bench.Store;

internal sealed record ReconstructSettings(int Messages, string LocalPart, bool Breakdown, bool AgainWithIndex);

internal sealed record ReconstructFigures(
    string Verb, DateTimeOffset At, int ProcessorCount, int Messages, double PrepareSeconds, double Seconds, double MessagesPerSecond,
    double? ScanSeconds, double? ParseOnlySeconds, double? AgainWithIndexSeconds);

/// <summary>
/// Times the rebuild of one user's index from the tree alone. The INBOX is filled by writing message files
/// straight into <c>cur/</c> with a dovecot-uidlist naming them (as a restored backup or a tree moved from Dovecot
/// looks), then the user's index rows are dropped so that reconstruct has to parse every message.
/// </summary>
internal static class ReconstructBenchmark
{
    public static async Task<ReconstructFigures> RunAsync(BenchEnvironment environment, ReconstructSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var user = (await environment.EnsureUsersAsync([settings.LocalPart], cancellationToken))[0];
        var store = environment.NewStore();
        var root = store.RootOf(user);
        if (!Directory.Exists(root.Path))
        {
            // A tree prepared by an earlier run (against another database) is reused as it is: indexing it here
            // would be an untimed reconstruct of everything.
            await store.EnsureUserAsync(user, cancellationToken);
        }

        var inbox = root.Inbox;

        var preparing = Stopwatch.GetTimestamp();
        if (IsPrepared(inbox, settings.Messages))
        {
            output.WriteLine($"reconstruct: reusing the {settings.Messages} messages already in {inbox.Path}");
        }
        else
        {
            output.WriteLine($"reconstruct: writing {settings.Messages} messages into {inbox.CurPath}");
            await FillAsync(inbox, settings.Messages, cancellationToken);
        }

        // Nothing of the preparation may still be on its way to the disk while reconstruct is timed.
        Sync();
        var prepareSeconds = Stopwatch.GetElapsedTime(preparing).TotalSeconds;
        await DropIndexAsync(environment.DataSource, user, cancellationToken);

        var started = Stopwatch.GetTimestamp();
        var report = await store.ReconstructUserAsync(user, progress: null, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (report.Messages != settings.Messages || report.Parsed != settings.Messages)
        {
            throw new InvalidOperationException($"reconstruct indexed {report.Messages} messages and parsed {report.Parsed}, expected {settings.Messages}");
        }

        double? scanSeconds = null, parseSeconds = null, againSeconds = null;
        if (settings.Breakdown)
        {
            (scanSeconds, parseSeconds) = await TimeScanAndParseAsync(inbox, cancellationToken);
        }

        if (settings.AgainWithIndex)
        {
            // The admin verb's case: the index is there and matches, nothing needs parsing.
            var again = Stopwatch.GetTimestamp();
            await store.ReconstructUserAsync(user, progress: null, cancellationToken);
            againSeconds = Math.Round(Stopwatch.GetElapsedTime(again).TotalSeconds, 3);
        }

        return new ReconstructFigures(
            "reconstruct", DateTimeOffset.UtcNow, Environment.ProcessorCount, settings.Messages, Math.Round(prepareSeconds, 3),
            Math.Round(seconds, 3), Math.Round(settings.Messages / seconds, 1), scanSeconds, parseSeconds, againSeconds);
    }

    private static bool IsPrepared(MaildirFolder inbox, int messages)
    {
        var list = UidListFile.Read(inbox.Path);
        return list.Succeeded && list.Value.Records.Count == messages && Directory.EnumerateFiles(inbox.CurPath).Count() == messages
            && !Directory.EnumerateFiles(inbox.NewPath).Any();
    }

    private static async Task FillAsync(MaildirFolder inbox, int messages, CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { inbox.CurPath, inbox.NewPath })
        {
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                File.Delete(file);
            }
        }

        var runId = Guid.NewGuid().ToString("N")[..12];
        var names = new MaildirNameGenerator(TimeProvider.System, Environment.ProcessId, Environment.MachineName);
        var uniqueParts = Enumerable.Range(0, messages).Select(_ => names.NextUniquePart()).ToArray();
        var baseNames = new string[messages];
        var oldest = DateTime.UtcNow.AddDays(-365);
        await Parallel.ForAsync(0, messages, cancellationToken, async (i, token) =>
        {
            var bytes = SampleMessages.Realistic(runId, i);

            // The messages are CRLF already, so the virtual size (W=) equals the size; two in three were read.
            var name = MaildirFileName.Create(uniqueParts[i], bytes.Length, bytes.Length)
                .WithFlags(i % 3 == 0 ? MaildirFlags.None : MaildirFlags.Seen, []);
            var path = Path.Combine(inbox.CurPath, name.FullName);
            await File.WriteAllBytesAsync(path, bytes, token);

            // INTERNALDATE comes from the mtime: spread a year of mail, oldest first.
            File.SetLastWriteTimeUtc(path, oldest.AddSeconds(i * (365.0 * 86400 / messages)));
            baseNames[i] = name.BaseName;
        });

        using var uidLock = await UidListLock.AcquireAsync(inbox.Path, new DotLockOptions(), TimeProvider.System, cancellationToken);
        var existing = UidListFile.Read(inbox.Path);
        var uidValidity = existing.Succeeded ? existing.Value.UidValidity : (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var records = baseNames.Select((baseName, i) => new UidListRecord((uint)(i + 1), baseName));
        var list = UidList.Create(uidValidity, UidList.NewMailboxGuid()).WithRecords(records);
        await UidListFile.WriteAsync(uidLock, list.Value, cancellationToken);
    }

    private static async Task DropIndexAsync(NpgsqlDataSource dataSource, MailUser user, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM mailboxes WHERE user_id = $1");
        command.Parameters.AddWithValue(user.Id);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var vacuum = dataSource.CreateCommand("VACUUM ANALYZE messages");
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where reconstruct's time goes without PostgreSQL: listing the folder, and parsing every file as it does.</summary>
    private static async Task<(double Scan, double Parse)> TimeScanAndParseAsync(MaildirFolder inbox, CancellationToken cancellationToken)
    {
        var scanning = Stopwatch.GetTimestamp();
        var entries = inbox.Scan();
        var scan = Stopwatch.GetElapsedTime(scanning).TotalSeconds;
        var parsing = Stopwatch.GetTimestamp();
        var maxSearchText = new MailstoreOptions("/").MaxSearchTextBytes;
        await Parallel.ForEachAsync(entries, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, (entry, _) =>
        {
            MessageIndexer.IndexFile(entry.Path, maxSearchText);
            return ValueTask.CompletedTask;
        });
        return (Math.Round(scan, 3), Math.Round(Stopwatch.GetElapsedTime(parsing).TotalSeconds, 3));
    }

    private static void Sync()
    {
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false });
        sync?.WaitForExit();
    }
}
