namespace MailAppliance.Core.Net;

/// <summary>The outcome of <see cref="BoundedLineReader.TryReadLine"/>.</summary>
public enum LineReadResult
{
    /// <summary>A whole line was read; the buffer was advanced past its line ending.</summary>
    Complete,

    /// <summary>No whole line is buffered yet: read more and call again with the whole buffer.</summary>
    NeedMoreData,

    /// <summary>
    /// The line is longer than the limit. The octets seen so far were consumed, and the reader goes on discarding up
    /// to and including the next LF, so the caller answers the protocol's error and keeps reading.
    /// </summary>
    TooLong,
}
