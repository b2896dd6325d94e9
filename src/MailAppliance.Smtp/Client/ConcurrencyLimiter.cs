namespace MailAppliance.Smtp.Client;

/// <summary>
/// Counts sessions in use: at most <c>perDestination</c> to one destination and <c>total</c> in all. A waiter holds
/// no global slot while it waits for its destination's, so one busy destination never starves the others.
/// </summary>
public sealed class ConcurrencyLimiter
{
    private readonly int _perDestination;
    private readonly SemaphoreSlim _total;
    private readonly Dictionary<string, Slot> _destinations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public ConcurrencyLimiter(int perDestination, int total)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perDestination, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(total, 1);
        _perDestination = perDestination;
        _total = new SemaphoreSlim(total, total);
        Total = total;
    }

    public int Total { get; }

    /// <summary>Sessions in use now, in all.</summary>
    public int InUse => Total - _total.CurrentCount;

    /// <summary>Sessions in use now for <paramref name="destination"/>.</summary>
    public int InUseFor(string destination)
    {
        lock (_lock)
        {
            return _destinations.TryGetValue(destination, out var slot) ? _perDestination - slot.Semaphore.CurrentCount : 0;
        }
    }

    /// <summary>Waits for a slot; dispose the lease to give it back.</summary>
    public async Task<Lease> AcquireAsync(string destination, CancellationToken cancellationToken)
    {
        Slot slot;
        lock (_lock)
        {
            if (!_destinations.TryGetValue(destination, out slot!))
            {
                slot = new Slot(new SemaphoreSlim(_perDestination, _perDestination));
                _destinations[destination] = slot;
            }

            slot.Users++;
        }

        try
        {
            await slot.Semaphore.WaitAsync(cancellationToken);
            try
            {
                await _total.WaitAsync(cancellationToken);
            }
            catch
            {
                slot.Semaphore.Release();
                throw;
            }
        }
        catch
        {
            Forget(destination, slot);
            throw;
        }

        return new Lease(this, destination, slot);
    }

    private void Release(string destination, Slot slot)
    {
        _total.Release();
        slot.Semaphore.Release();
        Forget(destination, slot);
    }

    private void Forget(string destination, Slot slot)
    {
        lock (_lock)
        {
            if (--slot.Users == 0)
            {
                _destinations.Remove(destination);
                slot.Semaphore.Dispose();
            }
        }
    }

    internal sealed class Slot(SemaphoreSlim semaphore)
    {
        public SemaphoreSlim Semaphore { get; } = semaphore;

        public int Users { get; set; }
    }

    public sealed class Lease : IDisposable
    {
        private readonly ConcurrencyLimiter _owner;
        private readonly string _destination;
        private readonly Slot _slot;
        private int _released;

        internal Lease(ConcurrencyLimiter owner, string destination, Slot slot)
        {
            _owner = owner;
            _destination = destination;
            _slot = slot;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _owner.Release(_destination, _slot);
            }
        }
    }
}
