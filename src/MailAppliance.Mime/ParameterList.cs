using System.Globalization;
using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// Parameters of a Content-Type or Content-Disposition field (RFC 2045 §5.1), with RFC 2231 continuations, charsets
/// and languages resolved in <see cref="Decoded"/> and kept as written in <see cref="Raw"/>.
/// </summary>
public sealed class ParameterList
{
    private static readonly System.Buffers.SearchValues<char> UnquotedValueEnd = System.Buffers.SearchValues.Create(";( \t\r\n");

    /// <summary>An empty list.</summary>
    public static ParameterList Empty { get; } = new(Array.Empty<KeyValuePair<string, string>>(), Array.Empty<MimeParameter>());

    internal ParameterList(IReadOnlyList<KeyValuePair<string, string>> raw, IReadOnlyList<MimeParameter> decoded)
    {
        Raw = raw;
        Decoded = decoded;
    }

    /// <summary>
    /// Parameters as IMAP shows them (Dovecot's model): plain ones in order with their case, then each RFC 2231
    /// parameter once, its segments joined, named "name*" when extended, value still %-encoded.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Raw { get; }

    /// <summary>Parameters with RFC 2231 continuations joined and values decoded, in first-seen order.</summary>
    public IReadOnlyList<MimeParameter> Decoded { get; }

    /// <summary>Number of decoded parameters.</summary>
    public int Count => Decoded.Count;

    /// <summary>The decoded value of a parameter (case-insensitive name), or null.</summary>
    public string? Get(string name) => Find(name)?.Value;

    /// <summary>The decoded parameter (case-insensitive name), or null.</summary>
    public MimeParameter? Find(string name)
    {
        foreach (var p in Decoded)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Parses "; name=value" pairs from <paramref name="text"/> starting at the tokenizer's position.</summary>
    internal static ParameterList Parse(ref HeaderTokenizer t)
    {
        var plain = new List<KeyValuePair<string, string>>();
        var extended = new List<(string Base, int Index, bool Encoded, string Value)>();
        while (!t.AtEnd)
        {
            t.SkipCfws();
            if (t.Peek == ';')
            {
                t.Position++;
                continue;
            }

            var name = t.ReadToken(TokenKind.Mime);
            t.SkipCfws();
            if (name.Length == 0 || t.Peek != '=')
            {
                SkipToSemicolon(ref t);
                continue;
            }

            t.Position++;
            t.SkipCfws();
            string value;
            if (t.Peek == '"')
            {
                value = t.ReadQuoted();
                SkipToSemicolon(ref t);
            }
            else
            {
                // Tolerate unquoted values holding tspecials ("boundary=Apple-Mail=_X", common in real mail): read
                // up to ';', whitespace or a comment. Like Dovecot, whatever follows whitespace is ignored.
                var rest = t.Rest;
                var end = rest.IndexOfAny(UnquotedValueEnd);
                var raw = end < 0 ? rest : rest[..end];
                t.Position += raw.Length;
                value = raw.ToString();
                SkipToSemicolon(ref t);
            }

            // RFC 2231 §3/§4: name*N, name*N*, name* mark continuations and extended (charset'lang'%XX) values.
            if (name.Contains('*', StringComparison.Ordinal))
            {
                var star = name.IndexOf('*', StringComparison.Ordinal);
                var baseName = name[..star];
                var tail = name[(star + 1)..];
                // "name*" is one encoded value; "name*N" a plain segment; "name*N*" an encoded segment.
                var encoded = tail.Length == 0 || tail.EndsWith('*');
                var number = tail.Length == 0 ? "0" : encoded ? tail[..^1] : tail;
                var index = 0;
                if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out index))
                {
                    extended.Add((baseName, index, encoded, value));
                    continue;
                }
            }

            plain.Add(new KeyValuePair<string, string>(name, value));
        }

        return Build(plain, extended);
    }

    private static ParameterList Build(List<KeyValuePair<string, string>> plain, List<(string Base, int Index, bool Encoded, string Value)> extended)
    {
        var raw = new List<KeyValuePair<string, string>>(plain);
        var decoded = new List<MimeParameter>();
        foreach (var p in plain)
        {
            if (!decoded.Exists(d => string.Equals(d.Name, p.Key, StringComparison.OrdinalIgnoreCase)))
            {
                decoded.Add(new MimeParameter(p.Key.ToLowerInvariant(), p.Value));
            }
        }

        foreach (var group in extended.GroupBy(e => e.Base, StringComparer.OrdinalIgnoreCase))
        {
            var segments = group.OrderBy(s => s.Index).ToList();
            var anyEncoded = segments.Exists(s => s.Encoded);
            raw.Add(new KeyValuePair<string, string>(group.Key + (anyEncoded ? "*" : string.Empty), string.Concat(segments.Select(s => s.Value))));

            string? charset = null;
            string? language = null;
            var bytes = new List<byte>();
            var text = new StringBuilder();
            for (var i = 0; i < segments.Count; i++)
            {
                var (_, _, encoded, value) = segments[i];
                if (encoded && i == 0)
                {
                    // RFC 2231 §4: charset'language'value on the first segment.
                    var q1 = value.IndexOf('\'', StringComparison.Ordinal);
                    var q2 = q1 < 0 ? -1 : value.IndexOf('\'', q1 + 1);
                    if (q2 > q1)
                    {
                        charset = value[..q1];
                        language = value[(q1 + 1)..q2];
                        value = value[(q2 + 1)..];
                    }
                }

                if (encoded)
                {
                    PercentDecode(value, bytes);
                }
                else
                {
                    Flush(bytes, charset, text);
                    text.Append(value);
                }
            }

            Flush(bytes, charset, text);
            var existing = decoded.FindIndex(d => string.Equals(d.Name, group.Key, StringComparison.OrdinalIgnoreCase));
            var param = new MimeParameter(group.Key.ToLowerInvariant(), text.ToString(), string.IsNullOrEmpty(charset) ? null : charset, string.IsNullOrEmpty(language) ? null : language);
            // RFC 2231 §4: the extended form is the better one when a plain fallback is also given.
            if (existing >= 0)
            {
                decoded[existing] = param;
            }
            else
            {
                decoded.Add(param);
            }
        }

        return new ParameterList(raw, decoded);
    }

    private static void Flush(List<byte> bytes, string? charset, StringBuilder text)
    {
        if (bytes.Count == 0)
        {
            return;
        }

        text.Append(Charsets.Decode(bytes.ToArray(), charset));
        bytes.Clear();
    }

    private static void PercentDecode(string value, List<byte> bytes)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add((byte)((Uri.FromHex(value[i + 1]) << 4) | Uri.FromHex(value[i + 2])));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
    }

    private static void SkipToSemicolon(ref HeaderTokenizer t)
    {
        while (!t.AtEnd && t.Peek != ';')
        {
            if (t.Peek == '"')
            {
                t.ReadQuoted();
            }
            else if (t.Peek == '(')
            {
                t.ReadComment();
            }
            else
            {
                t.Position++;
            }
        }
    }
}
