using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Pipeline.Srs;

/// <summary>What <see cref="SrsRewriter.Reverse"/> found.</summary>
public enum SrsStatus
{
    /// <summary>A valid SRS address; <see cref="SrsReverseResult.Address"/> is where it leads.</summary>
    Valid,

    /// <summary>Not an SRS address of ours (no SRS0/SRS1 local part, or another domain): route it as usual.</summary>
    NotSrs,

    /// <summary>SRS-shaped but missing fields, or a timestamp that is not base32.</summary>
    Malformed,

    /// <summary>The hash does not match any of our secrets (forged or mangled).</summary>
    BadHash,

    /// <summary>The timestamp is older than <c>Srs:MaxAgeDays</c> (or in the future).</summary>
    Expired,
}

/// <summary>The outcome of reversing an address: where it leads when <see cref="Status"/> is Valid.</summary>
public readonly record struct SrsReverseResult(SrsStatus Status, string? Address)
{
    public bool IsValid => Status == SrsStatus.Valid;
}

/// <summary>
/// The Sender Rewriting Scheme as Mail::SRS (Guarded) and postsrsd write it, so addresses from either reverse here
/// and ours reverse there:
/// <c>SRS0=HHHH=TT=domain=local@srs-domain</c> for a plain sender, <c>SRS1=HHHH=first-domain==rest@srs-domain</c> for
/// one another forwarder already rewrote. HHHH is the first four characters of base64(HMAC-SHA1(secret, the hashed
/// fields in lower case)), TT two base32 characters of the day number modulo 1024.
/// </summary>
public sealed class SrsRewriter
{
    public const int HashLength = 4;
    private const int SecondsPerDay = 86_400;
    private const int TimestampSlots = 1024; // two base32 characters
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private readonly SrsSecrets _secrets;
    private readonly TimeProvider _time;
    private readonly int _maxAgeDays;

