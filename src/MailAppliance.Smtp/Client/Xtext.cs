using System.Globalization;
using System.Text;

namespace MailAppliance.Smtp.Client;

/// <summary>
/// RFC 3461 §4: <c>xtext = *( xchar / hexchar )</c>, where xchar is any printable ASCII character except "+" and
/// "=", and hexchar is "+" followed by two upper-case hex digits. ENVID and ORCPT travel in it.
/// </summary>
public static class Xtext
{
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 33 and <= 126 && b != '+' && b != '=')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('+').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>Decodes xtext; hex digits are accepted in either case. False for anything that is not xtext.</summary>
    public static bool TryDecode(string xtext, out string text)
    {
        ArgumentNullException.ThrowIfNull(xtext);
        text = "";
        var bytes = new List<byte>(xtext.Length);
        for (var i = 0; i < xtext.Length; i++)
        {
            var c = xtext[i];
            if (c == '+')
            {
                if (i + 2 >= xtext.Length || !byte.TryParse(xtext.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                {
                    return false;
                }

                bytes.Add(value);
                i += 2;
            }
            else if (c is >= '!' and <= '~' && c != '=')
            {
                bytes.Add((byte)c);
            }
            else
            {
                return false;
            }
        }

        text = Encoding.UTF8.GetString([.. bytes]);
        return true;
    }
}
