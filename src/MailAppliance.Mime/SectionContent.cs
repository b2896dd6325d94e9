namespace MailAppliance.Mime;

/// <summary>
/// The bytes of a resolved section: raw file ranges served in order, then an empty line (CRLF) when
/// <see cref="AppendCrlf"/> (HEADER.FIELDS responses, by Dovecot's rules: see docs/mime.md).
/// </summary>
/// <param name="Ranges">Raw ranges, in order.</param>
/// <param name="AppendCrlf">Whether a CRLF follows the ranges.</param>
public sealed record SectionContent(IReadOnlyList<ByteRange> Ranges, bool AppendCrlf)
{
    /// <summary>Size served in CRLF terms (the literal size before any partial &lt;start.len&gt;).</summary>
    public long CrlfLength => Ranges.Sum(r => r.CrlfLength) + (AppendCrlf ? 2 : 0);

    /// <summary>Opens a read-only stream of the section as IMAP serves it (CRLF line ends, NUL as 0x80) over a seekable message file.</summary>
    public Stream Open(Stream messageFile, bool leaveOpen = true) => new SectionStream(messageFile, this, 0, long.MaxValue, leaveOpen);

    /// <summary>
    /// Opens a partial fetch <c>&lt;start.length&gt;</c> (RFC 3501 §6.4.5), both in CRLF terms. Ranges whose raw and
    /// CRLF lengths are equal (CRLF files) are skipped by seeking; others are scanned only inside the range that
    /// holds <paramref name="start"/>.
    /// </summary>
    public Stream OpenPartial(Stream messageFile, long start, long length, bool leaveOpen = true) =>
        new SectionStream(messageFile, this, Math.Max(0, start), Math.Max(0, length), leaveOpen);
}
