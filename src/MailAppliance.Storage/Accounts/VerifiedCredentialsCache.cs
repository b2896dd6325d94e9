using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Database;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Accounts;

/// <summary>
/// Logins verified lately, as Dovecot's auth cache keeps them: for a few minutes after a successful check, the same
/// login and password are accepted without the key derivation (PBKDF2 with 600,000 iterations costs ~200 ms; a
/// client that logs in for every check of new mail would pay it each time). Only a keyed hash of the password is
/// kept (HMAC-SHA256 under a random key of this process, never written anywhere), beside the stored hash it was
/// checked against.
/// </summary>
/// <remarks>
/// Exactness:
/// - a cached login still reads the user's row: a changed password hash (<c>user passwd</c>, an import), a removed
///   or disabled user is a miss, whichever process made the change;
/// - every change to the directory (migration 0006's <c>directory_changed</c> notification, from any process) forgets
///   everything, and nothing is remembered while that notification connection is down;
/// - a password that does not match the cached one is checked in full (failed logins pay the full price, and the
///   throttle sees them as before).
/// </remarks>
public sealed class VerifiedCredentialsCache : IAsyncDisposable
{
    private const string Channel = "directory_changed";
    private const int MaxEntries = 100_000;

    private readonly TimeProvider _time;
    private readonly ChannelListener _listener;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private long _generation;
    private volatile bool _listening;

    public VerifiedCredentialsCache(StorageDatabase db, TimeProvider time, ILogger<VerifiedCredentialsCache> logger)
    {
        _time = time;
        _listener = new ChannelListener(db, Channel, logger);
        _listener.Notified += _ => Forget();
        _listener.Connected += () =>
        {
            Forget(); // whatever changed while nobody listened
            _listening = true;
        };
        _listener.Lost += () =>
        {
            _listening = false;
            Forget();
        };
    }

    /// <summary>How long a verified login is remembered (Dovecot's auth_cache_ttl is an hour; a few minutes here).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Raised after everything was forgotten (a directory change, a reconnect), for tests that wait on it.</summary>
    public event Action? Forgotten;

    /// <summary>Whether directory notifications are being received (nothing is remembered otherwise).</summary>
    public bool IsListening => _listening;

    /// <summary>Starts listening for directory changes (the first lookup does it too).</summary>
    public void EnsureStarted() => _listener.EnsureStarted();

    /// <summary>How many logins are remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The user a login and password were verified for lately, when <paramref name="storedHash"/> is still the hash
    /// they were verified against; null when the login must be checked in full.
    /// </summary>
    public (long UserId, MailAddress Address)? Find(MailAddress login, string password, string storedHash)
    {
        _listener.EnsureStarted();
        if (!_listening || !_entries.TryGetValue(login.Key, out var entry))
        {
            return null;
        }

        if (entry.Generation != Interlocked.Read(ref _generation) || _time.GetElapsedTime(entry.VerifiedAt) >= Lifetime
            || !string.Equals(entry.StoredHash, storedHash, StringComparison.Ordinal)
            || !CryptographicOperations.FixedTimeEquals(entry.PasswordMac, Mac(login, password)))
        {
            return null;
        }

        return (entry.UserId, entry.Address);
    }

    /// <summary>Remembers a login just verified in full; <paramref name="generation"/> is <see cref="Generation"/> from before the check.</summary>
    public void Remember(MailAddress login, string password, string storedHash, long userId, MailAddress address, long generation)
    {
        if (!_listening || generation != Interlocked.Read(ref _generation))
        {
            return; // the directory changed while the check ran
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[login.Key] = new Entry(Mac(login, password), storedHash, userId, address, generation, _time.GetTimestamp());
    }

    /// <summary>Taken before a full check, so that a directory change during it keeps its result out of the cache.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    private byte[] Mac(MailAddress login, string password) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(login.Key + "\0" + password));

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        Forgotten?.Invoke();
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    private sealed record Entry(byte[] PasswordMac, string StoredHash, long UserId, MailAddress Address, long Generation, long VerifiedAt);
}
