namespace MailAppliance.Pipeline.Dns;

/// <summary>One TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type and the association data.</summary>
public sealed record TlsaRecord(byte CertificateUsage, byte Selector, byte MatchingType, ReadOnlyMemory<byte> Data)
{
    public override string ToString() => $"{CertificateUsage} {Selector} {MatchingType} {Convert.ToHexString(Data.Span)}";

    public bool Equals(TlsaRecord? other) =>
        other is not null && CertificateUsage == other.CertificateUsage && Selector == other.Selector
        && MatchingType == other.MatchingType && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(CertificateUsage, Selector, MatchingType, Data.Length);
}
