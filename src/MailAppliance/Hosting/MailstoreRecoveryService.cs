using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// Start-up recovery, before the listeners open and before READY=1: deliveries a crash interrupted after their
/// index commit are finished with the UIDs they were given.
/// </summary>
public sealed class MailstoreRecoveryService : IHostedService
{
    private readonly MailStore _store;
    private readonly ILogger<MailstoreRecoveryService> _logger;

    public MailstoreRecoveryService(MailStore store, ILogger<MailstoreRecoveryService> logger)
    {
        _store = store;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var recovered = await _store.RecoverAsync(cancellationToken);
        if (recovered > 0)
        {
            _logger.LogWarning("Recovered interrupted deliveries of {Users} user(s)", recovered);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