    public SrsRewriter(string domain, SrsSecrets secrets, TimeProvider time, int maxAgeDays = 21)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAgeDays, 1);
        Domain = domain.TrimEnd('.');
        _secrets = secrets;
        _time = time;
        _maxAgeDays = maxAgeDays;
    }

    /// <summary>The domain of the rewritten addresses (<c>Srs:Domain</c>).</summary>
    public string Domain { get; }

    /// <summary>
    /// The envelope sender to use when forwarding mail from <paramref name="sender"/>. The null sender stays null
    /// (bounces are never rewritten), and so does a sender in one of our own domains (<paramref name="isOurDomain"/>,
    /// and the SRS domain itself): their SPF already names us.
    /// </summary>
    public string Forward(string sender, Func<string, bool>? isOurDomain = null)
    {
        if (sender.Length == 0 || sender == "<>")
        {
            return sender;
        }

        var at = sender.LastIndexOf('@');
        if (at <= 0 || at == sender.Length - 1)
        {
            return sender; // no domain to encode: nothing a receiver could check SPF for either
        }

        var local = sender[..at];
        var host = sender[(at + 1)..];
        if (host.Equals(Domain, StringComparison.OrdinalIgnoreCase) || isOurDomain?.Invoke(host) == true)
        {
            return sender;
        }

        if (HasTag(local, "SRS1"))
        {
            // Already rewritten twice: keep the first forwarder's host and opaque part, sign them anew.
            var fields = local[5..].Split('=', 3);
            if (fields.Length == 3)
            {
                return $"SRS1={Hash(fields[1], fields[2])}={fields[1]}={fields[2]}@{Domain}";
            }
        }
        else if (HasTag(local, "SRS0"))
        {
            // Mail::SRS Guarded: SRS1 keeps the SRS0 address whole but for the tag (its separator stays, hence "==").
            var opaque = local[4..];
            return $"SRS1={Hash(host, opaque)}={host}={opaque}@{Domain}";
        }

        var timestamp = Timestamp(Today());
        return $"SRS0={Hash(timestamp, host, local)}={timestamp}={host}={local}@{Domain}";
    }

    /// <summary>
    /// Where an SRS address of ours leads: the original sender for SRS0, the first forwarder's SRS0 address for
    /// SRS1. Hashes are accepted in either base64 alphabet (<c>+/</c> or <c>-_</c>) and in any letter case, as
    /// intermediate hops may have smashed case.
    /// </summary>
    public SrsReverseResult Reverse(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || !address.AsSpan(at + 1).TrimEnd('.').Equals(Domain, StringComparison.OrdinalIgnoreCase))
        {
            return new(SrsStatus.NotSrs, null);
        }

        var local = address[..at];
        if (HasTag(local, "SRS1"))
        {
            var fields = local[5..].Split('=', 3);
            if (fields.Length != 3 || fields[1].Length == 0 || fields[2].Length == 0)
            {
                return new(SrsStatus.Malformed, null);
            }

            return HashMatches(fields[0], fields[1], fields[2])
                ? new(SrsStatus.Valid, $"SRS0{fields[2]}@{fields[1]}")
                : new(SrsStatus.BadHash, null);
        }

        if (HasTag(local, "SRS0"))
        {
            var fields = local[5..].Split('=', 4);
            if (fields.Length != 4 || fields[1].Length != 2 || fields[2].Length == 0 || fields[3].Length == 0
                || TimestampValue(fields[1]) is not { } stamp)
            {
                return new(SrsStatus.Malformed, null);
            }

            if (!HashMatches(fields[0], fields[1], fields[2], fields[3]))
            {
                return new(SrsStatus.BadHash, null);
            }

            return IsFresh(stamp) ? new(SrsStatus.Valid, $"{fields[3]}@{fields[2]}") : new(SrsStatus.Expired, null);
        }

        return new(SrsStatus.NotSrs, null);
    }

    // Mail::SRS: the tag is matched in any case and followed by one of its separators "=", "-" or "+".
    private static bool HasTag(string local, string tag) =>
        local.Length > tag.Length && local.StartsWith(tag, StringComparison.OrdinalIgnoreCase) && local[tag.Length] is '=' or '-' or '+';

    private long Today() => _time.GetUtcNow().ToUnixTimeSeconds() / SecondsPerDay;

    private static string Timestamp(long day) =>
        string.Create(2, day, (span, d) =>
        {
            span[0] = Base32[(int)((d >> 5) & 31)];
            span[1] = Base32[(int)(d & 31)];
        });

    private static int? TimestampValue(string text)
    {
        var high = Base32.IndexOf(char.ToUpperInvariant(text[0]), StringComparison.Ordinal);
        var low = Base32.IndexOf(char.ToUpperInvariant(text[1]), StringComparison.Ordinal);
        return high < 0 || low < 0 ? null : (high * 32) + low;
    }

    // As Mail::SRS timestamp_check: today's slot, moved up by whole cycles until it is not before the stamp, may be
    // at most MaxAge days later; a stamp from the future is thereby a stamp from long ago.
    private bool IsFresh(int stamp)
    {
        var now = Today() % TimestampSlots;
        while (now < stamp)
        {
            now += TimestampSlots;
        }

        return now <= stamp + _maxAgeDays;
    }

    private string Hash(params ReadOnlySpan<string> fields) => Base64Prefix(_secrets.Keys[0], fields, HashLength);

    private bool HashMatches(string given, params ReadOnlySpan<string> fields)
    {
        // Mail::SRS HashMin: a shorter hash proves too little.
        if (given.Length < HashLength || given.Length > 27)
        {
            return false;
        }

        foreach (var key in _secrets.Keys)
        {
            var expected = Base64Prefix(key, fields, given.Length);
            var matches = true;
            for (var i = 0; i < given.Length && matches; i++)
            {
                matches = char.ToLowerInvariant(Standard(given[i])) == char.ToLowerInvariant(expected[i]);
            }

            if (matches)
            {
                return true;
            }
        }

        return false;
    }

    private static char Standard(char c) => c switch { '-' => '+', '_' => '/', _ => c };

    private static string Base64Prefix(byte[] key, ReadOnlySpan<string> fields, int length)
    {
        var total = 0;
        foreach (var field in fields)
        {
            total += Encoding.UTF8.GetByteCount(field);
        }

        Span<byte> data = total <= 1024 ? stackalloc byte[total] : new byte[total];
        var offset = 0;
        foreach (var field in fields)
        {
            offset += Encoding.UTF8.GetBytes(field, data[offset..]);
        }

        // Perl's lc on the bytes Mail::SRS and postsrsd see lowers ASCII letters only.
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] is >= (byte)'A' and <= (byte)'Z')
            {
                data[i] |= 0x20;
            }
        }

        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
#pragma warning disable CA5350 // the SRS format fixes HMAC-SHA1; compatibility with every other SRS implementation needs it
        HMACSHA1.HashData(key, data, mac);
#pragma warning restore CA5350
        return Convert.ToBase64String(mac)[..length];
    }
}
