namespace MailAppliance.Pop3.Server;

/// <summary>RFC 1939 §3: a session is in the AUTHORIZATION state until login, then in the TRANSACTION state.</summary>
public abstract record Pop3SessionState
{
    private Pop3SessionState()
    {
    }

    /// <summary>Before login; <see cref="User"/> is the name a USER command gave, waiting for PASS.</summary>
    public sealed record Authorization(string? User) : Pop3SessionState;

    /// <summary>Logged in: the maildrop is locked and its snapshot taken.</summary>
    public sealed record Transaction(Maildrop Maildrop, IAsyncDisposable Lock) : Pop3SessionState;
}

/// <summary>The states a command is allowed in (the dispatch table says which).</summary>
[Flags]
public enum Pop3States
{
    Authorization = 1,
    Transaction = 2,
    Any = Authorization | Transaction,
}
