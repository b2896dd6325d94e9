namespace MailAppliance.Storage.Queue;

/// <summary>
/// Group commit for one kind of statement: items added while a batch is being written go into the next batch, so
/// concurrent callers share a round trip and a commit, and a lone caller waits for nobody (no timer). A failed batch
/// fails each of its callers; the next batch is tried afresh.
/// </summary>
internal sealed class StatementBatcher<T>
{
    private readonly StatementBatcher<T, bool> _inner;

    public StatementBatcher(Func<List<T>, Task> write) => _inner = new StatementBatcher<T, bool>(async batch =>
    {
        await write(batch);
        return new bool[batch.Count];
    });

    /// <summary>Completes when the batch holding <paramref name="item"/> is written. A caller's cancellation stops its
    /// wait, never a statement that carries other callers' items too.</summary>
    public Task AddAsync(T item, CancellationToken cancellationToken) => _inner.AddAsync(item, cancellationToken);
}

/// <summary>The same, for a statement that answers each item (the write returns one result per item, in order).</summary>
internal sealed class StatementBatcher<T, TResult>
{
    private readonly Func<List<T>, Task<IReadOnlyList<TResult>>> _write;
    private readonly Lock _gate = new();
    private List<(T Item, TaskCompletionSource<TResult> Done)> _pending = [];
    private bool _running;

    public StatementBatcher(Func<List<T>, Task<IReadOnlyList<TResult>>> write) => _write = write;

    public Task<TResult> AddAsync(T item, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = false;
        lock (_gate)
        {
            _pending.Add((item, done));
            if (!_running)
            {
                _running = true;
                start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(WriteBatchesAsync, CancellationToken.None);
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteBatchesAsync()
    {
        while (true)
        {
            List<(T Item, TaskCompletionSource<TResult> Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = _pending;
                _pending = [];
            }

            try
            {
                var results = await _write(batch.Select(p => p.Item).ToList());
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.SetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                batch.ForEach(p => p.Done.SetException(e));
            }
        }
    }
}
