using Microsoft.Extensions.Logging;
using Npgsql;

namespace MailAppliance.Storage.Database;

/// <summary>
/// One LISTEN connection on a PostgreSQL notification channel, kept open: started on first use, reconnected with a
/// growing pause when lost. Whoever owns it hears of every notification, of each (re)connection (anything sent while
/// nobody listened was missed) and of each loss.
/// </summary>
public sealed class ChannelListener : IAsyncDisposable
{
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly NpgsqlDataSource _db;
    private readonly string _channel;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startLock = new();
    private Task? _loop;

    /// <param name="db">Where to listen.</param>
    /// <param name="channel">The channel (an identifier of ours, never user input).</param>
    /// <param name="logger">Where a lost connection is reported.</param>
    public ChannelListener(StorageDatabase db, string channel, ILogger logger)
    {
        _db = db.SessionSource; // LISTEN is the session's
        _channel = channel;
        _logger = logger;
    }

    /// <summary>A notification arrived; the argument is its payload.</summary>
    public event Action<string>? Notified;

    /// <summary>The channel is listened to again (after start or a reconnect): notifications may have been missed.</summary>
    public event Action? Connected;

    /// <summary>The connection was lost; it is being re-established.</summary>
    public event Action? Lost;

    /// <summary>Starts listening, once; later calls do nothing.</summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _db.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) => Notified?.Invoke(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                Connected?.Invoke();
                failures = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(ProbeAfter, cancellationToken))
                    {
                        // Quiet for a while: make sure the connection is still there (a half-open TCP connection
                        // would otherwise wait for ever, hearing nothing).
                        await using var probe = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)ProbeTimeout.TotalSeconds };
                        await probe.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                _logger.LogWarning(e, "Listener on {Channel} lost its connection; reconnecting", _channel);
                Lost?.Invoke();
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * failures)), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
