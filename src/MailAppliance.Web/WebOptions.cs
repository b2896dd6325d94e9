using System.Net;

namespace MailAppliance.Web;

/// <summary>What the HTTP side needs of the configuration (the host maps <c>Http:*</c>, <c>Hostname</c> and the listeners).</summary>
public sealed record WebOptions
{
    /// <summary><c>Http:Listen</c>: plain HTTP addresses (empty: the HTTP side is off).</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [];

    /// <summary><c>Hostname</c>: the name clients are told to connect to.</summary>
    public string Hostname { get; init; } = "localhost";

    /// <summary>Where the console keeps its cookie keys (shared by every node on the same data directory).</summary>
    public string KeyDirectory { get; init; } = "";

    /// <summary>The ports of the mail listeners (null: not configured), for autoconfig and autodiscover.</summary>
    public int? Imaps { get; init; }

    public int? Imap { get; init; }

    public int? Submissions { get; init; }

    public int? Submission { get; init; }

    public int? Pop3s { get; init; }

    public int? Pop3 { get; init; }

    /// <summary><c>Http:MtaStsMode</c>: <c>enforce</c>, <c>testing</c> or <c>none</c> (RFC 8461 §3.2).</summary>
    public string MtaStsMode { get; init; } = "testing";

    /// <summary><c>Http:MtaStsMaxAge</c>: how long senders may cache the policy.</summary>
    public TimeSpan MtaStsMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary><c>Http:MtaStsMx</c>: the MX host names the policy names (default: <c>Hostname</c>).</summary>
    public IReadOnlyList<string> MtaStsMx { get; init; } = [];

    /// <summary>A login over plain HTTP is refused unless it comes from loopback (or <c>Http:AllowPlaintextLogin</c>).</summary>
    public bool AllowPlaintextLogin { get; init; }
}
