using System.Collections.Concurrent;

namespace MailAppliance.Storage.Locks;

/// <summary>Maildrop locks within one process (tests, or a store without PostgreSQL).</summary>
public sealed class InMemoryMaildropLocks : IMaildropLocks
{
    private readonly ConcurrentDictionary<long, byte> _held = new();

    public Task<IAsyncDisposable?> TryAcquireAsync(long mailboxId, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(_held.TryAdd(mailboxId, 0) ? new HeldLock(_held, mailboxId) : null);

    private sealed class HeldLock(ConcurrentDictionary<long, byte> held, long mailboxId) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            held.TryRemove(mailboxId, out _);
            return ValueTask.CompletedTask;
        }
    }
}
