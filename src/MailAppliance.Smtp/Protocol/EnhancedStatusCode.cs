using System.Globalization;

namespace MailAppliance.Smtp.Protocol;

/// <summary>
/// An RFC 3463 enhanced mail system status code, <c>class.subject.detail</c> (<c>5.1.1</c>). RFC 3463 §2: class is
/// 2, 4 or 5; subject and detail are numbers of one to three digits without leading zeros (except zero itself).
/// </summary>
public readonly record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    public bool IsSuccess => Class == 2;

    public bool IsTransient => Class == 4;

    public bool IsPermanent => Class == 5;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}");

    public static EnhancedStatusCode Parse(string text) =>
        TryParse(text, out var code) ? code : throw new FormatException($"'{text}' is not an enhanced status code");

    public static bool TryParse(ReadOnlySpan<char> text, out EnhancedStatusCode code)
    {
        code = default;
        if (text.Length < 5 || text[0] is not ('2' or '4' or '5') || text[1] != '.')
        {
            return false;
        }

        var rest = text[2..];
        var dot = rest.IndexOf('.');
        if (dot < 0 || !TryNumber(rest[..dot], out var subject) || !TryNumber(rest[(dot + 1)..], out var detail))
        {
            return false;
        }

        code = new EnhancedStatusCode(text[0] - '0', subject, detail);
        return true;
    }

    /// <summary>
    /// Reads an enhanced code at the start of reply text (RFC 2034 §4: <c>status-code SP text</c>); returns the number
    /// of characters it took, the space after it included, or 0 when the text does not start with one.
    /// </summary>
    public static int TryParsePrefix(ReadOnlySpan<char> text, out EnhancedStatusCode code)
    {
        code = default;
        var end = text.IndexOf(' ');
        var word = end < 0 ? text : text[..end];
        if (word.Length > 9 || !TryParse(word, out code))
        {
            return 0;
        }

        return end < 0 ? word.Length : end + 1;
    }

    private static bool TryNumber(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        if (digits.Length is < 1 or > 3 || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
