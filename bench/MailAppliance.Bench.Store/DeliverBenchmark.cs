using System.Diagnostics;
using System.Globalization;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Bench.Store;

internal sealed record DeliverSettings(int Users, int Messages, int Concurrency, int Size, string UserPrefix, bool PrintUids, int Warmup, bool SharedStore);

/// <summary>What one worker was given for one message, in the order it got the answers.</summary>
internal sealed record DeliveryReceipt(int Worker, string User, uint Uid);

internal sealed record DeliverFigures(
    string Verb, DateTimeOffset At, int ProcessorCount, int Users, int Messages, int Concurrency, int SizeBytes, bool SharedStore,
    double Seconds, double DeliveriesPerSecond, double P50Ms, double P99Ms, double MaxMs, double MeanMs);

/// <summary>
/// Delivers messages into the INBOXes of N users with C concurrent workers, each with its own store, as C
/// delivery sessions of an appliance (or of several appliances sharing the database and tree) would. Message i
/// goes to user i mod N. Every delivery carries a delivery key, as SMTP/LMTP deliveries do. Warm-up deliveries
/// (JIT, connection pool) go to a user of their own and are not timed.
/// </summary>
internal static class DeliverBenchmark
{
    public static async Task<(DeliverFigures Figures, IReadOnlyList<DeliveryReceipt> Receipts)> RunAsync(
        BenchEnvironment environment, DeliverSettings settings, CancellationToken cancellationToken)
    {
        var localParts = Enumerable.Range(0, settings.Users).Select(i => settings.UserPrefix + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var users = await environment.EnsureUsersAsync(localParts, cancellationToken);

        // Creating the maildir and the index rows of a new user is not what is measured.
        var setup = environment.NewStore();
        foreach (var user in users)
        {
            await setup.EnsureMailboxAsync(user, MailboxName.Inbox, cancellationToken);
        }

        var runId = Guid.NewGuid().ToString("N")[..12];
        var shared = settings.SharedStore ? environment.NewStore() : null;
        var stores = Enumerable.Range(0, settings.Concurrency).Select(_ => shared ?? environment.NewStore()).ToArray();
        if (settings.Warmup > 0)
        {
            var warmupUser = (await environment.EnsureUsersAsync([settings.UserPrefix + "warmup"], cancellationToken))[0];
            await Task.WhenAll(stores.Select((store, worker) => Task.Run(async () =>
            {
                for (var i = 0; i < settings.Warmup; i++)
                {
                    var request = new DeliveryRequest(warmupUser, MailboxName.Inbox) { DeliveryKey = $"{runId}.warmup.{worker}.{i}" };
                    await store.DeliverAsync(request, new MemoryStream(SampleMessages.Plain(runId, i, settings.Size), writable: false), cancellationToken);
                }
            }, cancellationToken)));
        }

        var latencies = new double[settings.Messages];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, settings.Concurrency).Select(worker => Task.Run(async () =>
        {
            var store = stores[worker];
            var receipts = new List<DeliveryReceipt>();
            int number;
            while ((number = Interlocked.Increment(ref next)) < settings.Messages)
            {
                var user = users[number % users.Count];
                var message = SampleMessages.Plain(runId, number, settings.Size);
                var request = new DeliveryRequest(user, MailboxName.Inbox) { DeliveryKey = $"{runId}.{number}" };
                var before = Stopwatch.GetTimestamp();
                var result = await store.DeliverAsync(request, new MemoryStream(message, writable: false), cancellationToken);
                latencies[number] = Stopwatch.GetElapsedTime(before).TotalMilliseconds;
                if (result.Status != DeliveryStatus.Delivered)
                {
                    throw new InvalidOperationException($"delivery {number} to {user.Address} was {result.Status}: {result.Reason}");
                }

                receipts.Add(new DeliveryReceipt(worker, user.Address.ToString(), result.Uid));
            }

            return receipts;
        }, cancellationToken)).ToList();
        var all = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var latency = LatencySummary.Of(latencies);
        var figures = new DeliverFigures(
            "deliver", DateTimeOffset.UtcNow, Environment.ProcessorCount, settings.Users, settings.Messages, settings.Concurrency, settings.Size, settings.SharedStore,
            Math.Round(elapsed.TotalSeconds, 3), Math.Round(settings.Messages / elapsed.TotalSeconds, 1),
            Math.Round(latency.P50, 2), Math.Round(latency.P99, 2), Math.Round(latency.Max, 2), Math.Round(latency.Mean, 2));
        return (figures, all.SelectMany(r => r).ToList());
    }
}
