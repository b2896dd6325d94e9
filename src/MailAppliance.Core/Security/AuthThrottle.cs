using System.Net;
using MailAppliance.Core.Net;

namespace MailAppliance.Core.Security;

/// <summary>
/// Slows down password guessing, for SMTP AUTH, IMAP LOGIN/AUTHENTICATE and POP3 USER/PASS/AUTH alike: failures are
/// counted per client address (IPv6 per /64, see <see cref="AddressGroup"/>) and per account name
/// (case-insensitive), and the delay before answering grows with the larger of the two counts. One instance is
/// shared by all listeners of the process; it is thread-safe.
/// </summary>
/// <remarks>
/// Use: <c>await Task.Delay(throttle.DelayFor(ip, user), timeProvider, ct)</c> before checking the password, then
/// <see cref="RecordFailure"/> or <see cref="RecordSuccess"/>. A success clears the account's count but not the
/// address's, so one valid login does not buy an attacker on that address a fresh start on other accounts.
/// </remarks>
public sealed class AuthThrottle
{
    private readonly AuthThrottleOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Entry> _addresses = [];
    private readonly Dictionary<string, Entry> _accounts = new(StringComparer.OrdinalIgnoreCase);

    public AuthThrottle(AuthThrottleOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? AuthThrottleOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(_options.FreeFailures);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxEntries, 1);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many addresses and account names are remembered (for metrics and tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _addresses.Count + _accounts.Count;
            }
        }
    }

    /// <summary>The delay to wait before answering an authentication attempt from this address for this account.</summary>
    public TimeSpan DelayFor(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = _time.GetUtcNow();
        int failures;
        lock (_lock)
        {
            failures = Math.Max(Failures(_addresses, AddressGroup.Of(address), now), account is null ? 0 : Failures(_accounts, AccountKey(account), now));
        }

        return DelayForFailures(failures);
    }

    public void RecordFailure(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            Increment(_addresses, AddressGroup.Of(address), now);
            if (!string.IsNullOrEmpty(account))
            {
                Increment(_accounts, AccountKey(account), now);
            }
        }
    }

    /// <summary>Clears the account's failures; the address keeps its count until it is forgotten.</summary>
    public void RecordSuccess(IPAddress address, string? account)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (string.IsNullOrEmpty(account))
        {
            return;
        }

        lock (_lock)
        {
            _accounts.Remove(AccountKey(account));
        }
    }

    /// <summary>The curve: nothing for the free failures, then base, 2×base, 4×base … up to the maximum.</summary>
    public TimeSpan DelayForFailures(int failures)
    {
        var over = failures - _options.FreeFailures;
        if (over <= 0)
        {
            return TimeSpan.Zero;
        }

        // Past 2^20 the cap has long been reached; stop doubling before the ticks overflow.
        var ticks = _options.BaseDelay.Ticks * (1L << Math.Min(over - 1, 20));
        return ticks >= _options.MaxDelay.Ticks || ticks < 0 ? _options.MaxDelay : TimeSpan.FromTicks(ticks);
    }

    private string AccountKey(string account) =>
        account.Length > _options.MaxAccountLength ? account[.._options.MaxAccountLength] : account;

    private int Failures<TKey>(Dictionary<TKey, Entry> table, TKey key, DateTimeOffset now)
        where TKey : notnull =>
        table.TryGetValue(key, out var entry) && !IsForgotten(entry, now) ? entry.Failures : 0;

    private void Increment<TKey>(Dictionary<TKey, Entry> table, TKey key, DateTimeOffset now)
        where TKey : notnull
    {
        if (table.TryGetValue(key, out var entry) && !IsForgotten(entry, now))
        {
            table[key] = new Entry(entry.Failures == int.MaxValue ? entry.Failures : entry.Failures + 1, now);
            return;
        }

        if (!table.ContainsKey(key) && table.Count >= _options.MaxEntries)
        {
            Prune(table, now);
        }

        table[key] = new Entry(1, now);
    }

    /// <summary>
    /// Drops forgotten entries; if the table is still full, drops the quietest tenth. Evicting costs an attacker
    /// 100,000 fresh addresses (IPv4, or IPv6 /64s) or names, and it happens rarely enough to be cheap overall.
    /// </summary>
    private void Prune<TKey>(Dictionary<TKey, Entry> table, DateTimeOffset now)
        where TKey : notnull
    {
        foreach (var (key, entry) in table)
        {
            if (IsForgotten(entry, now))
            {
                table.Remove(key);
            }
        }

        if (table.Count < _options.MaxEntries)
        {
            return;
        }

        var quietest = table.OrderBy(pair => pair.Value.LastFailure).Take(Math.Max(1, table.Count / 10)).Select(pair => pair.Key).ToList();
        foreach (var key in quietest)
        {
            table.Remove(key);
        }
    }

    private bool IsForgotten(Entry entry, DateTimeOffset now) => now - entry.LastFailure >= _options.ForgetAfter;

    private readonly record struct Entry(int Failures, DateTimeOffset LastFailure);
}
