using System.Net;
using MailAppliance.Core.Security;

namespace MailAppliance.Core.Tests.Security;

public class AuthThrottleTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("198.51.100.9");
    private readonly ManualTimeProvider _clock = new();
    private readonly AuthThrottle _throttle;

    public AuthThrottleTests() => _throttle = new AuthThrottle(timeProvider: _clock);

    [Fact]
    public void The_curve_is_free_then_doubling_then_capped()
    {
        var delays = Enumerable.Range(0, 12).Select(n => _throttle.DelayForFailures(n).TotalSeconds);
        Assert.Equal([0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30], delays);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.DelayForFailures(int.MaxValue));
    }

    [Fact]
    public void Failures_from_one_address_slow_down_that_address_for_any_account()
    {
        Fail(Attacker, "a", "b", "c", "d", "e");
        Assert.Equal(TimeSpan.FromSeconds(2), _throttle.DelayFor(Attacker, "fresh@example.test"));
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(Other, "fresh@example.test"));
    }

    [Fact]
    public void Failures_on_one_account_slow_down_every_address_case_insensitively()
    {
        for (var i = 0; i < 4; i++)
        {
            _throttle.RecordFailure(IPAddress.Parse($"203.0.113.{i}"), "Tim@Example.Test");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), _throttle.DelayFor(Other, "tim@example.test"));
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(Other, "someone@example.test"));
    }

    [Fact]
    public void Success_resets_the_account_but_not_the_address()
    {
        Fail(Attacker, "tim", "tim", "tim", "tim", "tim");
        _throttle.RecordSuccess(Attacker, "TIM");
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(Other, "tim"));
        Assert.Equal(TimeSpan.FromSeconds(2), _throttle.DelayFor(Attacker, "tim"));
    }

    [Fact]
    public void Failures_are_forgotten_after_fifteen_quiet_minutes()
    {
        Fail(Attacker, "a", "b", "c", "d");
        _clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(TimeSpan.FromSeconds(1), _throttle.DelayFor(Attacker, null));
        Fail(Attacker, "e"); // a new failure restarts the quiet period and counts on
        _clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(TimeSpan.FromSeconds(2), _throttle.DelayFor(Attacker, null));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(Attacker, null));
        Fail(Attacker, "f");
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(Attacker, null));
    }

    [Fact]
    public void Ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4()
    {
        for (var i = 1; i <= 4; i++)
        {
            _throttle.RecordFailure(IPAddress.Parse($"2001:db8:1:2::{i:x}"), null);
        }

        Assert.Equal(TimeSpan.FromSeconds(1), _throttle.DelayFor(IPAddress.Parse("2001:db8:1:2:ffff::1"), null));
        Assert.Equal(TimeSpan.Zero, _throttle.DelayFor(IPAddress.Parse("2001:db8:1:3::1"), null));

        Fail(Attacker, null, null, null, null);
        Assert.Equal(TimeSpan.FromSeconds(1), _throttle.DelayFor(Attacker.MapToIPv6(), null));
    }

    [Fact]
    public void Memory_is_bounded()
    {
        var throttle = new AuthThrottle(new AuthThrottleOptions { MaxEntries = 100 }, _clock);
        for (var i = 0; i < 1_000; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            throttle.RecordFailure(new IPAddress(0x0A000000u + (uint)i), $"user{i}@example.test");
        }

        Assert.InRange(throttle.Count, 1, 200);
        // The most recent offender is still known.
        var last = new IPAddress(0x0A000000u + 999u);
        throttle.RecordFailure(last, null);
        throttle.RecordFailure(last, null);
        throttle.RecordFailure(last, null);
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.DelayFor(last, null));
    }

    [Fact]
    public void Expired_entries_are_pruned_when_the_table_fills()
    {
        var throttle = new AuthThrottle(new AuthThrottleOptions { MaxEntries = 10 }, _clock);
        for (var i = 0; i < 10; i++)
        {
            throttle.RecordFailure(new IPAddress(0x0A000000u + (uint)i), null);
        }

        _clock.Advance(TimeSpan.FromMinutes(16));
        throttle.RecordFailure(Attacker, null);
        Assert.Equal(1, throttle.Count);
    }

    private void Fail(IPAddress address, params string?[] accounts)
    {
        foreach (var account in accounts)
        {
            _throttle.RecordFailure(address, account);
        }
    }
}
