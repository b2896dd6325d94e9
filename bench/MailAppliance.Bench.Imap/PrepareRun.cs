using System.Diagnostics;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// Fills a user's INBOX with real messages: files written into <c>cur/</c> with a dovecot-uidlist naming them (as a
/// tree restored from a backup), then indexed by the store's reconstruct. The server need not run.
/// </summary>
internal static class PrepareRun
{
    public static async Task<int> RunVerbAsync(Options options, CancellationToken cancellationToken)
    {
        var messages = options.Int("messages", 10_000);
        await using var bench = await BenchStore.OpenAsync(options.Required("data"), cancellationToken);
        var user = await bench.FindUserAsync(options.Required("user"), cancellationToken);
        await bench.Store.EnsureUserAsync(user, cancellationToken);
        var inbox = bench.Store.RootOf(user).Inbox;
        var started = Stopwatch.GetTimestamp();
        var bytes = await FillAsync(inbox, messages, cancellationToken);
        var report = await bench.Store.ReconstructUserAsync(user, progress: null, cancellationToken);
        Console.WriteLine($"prepare: {messages:N0} messages ({bytes / 1e6:F1} MB) into {inbox.Path}, indexed {report.Messages:N0} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return 0;
    }

    private static async Task<long> FillAsync(MaildirFolder inbox, int messages, CancellationToken cancellationToken)
    {
        var names = new MaildirNameGenerator(TimeProvider.System, Environment.ProcessId, Environment.MachineName);
        var uniqueParts = Enumerable.Range(0, messages).Select(_ => names.NextUniquePart()).ToArray();
        var baseNames = new string[messages];
        var oldest = DateTime.UtcNow.AddDays(-365);
        long total = 0;
        await Parallel.ForAsync(0, messages, cancellationToken, async (i, token) =>
        {
            var bytes = Corpus.Message(i + 1);
            Interlocked.Add(ref total, bytes.Length);

            // CRLF already, so the virtual size equals the size; two in three have been read.
            var name = MaildirFileName.Create(uniqueParts[i], bytes.Length, bytes.Length)
                .WithFlags(i % 3 == 0 ? MaildirFlags.None : MaildirFlags.Seen, []);
            var path = Path.Combine(inbox.CurPath, name.FullName);
            await File.WriteAllBytesAsync(path, bytes, token);

            // INTERNALDATE comes from the mtime: a year of mail, oldest first.
            File.SetLastWriteTimeUtc(path, oldest.AddSeconds(i * (365.0 * 86400 / messages)));
            baseNames[i] = name.BaseName;
        });

        using var uidLock = await UidListLock.AcquireAsync(inbox.Path, new DotLockOptions(), TimeProvider.System, cancellationToken);
        var existing = UidListFile.Read(inbox.Path);
        var uidValidity = existing.Succeeded ? existing.Value.UidValidity : (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var list = UidList.Create(uidValidity, UidList.NewMailboxGuid()).WithRecords(baseNames.Select((baseName, i) => new UidListRecord((uint)(i + 1), baseName)));
        await UidListFile.WriteAsync(uidLock, list.Value, cancellationToken);
        return total;
    }
}
