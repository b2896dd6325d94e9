using System.Diagnostics.CodeAnalysis;

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

/// <summary>
/// The outcome of an operation that can be refused for reasons the caller must handle (bad names, corrupt files):
/// failures are values, not exceptions (STYLE.md rule 7). I/O errors still surface as exceptions.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "MaildirResult<T>.Ok/Fail read best at call sites.")]
public readonly struct MaildirResult<T>
{
    private readonly T? _value;

    private MaildirResult(T? value, MaildirFailure? failure)
    {
        _value = value;
        Failure = failure;
    }

    /// <summary>The failure, or null on success.</summary>
    public MaildirFailure? Failure { get; }

    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null;

    /// <summary>The value; throws <see cref="InvalidOperationException"/> when the result is a failure.</summary>
    public T Value => Failure is null ? _value! : throw new InvalidOperationException($"No value: {Failure}");

    public static MaildirResult<T> Ok(T value) => new(value, null);

    public static MaildirResult<T> Fail(MaildirFailureKind kind, string reason) => new(default, new MaildirFailure(kind, reason));

    public static MaildirResult<T> Fail(MaildirFailure failure) => new(default, failure);

    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return Failure is null;
    }

    public override string ToString() => Failure is null ? $"Ok({_value})" : $"Fail({Failure})";
}
