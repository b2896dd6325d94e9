using MailAppliance.Core.Net;
using MailAppliance.Web.Metrics;

namespace MailAppliance.Hosting;

/// <summary>
/// The mail listeners of this process as the HTTP side sees them: whether all that are configured accept (readiness),
/// how many sessions each protocol has open (the IMAP and POP3 session gauges), and a count of each connection
/// accepted (<c>mailappliance_smtp_connections_total{listener}</c>).
/// </summary>
public sealed class ListenerRegistry
{
    private readonly Lock _gate = new();
    private readonly List<(string Protocol, string Name, ConnectionListener Listener)> _listeners = [];
    private readonly MailMetrics _metrics;
    private readonly int _expected;
    private bool _stopping;

    /// <param name="metrics">Where connections are counted.</param>
    /// <param name="expected">How many listeners the configuration turns on.</param>
    public ListenerRegistry(MailMetrics metrics, int expected)
    {
        _metrics = metrics;
        _expected = expected;
    }

    /// <summary>True while every configured listener is up, and the process is not stopping.</summary>
    public bool AllUp
    {
        get
        {
            lock (_gate)
            {
                return !_stopping && _listeners.Count >= _expected;
            }
        }
    }

    /// <summary>Sessions open now on the listeners of <paramref name="protocol"/> (<c>IMAP</c>, <c>POP3</c>, <c>SMTP</c>).</summary>
    public int Sessions(string protocol)
    {
        lock (_gate)
        {
            return _listeners.Where(l => l.Protocol == protocol).Sum(l => l.Listener.ConnectionCount);
        }
    }

    /// <summary>Wraps a session runner so that SMTP connections are counted by listener name.</summary>
    public Func<ClientConnection, CancellationToken, Task> Counting(string protocol, string name, Func<ClientConnection, CancellationToken, Task> run)
    {
        if (protocol != "SMTP")
        {
            return run;
        }

        return (connection, token) =>
        {
            _metrics.ConnectionOpened(name);
            return run(connection, token);
        };
    }

    public void Add(string protocol, string name, ConnectionListener listener)
    {
        lock (_gate)
        {
            _listeners.Add((protocol, name, listener));
        }
    }

    /// <summary>The process is stopping: readiness goes at once, before the listeners close.</summary>
    public void Stopping()
    {
        lock (_gate)
        {
            _stopping = true;
        }
    }
}
