namespace MailAppliance.Storage.Maildir;

/// <summary>The subscribed mailboxes read from a <c>subscriptions</c> file, plus the lines that did not decode.</summary>
public sealed record SubscriptionList(IReadOnlyList<MailboxName> Names, IReadOnlyList<string> UnreadableLines)
{
    public static SubscriptionList Empty { get; } = new([], []);

    public bool Contains(MailboxName name) => Names.Contains(name);
}
