namespace MailAppliance.Pop3.Protocol;

/// <summary>The outcome of <see cref="Pop3CommandParser.TryParse"/>.</summary>
public enum Pop3ParseStatus
{
    /// <summary>A command was parsed; the reader is past its line ending.</summary>
    Complete,

    /// <summary>No line ending buffered yet: the reader was not advanced.</summary>
    NeedMoreData,

    /// <summary>The line was consumed but is not a valid command; the error reply says why.</summary>
    Invalid,
}
