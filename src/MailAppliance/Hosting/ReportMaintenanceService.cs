using MailAppliance.Configuration;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Reports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// Keeps the report log: day partitions made two days ahead and dropped once past <c>Reports:RetentionDays</c>, every
/// hour (any node may do it; the partition functions tolerate a race). At shutdown the writer's buffer is written out.
/// </summary>
public sealed class ReportMaintenanceService : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMinutes(1);
    private readonly ReportStore _store;
    private readonly ReportWriter _writer;
    private readonly ApplianceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReportMaintenanceService> _logger;

    public ReportMaintenanceService(ReportStore store, ReportWriter writer, ApplianceOptions options, TimeProvider time, ILogger<ReportMaintenanceService> logger)
    {
        _store = store;
        _writer = writer;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = Interval;
            try
            {
                var dropped = await _store.MaintainAsync(_time.GetUtcNow(), _options.Reports.RetentionDays, daysAhead: 2, stoppingToken);
                if (dropped.Count > 0)
                {
                    _logger.LogInformation("Report events past {Days} days dropped: {Partitions}", _options.Reports.RetentionDays, string.Join(", ", dropped));
                }
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e))
            {
                _logger.LogWarning(e, "Report partition upkeep failed; retrying");
                next = RetryInterval;
            }

            await Task.Delay(next, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _writer.FlushAndStopAsync(TimeSpan.FromSeconds(5));
    }
}
