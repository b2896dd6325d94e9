namespace MailAppliance.Pipeline.Scoring.Classifier;

/// <summary>
/// Stable 64-bit hashes of typed features (FNV-1a over the type tag and UTF-16 code units, then a finaliser). Stable
/// across processes and versions: learned data in PostgreSQL is keyed by them.
/// </summary>
internal static class FeatureHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(char type, ReadOnlySpan<char> text)
    {
        var h = Mix(Offset, type);
        foreach (var c in text)
        {
            h = Mix(h, c);
        }

        return Finish(h);
    }

    /// <summary>An OSB pair: two words at a distance (1 to 4) in the window.</summary>
    public static ulong Pair(ulong first, ulong second, int distance)
    {
        var h = first * 0x9E3779B97F4A7C15UL;
        h ^= (second + (ulong)distance) * 0xC2B2AE3D27D4EB4FUL;
        h ^= h >> 29;
        return Finish(h ^ ((ulong)distance << 59));
    }

    private static ulong Mix(ulong h, char c)
    {
        h = (h ^ (byte)c) * Prime;
        return (h ^ (byte)(c >> 8)) * Prime;
    }

    private static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        return h ^ (h >> 33);
    }
}
