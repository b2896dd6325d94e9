namespace MailAppliance.Pipeline.Sieve;

/// <summary>An action a script decided on (RFC 5228 §4), in the order it was first given.</summary>
public abstract record SieveAction(SievePosition Position);

/// <summary>
/// Store the message in a folder: <c>keep</c> (INBOX), <c>fileinto</c>, or the implicit keep. Flags are IMAP flag
/// names (RFC 5232); <see cref="Create"/> asks for the folder to be made if missing (RFC 5490 §3.2);
/// <see cref="Copy"/> means the implicit keep was not cancelled by it (RFC 3894).
/// </summary>
public sealed record SieveStoreAction(SievePosition Position, string Folder, IReadOnlyList<string> Flags, bool Create, bool Copy)
    : SieveAction(Position)
{
    public bool IsInbox => Folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Redirect the message, unchanged, to an address (RFC 5228 §4.2); <see cref="Copy"/> per RFC 3894.</summary>
public sealed record SieveRedirectAction(SievePosition Position, string Address, bool Copy) : SieveAction(Position);

/// <summary>Refuse the message with a reason (RFC 5429): <see cref="Extended"/> for ereject, which prefers an SMTP
/// reply over an MDN.</summary>
public sealed record SieveRejectAction(SievePosition Position, string Reason, bool Extended) : SieveAction(Position);

/// <summary>Throw the message away (RFC 5228 §4.4).</summary>
public sealed record SieveDiscardAction(SievePosition Position) : SieveAction(Position);

/// <summary>
/// A vacation response (RFC 5230): the parameters as the script gave them, and after the checks of RFC 5230 §4.5
/// and RFC 3834 either the <see cref="Reply"/> to submit or why none is sent (<see cref="SuppressedBecause"/>).
/// A dry run (sieve test) evaluates neither.
/// </summary>
public sealed record SieveVacationAction(
    SievePosition Position,
    string Reason,
    string? Subject,
    string? From,
    IReadOnlyList<string> Addresses,
    bool Mime,
    string Handle,
    TimeSpan Period) : SieveAction(Position)
{
    public SieveVacationReply? Reply { get; init; }

    public string? SuppressedBecause { get; init; }
}

/// <summary>A complete reply ready to submit: envelope sender <c>&lt;&gt;</c> (RFC 3834 §3.3), one recipient.</summary>
public sealed record SieveVacationReply(string Recipient, byte[] Message)
{
    /// <summary>RFC 5230 §5.1 / RFC 3834 §3.3: the reply's envelope sender is null.</summary>
    public string EnvelopeSender => string.Empty;
}

/// <summary>One header change of the editheader extension (RFC 5293), in script order.</summary>
public abstract record SieveHeaderEdit;

public sealed record SieveHeaderAdded(string Name, string Value, bool Last) : SieveHeaderEdit;

public sealed record SieveHeaderDeleted(string Name, int Count) : SieveHeaderEdit;

/// <summary>
/// What a run decided: the actions to perform, the implicit keep (null when cancelled), header edits, and the
/// diagnostics. When <see cref="Failed"/> the actions are dropped and the implicit keep stands (RFC 5228 §2.10.6:
/// a run-time error must not lose the message), with the error among <see cref="Diagnostics"/>.
/// </summary>
public sealed class SieveResult
{
    internal SieveResult(IReadOnlyList<SieveAction> actions, SieveStoreAction? implicitKeep, IReadOnlyList<SieveHeaderEdit> edits,
        IReadOnlyList<SieveHeader>? editedHeaders, IReadOnlyList<SieveDiagnostic> diagnostics, bool failed, Func<CancellationToken, ValueTask>? commit)
    {
        Actions = actions;
        ImplicitKeep = implicitKeep;
        HeaderEdits = edits;
        EditedHeaders = editedHeaders;
        Diagnostics = diagnostics;
        Failed = failed;
        _commit = commit;
    }

    private readonly Func<CancellationToken, ValueTask>? _commit;

    public IReadOnlyList<SieveAction> Actions { get; }

    public SieveStoreAction? ImplicitKeep { get; }

    public IReadOnlyList<SieveHeaderEdit> HeaderEdits { get; }

    /// <summary>The whole top-level header after the edits (null when nothing was edited), for the delivery to write
    /// in place of the original header (see <see cref="SieveHeaderRewriter"/>).</summary>
    public IReadOnlyList<SieveHeader>? EditedHeaders { get; }

    public IReadOnlyList<SieveDiagnostic> Diagnostics { get; }

    public bool Failed { get; }

    /// <summary>Every store the message gets: explicit keep and fileinto, then the implicit keep if it stands.</summary>
    public IEnumerable<SieveStoreAction> Stores => Actions.OfType<SieveStoreAction>().Concat(ImplicitKeep is null ? [] : [ImplicitKeep]);

    /// <summary>
    /// Records what must be remembered once the actions were carried out: duplicate-tracking ids (RFC 7352 §3.1:
    /// only when the script completed) and vacation responses sent (RFC 5230 §4.2). Call after delivery succeeded.
    /// </summary>
    public ValueTask CommitAsync(CancellationToken cancellationToken) => _commit?.Invoke(cancellationToken) ?? ValueTask.CompletedTask;
}
