using System.Globalization;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// Generates unique parts of new message file names in Dovecot's form <c>&lt;secs&gt;.M&lt;usecs&gt;P&lt;pid&gt;.&lt;host&gt;</c>.
/// Like Dovecot, uniqueness within a process comes from never handing out the same (seconds, microseconds) twice:
/// when the clock has not advanced, the last value is bumped by one microsecond. Uniqueness across processes comes
/// from the pid and the host. Use one instance per process (a singleton); delivery additionally creates tmp files
/// with O_EXCL and moves them without overwriting, so a collision is detected and retried, never clobbered.
/// </summary>
public sealed class MaildirNameGenerator
{
    private readonly TimeProvider _time;
    private readonly string _pid;
    private readonly string _host;
    private readonly Lock _gate = new();
    private long _lastMicroseconds;

    public MaildirNameGenerator(TimeProvider time, int processId, string hostName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(processId);
        ArgumentException.ThrowIfNullOrEmpty(hostName);
        _time = time;
        _pid = processId.ToString(CultureInfo.InvariantCulture);
        _host = MaildirFileName.EscapeHostName(hostName);
    }

    /// <summary>A generator for this process: <see cref="Environment.ProcessId"/> and <see cref="Environment.MachineName"/>.</summary>
    public static MaildirNameGenerator ForCurrentProcess(TimeProvider time) =>
        new(time, Environment.ProcessId, Environment.MachineName);

    /// <summary>The next unique part (no <c>,S=</c> fields, no info): the tmp/ file name of a delivery.</summary>
    public string NextUniquePart()
    {
        var now = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        long micros;
        lock (_gate)
        {
            micros = now > _lastMicroseconds ? now : _lastMicroseconds + 1;
            _lastMicroseconds = micros;
        }

        var seconds = micros / 1_000_000;
        var usecs = micros % 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.M{usecs}P{_pid}.{_host}");
    }
}
