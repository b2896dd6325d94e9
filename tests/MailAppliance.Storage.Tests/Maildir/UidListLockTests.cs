using System.Diagnostics;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class UidListLockTests
{
    private static readonly DotLockOptions Quick = new()
    {
        Timeout = TimeSpan.FromMilliseconds(300),
        RetryInterval = TimeSpan.FromMilliseconds(10),
    };

    [Fact]
    public async Task The_lock_is_dovecot_uidlist_lock_holding_pid_and_host()
    {
        using var temp = new TempDirectory();

        using var held = await UidListLock.AcquireAsync(temp.Path, Quick with { HostName = "mx1" }, TimeProvider.System, CancellationToken.None);

        Assert.Equal(temp.Combine("dovecot-uidlist.lock"), held.LockPath);
        Assert.Equal($"{Environment.ProcessId}:mx1", File.ReadAllText(held.LockPath));
        Assert.True(held.IsHeld);
    }

    [Fact]
    public async Task A_second_holder_waits_until_the_first_releases()
    {
        using var temp = new TempDirectory();
        var first = await UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None);

        Assert.Null(UidListLock.TryAcquire(temp.Path, Quick, TimeProvider.System));
        var waiting = UidListLock.AcquireAsync(temp.Path, Quick with { Timeout = TimeSpan.FromSeconds(5) }, TimeProvider.System, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        first.Dispose();
        using var second = await waiting;

        Assert.True(second.IsHeld);
        Assert.False(first.IsHeld);
    }

    [Fact]
    public async Task Waiting_too_long_throws_a_timeout()
    {
        using var temp = new TempDirectory();
        using var first = await UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None));

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_stale_lock_is_taken_over_after_the_stale_timeout()
    {
        using var temp = new TempDirectory();
        var lockPath = temp.Combine("dovecot-uidlist.lock");
        var uidlist = temp.Combine("dovecot-uidlist");
        await File.WriteAllTextAsync(lockPath, "12345:other-host");
        await File.WriteAllTextAsync(uidlist, "3 V1 N1\n");
        var longAgo = DateTime.UtcNow - TimeSpan.FromMinutes(3);
        File.SetLastWriteTimeUtc(lockPath, longAgo);
        File.SetLastWriteTimeUtc(uidlist, longAgo);

        using var held = await UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None);

        Assert.True(held.IsHeld);
        Assert.StartsWith($"{Environment.ProcessId}:", File.ReadAllText(lockPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_lock_is_not_stale_while_the_uidlist_keeps_changing()
    {
        // Dovecot's rule: both the lock and the protected file must be quiet for the stale timeout.
        using var temp = new TempDirectory();
        var lockPath = temp.Combine("dovecot-uidlist.lock");
        await File.WriteAllTextAsync(lockPath, "12345:other-host");
        await File.WriteAllTextAsync(temp.Combine("dovecot-uidlist"), "3 V1 N1\n");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow - TimeSpan.FromMinutes(3));

        Assert.Null(UidListLock.TryAcquire(temp.Path, Quick, TimeProvider.System));
        await Assert.ThrowsAsync<TimeoutException>(() => UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task An_empty_lock_left_by_a_power_loss_is_taken_over_after_the_incomplete_timeout()
    {
        // A power loss between creating the lock and its content reaching the disk leaves an empty lock file; recovery
        // must not wait the two-minute stale timeout (nor time out after 30 s) for it.
        using var temp = new TempDirectory();
        var lockPath = temp.Combine("dovecot-uidlist.lock");
        await File.WriteAllTextAsync(lockPath, "");
        await File.WriteAllTextAsync(temp.Combine("dovecot-uidlist"), "3 V1 N1\n");
        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow - TimeSpan.FromSeconds(10));

        using var held = await UidListLock.AcquireAsync(temp.Path, Quick, TimeProvider.System, CancellationToken.None);

        Assert.True(held.IsHeld);
    }

    [Fact]
    public void An_empty_lock_just_created_is_respected()
    {
        // Its creator is between O_EXCL and writing pid:host.
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("dovecot-uidlist.lock"), "");

        Assert.Null(UidListLock.TryAcquire(temp.Path, Quick, TimeProvider.System));
    }

    [Fact]
    public void A_fresh_lock_of_another_host_is_respected()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("dovecot-uidlist.lock"), "1:other-host");

        Assert.Null(UidListLock.TryAcquire(temp.Path, Quick, TimeProvider.System));
        Assert.Equal("1:other-host", File.ReadAllText(temp.Combine("dovecot-uidlist.lock")));
    }

    [Fact]
    public void A_lock_of_a_dead_process_on_this_host_is_taken_over_at_once()
    {
        // Dead-pid detection reads /proc; the appliance runs on Linux only.
        Assert.True(OperatingSystem.IsLinux());
        using var temp = new TempDirectory();
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        File.WriteAllText(temp.Combine("dovecot-uidlist.lock"), $"{process.Id}:{Quick.HostName}");

        using var held = UidListLock.TryAcquire(temp.Path, Quick, TimeProvider.System);

        Assert.NotNull(held);
    }

    [Fact]
    public async Task A_taken_over_holder_no_longer_counts_as_holding()
    {
        using var temp = new TempDirectory();
        var stale = await UidListLock.AcquireAsync(temp.Path, Quick with { HostName = "h1" }, TimeProvider.System, CancellationToken.None);
        File.SetLastWriteTimeUtc(stale.LockPath, DateTime.UtcNow - TimeSpan.FromMinutes(5));

        using var fresh = await UidListLock.AcquireAsync(temp.Path, Quick with { HostName = "h2" }, TimeProvider.System, CancellationToken.None);
        stale.Dispose();

        Assert.False(stale.IsHeld);
        Assert.True(fresh.IsHeld);
        Assert.True(File.Exists(fresh.LockPath));
        await Assert.ThrowsAsync<InvalidOperationException>(() => UidListFile.WriteAsync(stale, UidList.Create(1), CancellationToken.None));
    }

    [Fact]
    public async Task Touch_keeps_a_long_holder_fresh()
    {
        using var temp = new TempDirectory();
        using var held = await UidListLock.AcquireAsync(temp.Path, Quick with { HostName = "h1" }, TimeProvider.System, CancellationToken.None);
        File.SetLastWriteTimeUtc(held.LockPath, DateTime.UtcNow - TimeSpan.FromMinutes(5));

        held.Touch();

        Assert.True(held.IsHeld);
        Assert.Null(UidListLock.TryAcquire(temp.Path, Quick with { HostName = "h2" }, TimeProvider.System));
    }

    [Fact]
    public async Task Many_concurrent_writers_never_overlap()
    {
        using var temp = new TempDirectory();
        var options = Quick with { Timeout = TimeSpan.FromSeconds(20), RetryInterval = TimeSpan.FromMilliseconds(1) };
        var inside = 0;
        var maxInside = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var held = await UidListLock.AcquireAsync(temp.Path, options, TimeProvider.System, CancellationToken.None);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
            }
        })));

        Assert.Equal(1, maxInside);
        Assert.False(File.Exists(temp.Combine("dovecot-uidlist.lock")));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
