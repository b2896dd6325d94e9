namespace MailAppliance.Pop3.Protocol;

/// <summary>The POP3 commands this server knows (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH).</summary>
public enum Pop3Verb
{
    User,
    Pass,
    Auth,
    Stls,
    Capa,
    Stat,
    List,
    Retr,
    Dele,
    Noop,
    Rset,
    Quit,
    Top,
    Uidl,
}
