using MailAppliance.Storage.Durability;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class FileSystemBarrierTests
{
    [Fact]
    public async Task Callers_that_arrive_during_a_flush_share_the_next_one_and_none_returns_before_a_flush_that_began_after_it()
    {
        var started = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var flushes = 0;
        var batcher = new SyncBatcher(() =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
            {
                started.Set();
                release.Wait(); // the first flush hangs until the others are queued
            }
        }, "test-sync");

        var first = Task.Run(batcher.SyncAsync); // nothing runs: this caller flushes on its own thread
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var later = Enumerable.Range(0, 20).Select(_ => batcher.SyncAsync()).ToList();
        await Task.Delay(50);
        Assert.All(later, t => Assert.False(t.IsCompleted)); // the running flush began before their calls

        release.Set();
        await first;
        await Task.WhenAll(later).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, flushes); // twenty callers, one more flush
        Assert.Equal(2, batcher.Flushes);
    }

    [Fact]
    public void A_caller_that_finds_no_flush_running_flushes_on_its_own_thread_and_is_done_when_it_returns()
    {
        var flushedOn = -1;
        var batcher = new SyncBatcher(() => flushedOn = Environment.CurrentManagedThreadId, "test-sync");

        var sync = batcher.SyncAsync();

        Assert.True(sync.IsCompletedSuccessfully); // no hand-off to the flush thread and back: a lone 250 waits for the flush only
        Assert.Equal(Environment.CurrentManagedThreadId, flushedOn);
        Assert.Equal(1, batcher.Flushes);
    }

    [Fact]
    public async Task A_failed_flush_fails_every_caller_of_its_round_and_the_next_round_runs_again()
    {
        var fail = true;
        var batcher = new SyncBatcher(() =>
        {
            if (fail)
            {
                throw new IOException("EIO");
            }
        }, "test-sync");

        var error = await Assert.ThrowsAsync<IOException>(() => batcher.SyncAsync());
        Assert.Equal("EIO", error.Message);

        fail = false;
        await batcher.SyncAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Syncs_real_directories_with_one_flush_for_many_on_one_file_system()
    {
        Assert.True(FileSystemBarrier.IsSupported); // the appliance's platform: Linux x64
        using var temp = new TempDirectory();
        var directories = Enumerable.Range(0, 30).Select(i => Directory.CreateDirectory(temp.Combine($"d{i}")).FullName).ToList();
        var barrier = new FileSystemBarrier();
        await barrier.SyncAsync(directories[0]); // the first call opens the file system's descriptor

        var before = barrier.Flushes;
        await barrier.SyncAsync(directories);
        Assert.Equal(before + 1, barrier.Flushes);
    }

    [Fact]
    public async Task A_missing_directory_is_an_io_error()
    {
        using var temp = new TempDirectory();

        var error = await Assert.ThrowsAsync<IOException>(() => new FileSystemBarrier().SyncAsync(temp.Combine("missing")));
        Assert.Equal(2, error.HResult); // ENOENT
    }

    [Theory]
    [InlineData(SyncMode.Auto, SyncMode.SyncFs)]
    [InlineData(SyncMode.SyncFs, SyncMode.SyncFs)]
    [InlineData(SyncMode.Fsync, SyncMode.Fsync)]
    public void Modes_resolve_on_linux(SyncMode given, SyncMode resolved)
    {
        Assert.Equal(resolved, FileSystemBarrier.Resolve(given));
        Assert.Equal(resolved == SyncMode.SyncFs, FileSystemBarrier.For(given) is not null);
    }
}
