using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>RFC 9051 §3: the session states. A handler that needs a mailbox takes <see cref="Selected"/>.</summary>
public abstract record ImapSessionState
{
    public sealed record NotAuthenticated : ImapSessionState;

    public sealed record Authenticated(MailUser User) : ImapSessionState;

    public sealed record Selected(MailUser User, SelectedMailbox Mailbox) : ImapSessionState;

    public sealed record Logout : ImapSessionState;
}

[Flags]
public enum ImapStates
{
    NotAuthenticated = 1,
    Authenticated = 2,
    Selected = 4,
    Any = NotAuthenticated | Authenticated | Selected,
    LoggedIn = Authenticated | Selected,
}
