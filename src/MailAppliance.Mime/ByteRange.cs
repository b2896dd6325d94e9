namespace MailAppliance.Mime;

/// <summary>A range of the raw message file and its length when served with CRLF line ends.</summary>
/// <param name="Offset">Offset of the first byte in the raw file.</param>
/// <param name="Length">Raw length.</param>
/// <param name="CrlfLength">Length when bare LFs are served as CRLF.</param>
public readonly record struct ByteRange(long Offset, long Length, long CrlfLength);
