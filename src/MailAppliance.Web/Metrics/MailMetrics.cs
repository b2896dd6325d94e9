using System.Globalization;
using MailAppliance.Storage.Reports;
using Prometheus;

namespace MailAppliance.Web.Metrics;

/// <summary>
/// The appliance's metrics with the names INTERFACE.md fixes, in a registry of their own (no process-wide default
/// registry: two appliances in one test process keep apart). Counters of the message flow are driven by the report
/// events (<see cref="MeteredReportSink"/>), so a metric and a report line can never disagree; gauges are read when
/// scraped.
/// </summary>
public sealed class MailMetrics
{
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private readonly Counter _connections;
    private readonly Counter _messages;
    private readonly Counter _deliveries;
    private readonly Counter _authFailures;
    private readonly Counter _spamVerdicts;
    private readonly Histogram _deliveryDuration;
    private readonly Gauge _queueMessages;
    private readonly Gauge _queueOldest;
    private readonly Gauge _imapSessions;
    private readonly Gauge _pop3Sessions;

    public MailMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _connections = factory.CreateCounter("mailappliance_smtp_connections_total", "SMTP connections accepted, by listener.", "listener");
        _messages = factory.CreateCounter("mailappliance_smtp_messages_total", "SMTP intake decisions per recipient: accepted, rejected or tempfailed, by reason.", "result", "reason");
        _deliveries = factory.CreateCounter("mailappliance_deliveries_total", "Delivery outcomes per recipient route, by transport and result.", "transport", "result");
        _authFailures = factory.CreateCounter("mailappliance_auth_failures_total", "Failed logins, by protocol.", "protocol");
        _spamVerdicts = factory.CreateCounter("mailappliance_spam_verdicts_total", "Spam and virus verdicts given.", "verdict");
        _deliveryDuration = factory.CreateHistogram("mailappliance_delivery_duration_seconds", "How long a delivery attempt took.", new HistogramConfiguration
        {
            Buckets = DurationBuckets,
        });
        _queueMessages = factory.CreateGauge("mailappliance_queue_messages", "Messages with a recipient still waiting in the queue.");
        _queueOldest = factory.CreateGauge("mailappliance_queue_oldest_seconds", "Age of the oldest message still waiting in the queue.");
        _imapSessions = factory.CreateGauge("mailappliance_imap_sessions", "IMAP sessions open now.");
        _pop3Sessions = factory.CreateGauge("mailappliance_pop3_sessions", "POP3 sessions open now.");
    }

    public CollectorRegistry Registry { get; }

    public void ConnectionOpened(string listener) => _connections.WithLabels(listener).Inc();

    public void AuthFailed(string protocol) => _authFailures.WithLabels(protocol).Inc();

    /// <summary>Reads the gauges before each scrape: queue depth and age from the database, sessions from the listeners.</summary>
    public void ReadGaugesBeforeScrape(Func<CancellationToken, Task<QueueSnapshot?>> queue, Func<int> imapSessions, Func<int> pop3Sessions)
    {
        Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            _imapSessions.Set(imapSessions());
            _pop3Sessions.Set(pop3Sessions());
            if (await queue(cancellationToken) is { } snapshot)
            {
                _queueMessages.Set(snapshot.Messages);
                _queueOldest.Set(snapshot.Oldest.TotalSeconds);
            }
        });
    }

    /// <summary>Counts what an event says: an intake decision, a delivery outcome, a verdict.</summary>
    public void Count(ReportEvent e)
    {
        switch (e.Kind)
        {
            case ReportKind.Accepted:
                _messages.WithLabels("accepted", "").Inc();
                break;
            case ReportKind.Rejected:
                _messages.WithLabels(e.Temporary ? "tempfailed" : "rejected", e.MetricReason ?? "other").Inc();
                break;
            default:
                var result = e.Kind.ToString().ToLower(CultureInfo.InvariantCulture);
                // The duration first: a scrape that sees the delivery counted sees its duration too.
                if (e.Duration is { } duration)
                {
                    _deliveryDuration.Observe(duration.TotalSeconds);
                }

                _deliveries.WithLabels(e.Transport ?? "local", result).Inc();

                break;
        }

        if (e.Verdict is { } verdict && e.Kind is ReportKind.Accepted or ReportKind.Rejected)
        {
            _spamVerdicts.WithLabels(ReportStore.Name(verdict)).Inc();
        }
    }

    /// <summary>The Prometheus text exposition of every metric.</summary>
    public async Task WriteAsync(Stream output, CancellationToken cancellationToken) =>
        await Registry.CollectAndExportAsTextAsync(output, cancellationToken);
}

/// <summary>Counts each event in <see cref="MailMetrics"/>, then hands it on (to the batched writer).</summary>
public sealed class MeteredReportSink : IReportSink
{
    private readonly IReportSink _inner;
    private readonly MailMetrics _metrics;

    public MeteredReportSink(IReportSink inner, MailMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    public void Record(ReportEvent reportEvent)
    {
        _metrics.Count(reportEvent);
        _inner.Record(reportEvent);
    }
}
