using System.Globalization;
using System.Text;

namespace MailAppliance.Imap.Protocol;

/// <summary>
/// An IMAP sequence set (RFC 9051 §9 sequence-set): ranges of numbers where <c>*</c> is the largest number in use,
/// or <c>$</c> (RFC 5182 SEARCHRES; not offered, so refused).
/// </summary>
public sealed class SequenceSet
{
    private readonly (uint Low, uint High, bool LowStar, bool HighStar)[] _ranges;

    private SequenceSet((uint, uint, bool, bool)[] ranges) => _ranges = ranges;

    public static bool TryParse(string text, out SequenceSet? set)
    {
        set = null;
        if (string.IsNullOrEmpty(text) || text.Length > 1_000_000)
        {
            return false;
        }

        var ranges = new List<(uint, uint, bool, bool)>();
        foreach (var piece in text.Split(','))
        {
            var colon = piece.IndexOf(':', StringComparison.Ordinal);
            var left = colon < 0 ? piece : piece[..colon];
            var right = colon < 0 ? piece : piece[(colon + 1)..];
            if (!TryNumber(left, out var low, out var lowStar) || !TryNumber(right, out var high, out var highStar))
            {
                return false;
            }

            ranges.Add((low, high, lowStar, highStar));
        }

        set = new SequenceSet(ranges.ToArray());
        return true;
    }

    private static bool TryNumber(string text, out uint value, out bool star)
    {
        star = text == "*";
        value = 0;
        // RFC 9051 §9: nz-number, no leading zero.
        return star || (text.Length > 0 && text[0] != '0' && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0);
    }

    /// <summary>Whether <paramref name="n"/> is in the set, with <c>*</c> meaning <paramref name="largest"/>.</summary>
    public bool Contains(uint n, uint largest)
    {
        foreach (var (low, high, lowStar, highStar) in _ranges)
        {
            var a = lowStar ? largest : low;
            var b = highStar ? largest : high;
            if (a > b)
            {
                (a, b) = (b, a);
            }

            if (n >= a && n <= b)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The ranges with <c>*</c> resolved, each low ≤ high.</summary>
    public IEnumerable<(uint Low, uint High)> Resolve(uint largest)
    {
        foreach (var (low, high, lowStar, highStar) in _ranges)
        {
            var a = lowStar ? largest : low;
            var b = highStar ? largest : high;
            yield return a <= b ? (a, b) : (b, a);
        }
    }

    /// <summary>Writes sorted numbers as a compact set (<c>1:3,7,9:10</c>), as in COPYUID and ESEARCH.</summary>
    public static string Format(IEnumerable<uint> numbers)
    {
        var text = new StringBuilder();
        uint? start = null;
        uint previous = 0;
        foreach (var n in numbers)
        {
            if (start is null)
            {
                start = n;
            }
            else if (n != previous + 1)
            {
                Append(text, start.Value, previous);
                start = n;
            }

            previous = n;
        }

        if (start is not null)
        {
            Append(text, start.Value, previous);
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, uint start, uint end)
    {
        if (text.Length > 0)
        {
            text.Append(',');
        }

        text.Append(start.ToString(CultureInfo.InvariantCulture));
        if (end != start)
        {
            text.Append(':').Append(end.ToString(CultureInfo.InvariantCulture));
        }
    }
}
