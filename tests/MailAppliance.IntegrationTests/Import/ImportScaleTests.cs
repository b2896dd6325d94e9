using System.Diagnostics;
using System.Globalization;
using System.Text;
using MailAppliance.Testing;
using Xunit.Abstractions;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// A 100,000-message mbox imported by the real CLI process: the peak RSS grows by less than 300 MiB over a
/// 100-message import (streamed, batched: nothing proportional to the mailbox stays in memory), and the rate is
/// printed (docs/performance.md records it beside Dovecot's <c>doveadm import</c> on the same file).
/// </summary>
public sealed class ImportScaleTests(ImportFixture app, ITestOutputHelper output) : IClassFixture<ImportFixture>
{
    /// <summary>An mbox of <paramref name="count"/> messages of 1 to 4 KiB, each with its own Message-ID.</summary>
    internal static void WriteMbox(string path, int count)
    {
        using var writer = new StreamWriter(path, false, Encoding.ASCII, 1 << 20);
        var line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.";
        for (var i = 0; i < count; i++)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"From sender{i % 97}@example.net Mon Jan  4 10:{i / 60 % 60:00}:{i % 60:00} 2021\nFrom: sender{i % 97}@example.net\nTo: scale@example.test\nSubject: message {i}\nMessage-ID: <{i}.scale@example.net>\nDate: Mon, 4 Jan 2021 10:00:00 +0000\n\n"));
            for (var l = 0; l < 10 + (i % 30); l++)
            {
                writer.Write(line);
                writer.Write('\n');
            }

            writer.Write('\n');
        }
    }

    private async Task<(long PeakKiB, TimeSpan Elapsed, string Output)> ImportAsync(string mbox, string user)
    {
        var start = CliRunner.ProcessStart(["--config", app.Cli.ConfigFile, "import", "mbox", mbox, "--user", user]);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var exited = process.WaitForExitAsync(timeout.Token);
        while (!exited.IsCompleted)
        {
            // VmHWM is the process's own high-water mark: sampling only has to catch it before exit.
            try
            {
                foreach (var l in await File.ReadAllLinesAsync($"/proc/{process.Id}/status"))
                {
                    if (l.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        peak = Math.Max(peak, long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (IOException)
            {
            }

            await Task.WhenAny(exited, Task.Delay(100));
        }

        await exited;
        var text = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, text);
        return (peak, watch.Elapsed, text);
    }

    [Fact]
    [Trait("Category", "Scale")]
    public async Task A_100000_message_mbox_imports_with_rss_growth_under_300_MiB()
    {
        var dir = app.Scratch("scale");
        var small = Path.Combine(dir, "small.mbox");
        var large = Path.Combine(dir, "large.mbox");
        WriteMbox(small, 100);
        WriteMbox(large, 100_000);

        var baseline = await ImportAsync(small, await app.UserAsync("scalebase"));
        var run = await ImportAsync(large, await app.UserAsync("scale"));
        Assert.EndsWith("imported 100000, duplicates 0, skipped 0, failed 0\n", run.Output, StringComparison.Ordinal);
        var growthMiB = (run.PeakKiB - baseline.PeakKiB) / 1024.0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"100,000 messages ({new FileInfo(large).Length / 1048576.0:F0} MiB mbox): {run.Elapsed.TotalSeconds:F1} s, {100_000 / run.Elapsed.TotalSeconds:F0} messages/s, peak RSS {run.PeakKiB / 1024.0:F0} MiB (100 messages: {baseline.PeakKiB / 1024.0:F0} MiB), growth {growthMiB:F0} MiB"));
        Assert.True(growthMiB < 300, $"RSS grew by {growthMiB:F0} MiB");
    }
}
