namespace MailAppliance.Pipeline.Dns;

/// <summary>
/// One MX record. <see cref="Exchange"/> is lower-case without the trailing dot; the root (the null MX of RFC 7505,
/// <c>0 .</c>) is the empty string.
/// </summary>
public sealed record MxRecord(ushort Preference, string Exchange)
{
    /// <summary>RFC 7505 §3: an MX whose exchange is the root says "this domain accepts no mail".</summary>
    public bool IsNull => Exchange.Length == 0;

    public override string ToString() => $"{Preference} {(IsNull ? "." : Exchange)}";
}
