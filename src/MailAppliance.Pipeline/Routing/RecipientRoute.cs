using MailAppliance.Storage.Accounts;

namespace MailAppliance.Pipeline.Routing;

/// <summary>Where one recipient of a message goes (DESIGN.md: "per recipient: Pipeline.Routing → RecipientRoute").</summary>
public abstract record RecipientRoute
{
    private RecipientRoute()
    {
    }

    /// <summary>Into a local user's mailbox, with flags to set (sieve, the junk policy).</summary>
    public sealed record Local(LocalUser User, string Mailbox, IReadOnlyList<string> Flags) : RecipientRoute;

    /// <summary>On to an external target of a forward or alias, from <paramref name="Sender"/> (SRS-rewritten).</summary>
    public sealed record Forward(string Target, string Sender) : RecipientRoute;

    /// <summary>Out to a remote domain (submission, relaying for trusted networks).</summary>
    public sealed record Relay(string Recipient, string Domain) : RecipientRoute;

    /// <summary>Dropped on purpose, without a DSN (policy).</summary>
    public sealed record Discard(string Reason) : RecipientRoute
    {
        /// <summary>For a discarded forward: the target it would have gone to, and the score against the threshold.</summary>
        public string? Target { get; init; }

        public double? Score { get; init; }

        public double? Threshold { get; init; }
    }

    /// <summary>A permanent failure, reported by DSN: enhanced status (<c>5.1.1</c>) and reason.</summary>
    public sealed record Bounce(string Status, string Reason) : RecipientRoute;

    /// <summary>The name the queue rows and logs give the route.</summary>
    public string Kind => this switch
    {
        Local => "local",
        Forward => "forward",
        Relay => "relay",
        Discard => "discard",
        _ => "bounce",
    };
}

/// <summary>
/// The routing of one recipient: its routes, or a temporary failure (the directory unreachable, the recipient gone
/// since RCPT) to try again later.
/// </summary>
public sealed record RoutingResult(IReadOnlyList<RecipientRoute> Routes, string? TemporaryFailure)
{
    public static RoutingResult To(params RecipientRoute[] routes) => new(routes, null);

    public static RoutingResult Later(string reason) => new([], reason);
}
