namespace MailAppliance.Pop3.Protocol;

/// <summary>RFC 2449 §8 and RFC 3206 response codes, each named once.</summary>
public static class Pop3ResponseCodes
{
    /// <summary>RFC 2449 §8.1.2: the maildrop is locked by another session.</summary>
    public const string InUse = "IN-USE";

    /// <summary>RFC 3206 §4: a temporary system problem.</summary>
    public const string SysTemp = "SYS/TEMP";

    /// <summary>RFC 3206 §5: the failure is about the credentials or the way they were sent.</summary>
    public const string Auth = "AUTH";
}
