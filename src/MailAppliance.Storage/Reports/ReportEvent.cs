using System.Text.Json.Serialization;

namespace MailAppliance.Storage.Reports;

/// <summary>What was decided about a message or a connection (INTERFACE.md "Reports": the <c>kind</c> of an event).</summary>
public enum ReportKind
{
    Rejected,
    Accepted,
    Delivered,
    Forwarded,
    Discarded,
    Deferred,
    Bounced,
}

/// <summary>The SMTP stage a rejection happened at.</summary>
public enum ReportStage
{
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}

/// <summary>A spam or virus verdict carried by an event.</summary>
public enum ReportVerdict
{
    Ham,
    Spam,
    Virus,
}

/// <summary>One scoring rule that fired, with its score.</summary>
public sealed record ReportSymbol(string Name, double Score);

/// <summary>
/// One decision of the message flow, with exactly the fields INTERFACE.md names; a field that does not apply stays
/// null. Addresses are given in full. <see cref="Time"/> left at its default is stamped when the event is recorded.
/// </summary>
public sealed record ReportEvent
{
    public DateTimeOffset Time { get; init; }

    public required ReportKind Kind { get; init; }

    public ReportStage? Stage { get; init; }

    public string? QueueId { get; init; }

    public string? MessageId { get; init; }

    public string? Sender { get; init; }

    public string? Recipient { get; init; }

    /// <summary>The authenticated user (submission), or the local user a message was delivered to.</summary>
    public string? User { get; init; }

    public string? Domain { get; init; }

    public string? ClientIp { get; init; }

    /// <summary>The reply given (a rejection) or received (a remote server's answer), verbatim.</summary>
    public string? Reply { get; init; }

    public string? Reason { get; init; }

    public string? Folder { get; init; }

    public string? Target { get; init; }

    public string? SrsSender { get; init; }

    public double? Score { get; init; }

    public double? Threshold { get; init; }

    public ReportVerdict? Verdict { get; init; }

    public IReadOnlyList<ReportSymbol>? Symbols { get; init; }

    /// <summary>For metrics only, never stored: the transport of a delivery decision (<c>local</c> or <c>smtp</c>).</summary>
    [JsonIgnore]
    public string? Transport { get; init; }

    /// <summary>For metrics only, never stored: how long the delivery attempt took.</summary>
    [JsonIgnore]
    public TimeSpan? Duration { get; init; }

    /// <summary>For metrics only, never stored: why a message was refused, as a short label (<c>unknown_user</c>).</summary>
    [JsonIgnore]
    public string? MetricReason { get; init; }

    /// <summary>For metrics only: the refusal was temporary (a 4xx reply), counted as <c>tempfailed</c>.</summary>
    [JsonIgnore]
    public bool Temporary { get; init; }
}

/// <summary>A stored event with its position in the log (ids grow with insertion; followers read "after id N").</summary>
public sealed record ReportEntry(long Id, ReportEvent Event);

/// <summary>Somewhere to record decisions. <see cref="Record"/> never blocks and never fails the mail flow.</summary>
public interface IReportSink
{
    void Record(ReportEvent reportEvent);
}

/// <summary>Records nothing (reports turned off, or a component built without them).</summary>
public sealed class NullReportSink : IReportSink
{
    public static NullReportSink Instance { get; } = new();

    public void Record(ReportEvent reportEvent)
    {
    }
}
