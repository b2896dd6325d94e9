namespace MailAppliance.Smtp.Client;

/// <summary>How STARTTLS is used with one server, and what counts as a verified peer.</summary>
public abstract record TlsPolicy
{
    /// <summary>Never STARTTLS (a route configured for plaintext, or the retry after a failed opportunistic handshake).</summary>
    public static TlsPolicy None { get; } = new NoTls("TLS not wanted by policy");

    /// <summary>STARTTLS when offered, any certificate (RFC 7435 opportunistic security); plaintext otherwise.</summary>
    public static TlsPolicy Opportunistic { get; } = new OpportunisticTls();

    /// <summary>STARTTLS is required, the certificate is not checked (Postfix's "encrypt").</summary>
    public static TlsPolicy RequiredUnverified { get; } = new EncryptTls();

    /// <summary>True when delivery fails rather than going on without TLS.</summary>
    public abstract bool IsMandatory { get; }

    /// <summary>A stable text for logs and for the connection cache's key.</summary>
    public abstract string Describe();

    /// <summary>
    /// STARTTLS is required, and the certificate must chain to a trusted root and name one of
    /// <paramref name="Names"/> (RFC 6125; RFC 8461 §4.1 for MTA-STS: the MX host name). An empty list means the
    /// host name connected to.
    /// </summary>
    public static TlsPolicy RequiredVerified(params string[] names) => new VerifyTls(names);

    /// <summary>RFC 7672 DANE with the (DNSSEC-authenticated) TLSA records of the host.</summary>
    public static TlsPolicy Dane(IReadOnlyList<TlsaRecord> records, params string[] names) => new DaneTls(records, names);

    /// <param name="Reason">Why there is no TLS, for the delivery log.</param>
    public sealed record NoTls(string Reason) : TlsPolicy
    {
        public override bool IsMandatory => false;

        public override string Describe() => "none";
    }

    public sealed record OpportunisticTls : TlsPolicy
    {
        public override bool IsMandatory => false;

        public override string Describe() => "may";
    }

    public sealed record EncryptTls : TlsPolicy
    {
        public override bool IsMandatory => true;

        public override string Describe() => "encrypt";
    }

    public sealed record VerifyTls(IReadOnlyList<string> Names) : TlsPolicy
    {
        public override bool IsMandatory => true;

        public override string Describe() => "verify:" + string.Join(',', Names);
    }

    /// <param name="Records">All TLSA records of the host; unusable ones are ignored (RFC 7672 §2.2).</param>
    /// <param name="Names">Reference identifiers for DANE-TA(2): the MX host name and the next-hop domain (RFC 7672 §3.2.2).</param>
    public sealed record DaneTls(IReadOnlyList<TlsaRecord> Records, IReadOnlyList<string> Names) : TlsPolicy
    {
        public override bool IsMandatory => true;

        /// <summary>The records this client can use: DANE-TA(2) and DANE-EE(3) with known selector and matching type.</summary>
        public IReadOnlyList<TlsaRecord> Usable => [.. Records.Where(r => r.IsUsable)];

        public override string Describe() => "dane:" + string.Join(',', Records.Select(r => r.ToString())) + "|" + string.Join(',', Names);
    }
}
