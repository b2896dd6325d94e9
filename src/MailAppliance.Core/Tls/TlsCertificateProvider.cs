using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailAppliance.Core.Tls;

/// <summary>
/// The server certificate for every TLS listener and STARTTLS: from PEM files, reloaded when they change, or a
/// self-signed one generated once and reused. Thread-safe; cheap to call per handshake.
/// </summary>
/// <remarks>
/// Reloading happens on use: at most every <see cref="TlsCertificateOptions.ReloadCheckInterval"/> the files'
/// modification times and sizes are compared with those loaded. A new pair that does not load (half-written, key
/// not matching) keeps the old certificate in service and is reported once through the error callback; it is tried
/// again when the files change again. A certificate renewal (certbot and friends) thus needs no restart.
/// </remarks>
public sealed class TlsCertificateProvider
{
    public const string SelfSignedCertificateName = "selfsigned.crt";
    public const string SelfSignedKeyName = "selfsigned.key";
    private static readonly TimeSpan SelfSignedLifetime = TimeSpan.FromDays(3650);

    private readonly TlsCertificateOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<string, Exception> _onError;
    private readonly Lock _lock = new();
    private SslStreamCertificateContext _context;
    private FileStamp _loaded;
    private FileStamp _lastSeen;
    private DateTimeOffset _lastCheck;

    /// <summary>Loads or generates the certificate now; throws, naming the file, if configured files do not load.</summary>
    public TlsCertificateProvider(TlsCertificateOptions options, TimeProvider? timeProvider = null, Action<string, Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _onError = onError ?? ((_, _) => { });
        _lastCheck = _time.GetUtcNow();
        if (UsesFiles)
        {
            _loaded = _lastSeen = FileStamp.Of(CertificateFile, KeyFile);
            try
            {
                _context = LoadPem(CertificateFile, KeyFile);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new InvalidOperationException($"TLS certificate {CertificateFile} with key {KeyFile} cannot be loaded: {ex.Message}", ex);
            }
        }
        else
        {
            _context = LoadOrCreateSelfSigned();
        }
    }

    /// <summary>True when the certificate comes from configured PEM files, false when it is self-signed.</summary>
    public bool UsesFiles => !string.IsNullOrEmpty(_options.CertificateFile);

    /// <summary>The certificate in service (after a reload check).</summary>
    public X509Certificate2 Certificate => GetCertificateContext().TargetCertificate;

    private string CertificateFile => _options.CertificateFile!;

    private string KeyFile => string.IsNullOrEmpty(_options.KeyFile) ? CertificateFile : _options.KeyFile;

    public SslStreamCertificateContext GetCertificateContext()
    {
        if (!UsesFiles)
        {
            return _context;
        }

        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _lastCheck >= _options.ReloadCheckInterval)
            {
                _lastCheck = now;
                ReloadIfChanged();
            }

            return _context;
        }
    }

    /// <summary>
    /// Options for one server handshake (implicit TLS or STARTTLS/STLS): the current certificate, TLS 1.2 and 1.3
    /// only (RFC 8996 deprecates 1.0 and 1.1; RFC 8314 §4.1 asks for current versions), no client certificates,
    /// no renegotiation.
    /// </summary>
    public SslServerAuthenticationOptions CreateServerOptions() => new()
    {
        ServerCertificateContext = GetCertificateContext(),
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateRequired = false,
        AllowRenegotiation = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private void ReloadIfChanged()
    {
        var stamp = FileStamp.Of(CertificateFile, KeyFile);
        if (stamp == _loaded || stamp == _lastSeen)
        {
            return; // unchanged, or a broken version already reported
        }

        _lastSeen = stamp;
        try
        {
            _context = LoadPem(CertificateFile, KeyFile);
            _loaded = stamp;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            _onError($"TLS certificate {CertificateFile} with key {KeyFile} changed but cannot be loaded; the previous certificate stays in use", ex);
        }
    }

    private static SslStreamCertificateContext LoadPem(string certificateFile, string keyFile)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificateFile);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                intermediates.Add(certificate);
            }
        }

        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private SslStreamCertificateContext LoadOrCreateSelfSigned()
    {
        var directory = _options.SelfSignedDirectory;
        var certificatePath = Path.Combine(directory, SelfSignedCertificateName);
        var keyPath = Path.Combine(directory, SelfSignedKeyName);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            try
            {
                var context = LoadPem(certificatePath, keyPath);
                if (context.TargetCertificate.NotAfter > _time.GetUtcNow().UtcDateTime)
                {
                    return context;
                }

                _onError($"the self-signed TLS certificate {certificatePath} has expired; generating a new one", new CryptographicException("certificate expired"));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
            {
                _onError($"the self-signed TLS certificate {certificatePath} cannot be loaded; generating a new one", ex);
            }
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hostName = string.IsNullOrEmpty(_options.HostName) ? Dns.GetHostName() : _options.HostName;
        using var key = RSA.Create(2048);
        using var generated = CreateSelfSigned(hostName, key, _time.GetUtcNow());

        // The key first and with mode 0600 from its creation; each file written aside and renamed into place.
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(certificatePath, generated.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return LoadPem(certificatePath, keyPath);
    }

    /// <summary>RSA 2048 with SHA-256, the host name as subject and SAN (RFC 6125 §6.4.4: clients match the SAN), 10 years.</summary>
    private static X509Certificate2 CreateSelfSigned(string hostName, RSA key, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName($"CN={hostName}"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(hostName, out var address))
        {
            names.AddIpAddress(address);
        }
        else
        {
            names.AddDnsName(hostName);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-1), now.Add(SelfSignedLifetime));
    }

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private readonly record struct FileStamp(DateTime CertificateTime, long CertificateLength, DateTime KeyTime, long KeyLength)
    {
        public static FileStamp Of(string certificateFile, string keyFile)
        {
            var certificate = new FileInfo(certificateFile);
            var key = new FileInfo(keyFile);
            return new FileStamp(
                certificate.Exists ? certificate.LastWriteTimeUtc : default,
                certificate.Exists ? certificate.Length : -1,
                key.Exists ? key.LastWriteTimeUtc : default,
                key.Exists ? key.Length : -1);
        }
    }
}
