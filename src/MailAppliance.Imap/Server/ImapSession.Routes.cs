using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Server;

public sealed partial class ImapSession
{
    private sealed record Route(ImapStates States, Func<ImapSession, ImapCommand, CancellationToken, Task> Handler);

    /// <summary>Every command, the states it is allowed in (RFC 9051 §6), and its handler.</summary>
    private static readonly Dictionary<string, Route> Routes = new(StringComparer.Ordinal)
    {
        // RFC 9051 §6.1: any state.
        ["CAPABILITY"] = new(ImapStates.Any, (s, c, t) => s.CapabilityAsync(c)),
        ["NOOP"] = new(ImapStates.Any, (s, c, t) => s.NoopAsync(c, t)),
        ["LOGOUT"] = new(ImapStates.Any, (s, c, t) => s.LogoutAsync(c)),
        ["ID"] = new(ImapStates.Any, (s, c, t) => s.IdAsync(c)),
        ["COMPRESS"] = new(ImapStates.Any, (s, c, t) => s.CompressAsync(c, t)),

        // §6.2: not authenticated.
        ["STARTTLS"] = new(ImapStates.NotAuthenticated, (s, c, t) => s.StartTlsAsync(c, t)),
        ["LOGIN"] = new(ImapStates.NotAuthenticated, (s, c, t) => s.LoginAsync(c, t)),
        ["AUTHENTICATE"] = new(ImapStates.NotAuthenticated, (s, c, t) => s.AuthenticateAsync(c, t)),

        // §6.3: authenticated (and selected).
        ["ENABLE"] = new(ImapStates.LoggedIn, (s, c, t) => s.EnableAsync(c)),
        ["SELECT"] = new(ImapStates.LoggedIn, (s, c, t) => s.SelectAsync(c, readOnly: false, t)),
        ["EXAMINE"] = new(ImapStates.LoggedIn, (s, c, t) => s.SelectAsync(c, readOnly: true, t)),
        ["CREATE"] = new(ImapStates.LoggedIn, (s, c, t) => s.CreateAsync(c, t)),
        ["DELETE"] = new(ImapStates.LoggedIn, (s, c, t) => s.DeleteAsync(c, t)),
        ["RENAME"] = new(ImapStates.LoggedIn, (s, c, t) => s.RenameAsync(c, t)),
        ["SUBSCRIBE"] = new(ImapStates.LoggedIn, (s, c, t) => s.SubscribeAsync(c, subscribe: true, t)),
        ["UNSUBSCRIBE"] = new(ImapStates.LoggedIn, (s, c, t) => s.SubscribeAsync(c, subscribe: false, t)),
        ["LIST"] = new(ImapStates.LoggedIn, (s, c, t) => s.ListAsync(c, lsub: false, t)),
        ["LSUB"] = new(ImapStates.LoggedIn, (s, c, t) => s.ListAsync(c, lsub: true, t)),
        ["NAMESPACE"] = new(ImapStates.LoggedIn, (s, c, t) => s.NamespaceAsync(c)),
        ["STATUS"] = new(ImapStates.LoggedIn, (s, c, t) => s.StatusAsync(c, t)),
        ["APPEND"] = new(ImapStates.LoggedIn, (s, c, t) => s.AppendAsync(c, t)),
        ["IDLE"] = new(ImapStates.LoggedIn, (s, c, t) => s.IdleAsync(c, t)),
        ["GETQUOTA"] = new(ImapStates.LoggedIn, (s, c, t) => s.GetQuotaAsync(c, t)),
        ["GETQUOTAROOT"] = new(ImapStates.LoggedIn, (s, c, t) => s.GetQuotaRootAsync(c, t)),
        ["SETQUOTA"] = new(ImapStates.LoggedIn, (s, c, t) => s.SetQuotaAsync(c)),
        ["NOTIFY"] = new(ImapStates.LoggedIn, (s, c, t) => s.NotifyAsync(c, t)),
        ["GETMETADATA"] = new(ImapStates.LoggedIn, (s, c, t) => s.GetMetadataAsync(c, t)),
        ["SETMETADATA"] = new(ImapStates.LoggedIn, (s, c, t) => s.SetMetadataAsync(c, t)),

        // §6.4: selected.
        ["CHECK"] = new(ImapStates.Selected, (s, c, t) => s.NoopAsync(c, t)),
        ["CLOSE"] = new(ImapStates.Selected, (s, c, t) => s.CloseAsync(c, expunge: true, t)),
        ["UNSELECT"] = new(ImapStates.Selected, (s, c, t) => s.CloseAsync(c, expunge: false, t)),
        ["EXPUNGE"] = new(ImapStates.Selected, (s, c, t) => s.ExpungeAsync(c, t)),
        ["UID EXPUNGE"] = new(ImapStates.Selected, (s, c, t) => s.ExpungeAsync(c, t)),
        ["SEARCH"] = new(ImapStates.Selected, (s, c, t) => s.SearchAsync(c, t)),
        ["UID SEARCH"] = new(ImapStates.Selected, (s, c, t) => s.SearchAsync(c, t)),
        ["SORT"] = new(ImapStates.Selected, (s, c, t) => s.SortAsync(c, t)),
        ["UID SORT"] = new(ImapStates.Selected, (s, c, t) => s.SortAsync(c, t)),
        ["THREAD"] = new(ImapStates.Selected, (s, c, t) => s.ThreadAsync(c, t)),
        ["UID THREAD"] = new(ImapStates.Selected, (s, c, t) => s.ThreadAsync(c, t)),
        ["CANCELUPDATE"] = new(ImapStates.Selected, (s, c, t) => s.CancelUpdateAsync(c)),
        ["FETCH"] = new(ImapStates.Selected, (s, c, t) => s.FetchAsync(c, t)),
        ["UID FETCH"] = new(ImapStates.Selected, (s, c, t) => s.FetchAsync(c, t)),
        ["STORE"] = new(ImapStates.Selected, (s, c, t) => s.StoreAsync(c, t)),
        ["UID STORE"] = new(ImapStates.Selected, (s, c, t) => s.StoreAsync(c, t)),
        ["COPY"] = new(ImapStates.Selected, (s, c, t) => s.CopyAsync(c, move: false, t)),
        ["UID COPY"] = new(ImapStates.Selected, (s, c, t) => s.CopyAsync(c, move: false, t)),
        ["MOVE"] = new(ImapStates.Selected, (s, c, t) => s.CopyAsync(c, move: true, t)),
        ["UID MOVE"] = new(ImapStates.Selected, (s, c, t) => s.CopyAsync(c, move: true, t)),
    };
}
