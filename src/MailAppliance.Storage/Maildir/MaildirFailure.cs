namespace MailAppliance.Storage.Maildir;

/// <summary>Why a Maildir operation or parse was refused.</summary>
public enum MaildirFailureKind
{
    /// <summary>A name (mailbox, file, keyword, path segment) is not acceptable.</summary>
    InvalidName,

    /// <summary>A file's content does not follow its format.</summary>
    InvalidFormat,

    /// <summary>The file or directory does not exist.</summary>
    NotFound,

    /// <summary>A fixed limit of the format was reached (e.g. the 26 keyword letters).</summary>
    LimitExceeded,

    /// <summary>The target already exists or the state changed underneath (e.g. a concurrent rename).</summary>
    Conflict,
}

/// <summary>A refusal with its kind and a human-readable reason (for logs; protocol layers map the kind).</summary>
public sealed record MaildirFailure(MaildirFailureKind Kind, string Reason)
{
    public override string ToString() => $"{Kind}: {Reason}";
}
