using MailAppliance.Storage.Database;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>
/// Two appliance processes share one database and one maildir tree (two nodes on shared storage, or serve and an
/// admin import running at once). Each is a real OS process of the store benchmark's deliver verb, delivering
/// into the same INBOX with several workers at the same time.
/// </summary>
public sealed class TwoProcessTests : IAsyncLifetime
{
    private const int MessagesPerProcess = 200;
    private const string UserPrefix = "shared";
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromSeconds(90);

    private string _connectionString = "";
    private string _dataDirectory = "";

    public async Task InitializeAsync()
    {
        _connectionString = await TestCluster.CreateDatabaseAsync();
        _dataDirectory = TestDirectories.Create("twoproc");
    }

    public Task DisposeAsync()
    {
        TestDirectories.Delete(_dataDirectory);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Uids_strictly_increase_and_never_repeat_across_two_processes_delivering_into_one_mailbox()
    {
        var bench = await BenchToolAsync();

        var first = RunDeliverAsync(bench);
        var second = RunDeliverAsync(bench);
        var runs = await Task.WhenAll(first, second);

        // Every delivery was acknowledged with a UID, and the two processes' UIDs interleave (they did overlap).
        var receipts = runs.Select(r => r.Receipts).ToArray();
        Assert.All(receipts, r => Assert.Equal(MessagesPerProcess, r.Count));
        Assert.True(Interleaved(receipts[0].Select(r => r.Uid), receipts[1].Select(r => r.Uid)),
            "the two processes did not deliver at the same time, so this run proves nothing: " + string.Join(' ', receipts[0].Select(r => r.Uid).Order()));

        // Together they got exactly 1..400, none twice.
        var all = receipts.SelectMany(r => r).Select(r => r.Uid).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 2 * MessagesPerProcess).Select(i => (uint)i), all);

        // Within a process, each worker's UIDs increase in the order it got them.
        foreach (var worker in receipts.SelectMany((r, process) => r.GroupBy(x => (process, x.Worker))))
        {
            var uids = worker.Select(x => x.Uid).ToList();
            Assert.True(uids.Zip(uids.Skip(1)).All(p => p.First < p.Second), $"process {worker.Key.process} worker {worker.Key.Worker} got {string.Join(' ', uids)}");
        }

        // The tree agrees: the dovecot-uidlist lists exactly those UIDs in ascending order, one file each in new/.
        var user = new MailUser(0, MailAddress.Parse(UserPrefix + "0@bench.test"));
        await using var database = StorageDatabase.Create(_connectionString);
        var inbox = new MailStore(database, new MailstoreOptions(_dataDirectory), TimeProvider.System, NullLogger<MailStore>.Instance).RootOf(user).Inbox;
        var list = UidListFile.Read(inbox.Path);
        Assert.True(list.Succeeded, list.Failure?.Reason);
        Assert.Equal(all, list.Value.Records.Select(r => r.Uid));
        var files = Directory.GetFiles(inbox.NewPath).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2 * MessagesPerProcess, files.Count);
        Assert.Equal(files, list.Value.Records.Select(r => r.BaseName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(inbox.TmpPath));
    }

    private async Task<DeliverRun> RunDeliverAsync(string bench)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            bench, "deliver", "--data", _dataDirectory, "--connection", _connectionString, "--users", "1", "--user-prefix", UserPrefix,
            "--messages", MessagesPerProcess.ToString(CultureInfo.InvariantCulture), "--concurrency", "4", "--size", "2048", "--print-uids",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + bench);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ProcessLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"deliver did not finish within {ProcessLimit}: {await error}");
        }

        Assert.True(process.ExitCode == 0, $"deliver exited with {process.ExitCode}: {await error}\n{await output}");
        var receipts = (await output).Split('\n')
            .Select(line => line.Split(' '))
            .Where(fields => fields is ["uid", _, _, _])
            .Select(fields => new Receipt(int.Parse(fields[1], CultureInfo.InvariantCulture), uint.Parse(fields[3], CultureInfo.InvariantCulture)))
            .ToList();
        return new DeliverRun(receipts);
    }

    private static bool Interleaved(IEnumerable<uint> first, IEnumerable<uint> second)
    {
        var a = first.ToList();
        var b = second.ToList();
        return a.Count > 0 && b.Count > 0 && a.Min() < b.Max() && b.Min() < a.Max();
    }

    /// <summary>
    /// The benchmark tool of this checkout, in the configuration of the tests, built now when missing (the solution
    /// build makes it). It is located rather than referenced so that the test project does not depend on bench/.
    /// </summary>
    private static async Task<string> BenchToolAsync()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "MailAppliance.sln")))
        {
            repository = repository.Parent;
        }

        Assert.True(repository is not null, $"no MailAppliance.sln above {AppContext.BaseDirectory}");
        var configuration = typeof(TwoProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var project = Path.Combine(repository.FullName, "bench", "MailAppliance.Bench.Store");
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "mailappliance-bench-store.dll");
        if (File.Exists(dll))
        {
            return dll;
        }

        var build = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repository.FullName,
        };
        foreach (var argument in new[] { "build", project, "-c", configuration, "-v", "q" })
        {
            build.ArgumentList.Add(argument);
        }

        using var process = Process.Start(build) ?? throw new InvalidOperationException("could not start dotnet build");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && File.Exists(dll), $"building {project} failed ({process.ExitCode}): {await output}{await error}");
        return dll;
    }

    private sealed record Receipt(int Worker, uint Uid);

    private sealed record DeliverRun(IReadOnlyList<Receipt> Receipts);
}
