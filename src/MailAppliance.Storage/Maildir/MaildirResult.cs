using System.Diagnostics.CodeAnalysis;

namespace MailAppliance.Storage.Maildir;

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
