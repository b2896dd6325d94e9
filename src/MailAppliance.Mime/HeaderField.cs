using System.Text;

namespace MailAppliance.Mime;

/// <summary>
/// One header field as it appears in the raw message: its name, the retained raw value bytes (everything after the
/// colon, folding kept) and where the whole field (name to final line break) lies in the raw message.
/// </summary>
public sealed class HeaderField
{
    private string? _value;

    /// <summary>Creates a field; <paramref name="rawValue"/> is the bytes after the colon without the final line break.</summary>
    public HeaderField(string name, byte[] rawValue, long offset, long length, long crlfLength, bool truncated = false)
    {
        Name = name;
        RawValue = rawValue;
        Offset = offset;
        Length = length;
        CrlfLength = crlfLength;
        IsTruncated = truncated;
    }

    /// <summary>The field name as written (case kept, surrounding whitespace removed).</summary>
    public string Name { get; }

    /// <summary>The raw value bytes after the colon, folding line breaks kept. Empty when not retained.</summary>
    public byte[] RawValue { get; }

    /// <summary>Offset of the field's first byte in the raw message.</summary>
    public long Offset { get; }

    /// <summary>Raw length of the field, including its continuation lines and final line break.</summary>
    public long Length { get; }

    /// <summary>Length when every bare LF is served as CRLF (IMAP terms).</summary>
    public long CrlfLength { get; }

    /// <summary>True when the value was longer than <see cref="MimeParserOptions.MaxHeaderFieldLength"/> and was cut.</summary>
    public bool IsTruncated { get; }

    /// <summary>
    /// The unfolded value (RFC 5322 §2.2.3: CRLF before WSP removed), leading whitespace trimmed, encoded-words kept.
    /// Bytes are read as UTF-8 (RFC 6532) and, when not valid UTF-8, as Latin-1 so no byte is lost.
    /// </summary>
    public string Value => _value ??= Unfold(RawValue);

    /// <summary>The value with RFC 2047 encoded-words decoded (unstructured-field rules).</summary>
    public string DecodedValue => EncodedWords.DecodeUnstructured(Value);

    /// <summary>Unfolds raw header bytes into a string (RFC 5322 §2.2.3), trimming leading and trailing whitespace.</summary>
    public static string Unfold(ReadOnlySpan<byte> raw)
    {
        var text = HeaderText.DecodeBytes(raw);
        if (text.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            return text.Trim(' ', '\t');
        }

        // Line breaks (CRLF or the bare LF of LF-only files) are removed; a lone CR is not a line break and reads
        // as a space (as Dovecot reads it), so it cannot glue two words together.
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n' || (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n'))
            {
                continue;
            }

            sb.Append(c == '\r' ? ' ' : c);
        }

        return sb.ToString().Trim(' ', '\t');
    }

    /// <inheritdoc />
    public override string ToString() => Name + ": " + Value;
}
