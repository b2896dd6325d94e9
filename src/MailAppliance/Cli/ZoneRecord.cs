using System.Globalization;
using System.Text;

namespace MailAppliance.Cli;

/// <summary>
/// One DNS record to publish, printed as a zone-file line <c>NAME TTL IN TYPE VALUE</c> (RFC 1035 §5.1) with a fully
/// qualified name; a TXT value becomes quoted character-strings of at most 255 octets (RFC 1035 §3.3.14), with
/// <c>"</c> and <c>\</c> escaped. In JSON the value stays whole.
/// </summary>
public sealed record ZoneRecord(string Name, string Type, int Ttl, string Value)
{
    public const int DefaultTtl = 3600;

    public string ToZoneLine() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} {Ttl} IN {Type} {(Type == "TXT" ? QuotedStrings(Value) : Value)}");

    public static string Fqdn(string name) => name.TrimEnd('.') + ".";

    public static string QuotedStrings(string value)
    {
        var octets = Encoding.UTF8.GetBytes(value);
        var pieces = new List<string>();
        var start = 0;
        do
        {
            var length = Math.Min(255, octets.Length - start);
            // Never split a UTF-8 sequence: end the piece before a continuation octet.
            while (start + length < octets.Length && length > 1 && (octets[start + length] & 0xC0) == 0x80)
            {
                length--;
            }

            var piece = Encoding.UTF8.GetString(octets, start, length);
            pieces.Add("\"" + piece.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
            start += length;
        }
        while (start < octets.Length);

        return string.Join(' ', pieces);
    }
}
