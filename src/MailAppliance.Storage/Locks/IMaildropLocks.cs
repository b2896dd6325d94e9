namespace MailAppliance.Storage.Locks;

/// <summary>
/// The exclusive lock RFC 1939 §8 asks for ("the POP3 server acquires an exclusive-access lock on the maildrop"):
/// one POP3 session per mailbox. The lock dies with its holder, so a dropped connection never leaves it stuck.
/// </summary>
public interface IMaildropLocks
{
    /// <summary>The held lock (dispose to release), or null when another session holds it.</summary>
    Task<IAsyncDisposable?> TryAcquireAsync(long mailboxId, CancellationToken cancellationToken);
}
