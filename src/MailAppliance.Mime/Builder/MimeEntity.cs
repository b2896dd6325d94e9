using System.Text;

namespace MailAppliance.Mime.Builder;

/// <summary>A part of a message being built: headers of its own plus a body (leaf, multipart, or message).</summary>
public abstract class MimeEntity
{
    private readonly List<KeyValuePair<string, string>> _headers = new();

    /// <summary>Extra header fields of this entity (Content-ID, Content-Description…), values already encoded.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders => _headers;

    /// <summary>Adds a header field; the value must be header-safe (use <see cref="HeaderEncoder"/>).</summary>
    public MimeEntity WithHeader(string name, string value)
    {
        _headers.Add(new KeyValuePair<string, string>(name, value));
        return this;
    }

    /// <summary>Writes the MIME header fields and the body; <paramref name="path"/> makes boundaries stable.</summary>
    internal abstract void Write(MimeWriter writer, string path);

    /// <summary>A text part (UTF-8): 7bit when ASCII with short lines, else quoted-printable.</summary>
    public static MimeEntity Text(string text, string subtype = "plain") => new TextEntity(text, subtype);

    /// <summary>A binary part, base64-encoded, with an optional attachment file name (RFC 2183, RFC 2231).</summary>
    public static MimeEntity Binary(byte[] data, string mediaType, string subtype, string? fileName = null, bool inline = false) =>
        new BinaryEntity(data, mediaType, subtype, fileName, inline);

    /// <summary>A multipart (RFC 2046 §5.1) of the given subtype and parameters (e.g. report-type).</summary>
    public static MimeEntity Multipart(string subtype, IEnumerable<MimeEntity> parts, params KeyValuePair<string, string>[] parameters) =>
        new MultipartEntity(subtype, parts.ToList(), parameters);

    /// <summary>An entity whose body is given verbatim (e.g. message/rfc822, message/delivery-status, text/rfc822-headers).</summary>
    public static MimeEntity Raw(string mediaType, string subtype, byte[] body, string transferEncoding = "7bit") =>
        new RawEntity(mediaType, subtype, body, transferEncoding);

    internal void WriteExtraHeaders(MimeWriter w)
    {
        foreach (var h in _headers)
        {
            w.Field(h.Key, h.Value);
        }
    }
}

internal sealed class TextEntity(string text, string subtype) : MimeEntity
{
    internal override void Write(MimeWriter w, string path)
    {
        var normalized = BodyEncoder.NormalizeLineEnds(text);
        var bytes = Encoding.UTF8.GetBytes(normalized);
        var ascii = bytes.All(b => b < 0x80 && b != 0);
        var lines = normalized.Split("\r\n");
        // RFC 5322 §2.1.1: at most 998 octets per line; QP also protects lines SMTP or mbox would alter, and text
        // that could contain a boundary (ours all hold "=_", which QP never produces).
        var sevenBit = ascii && lines.All(l => l.Length <= 998 && !l.StartsWith('.') && !l.StartsWith("From ", StringComparison.Ordinal))
            && !normalized.Contains("=_", StringComparison.Ordinal);
        w.Field("Content-Type", $"text/{subtype}; charset={(ascii ? "us-ascii" : "utf-8")}");
        w.Field("Content-Transfer-Encoding", sevenBit ? "7bit" : "quoted-printable");
        WriteExtraHeaders(w);
        w.EndHeader();
        w.Body(sevenBit ? normalized : BodyEncoder.QuotedPrintable(bytes));
    }
}

internal sealed class BinaryEntity(byte[] data, string mediaType, string subtype, string? fileName, bool inline) : MimeEntity
{
    internal override void Write(MimeWriter w, string path)
    {
        w.Field("Content-Type", fileName is null ? $"{mediaType}/{subtype}" : $"{mediaType}/{subtype}; {MimeWriter.Parameter("name", fileName)}");
        w.Field("Content-Transfer-Encoding", "base64");
        if (fileName is not null || !inline)
        {
            w.Field("Content-Disposition", (inline ? "inline" : "attachment") + (fileName is null ? string.Empty : "; " + MimeWriter.Parameter("filename", fileName)));
        }

        WriteExtraHeaders(w);
        w.EndHeader();
        w.Body(BodyEncoder.Base64(data));
    }
}

internal sealed class RawEntity(string mediaType, string subtype, byte[] body, string transferEncoding) : MimeEntity
{
    internal override void Write(MimeWriter w, string path)
    {
        w.Field("Content-Type", $"{mediaType}/{subtype}");
        if (transferEncoding != "7bit")
        {
            w.Field("Content-Transfer-Encoding", transferEncoding);
        }

        WriteExtraHeaders(w);
        w.EndHeader();
        w.Body(body);
    }
}

internal sealed class MultipartEntity(string subtype, List<MimeEntity> parts, KeyValuePair<string, string>[] parameters) : MimeEntity
{
    internal override void Write(MimeWriter w, string path)
    {
        var boundary = w.Boundary(path);
        var p = string.Concat(parameters.Select(kv => "; " + MimeWriter.Parameter(kv.Key, kv.Value)));
        w.Field("Content-Type", $"multipart/{subtype}{p}; boundary=\"{boundary}\"");
        WriteExtraHeaders(w);
        w.EndHeader();
        for (var i = 0; i < parts.Count; i++)
        {
            w.Line("--" + boundary);
            parts[i].Write(w, path + "." + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.Line(string.Empty);
        }

        w.Raw("--" + boundary + "--");
    }
}
