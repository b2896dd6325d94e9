namespace MailAppliance.Core.Tls;

/// <summary>Where the server certificate comes from (configuration keys <c>Tls:CertificateFile</c>, <c>Tls:KeyFile</c>).</summary>
public sealed record TlsCertificateOptions
{
    /// <summary>PEM: the server certificate first, then its intermediates. Null or empty: use a self-signed certificate.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>PEM private key (PKCS#8, or PKCS#1 RSA / SEC1 EC, unencrypted). Null: the key is in <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Where the self-signed certificate is generated and kept (<c>&lt;DataDirectory&gt;/tls</c>).</summary>
    public string SelfSignedDirectory { get; init; } = "tls";

    /// <summary>The name the self-signed certificate is issued to (the appliance's <c>Hostname</c>); null: the machine's name.</summary>
    public string? HostName { get; init; }

    /// <summary>How often, at most, the PEM files' modification times are looked at (on use, no timer).</summary>
    public TimeSpan ReloadCheckInterval { get; init; } = TimeSpan.FromSeconds(5);
}
