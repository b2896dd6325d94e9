using System.Net.Security;
using System.Security.Authentication;

namespace MailAppliance.Core.Tls;

/// <summary>
/// What was negotiated, for logs and for the Received header's TLS clause (RFC 8314 §4.3 asks that the header
/// record the TLS version and cipher, e.g. "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)").
/// </summary>
/// <param name="ServerName">The SNI host name the client asked for (RFC 6066 §3), null when it sent none.</param>
public sealed record TlsSessionInfo(SslProtocols Protocol, TlsCipherSuite CipherSuite, string? ServerName)
{
    public string ProtocolName => Protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => Protocol.ToString(),
    };

    public override string ToString() => $"{ProtocolName} with cipher {CipherSuite}";
}
