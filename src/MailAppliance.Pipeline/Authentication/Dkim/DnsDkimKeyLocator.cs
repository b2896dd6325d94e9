using MailAppliance.Pipeline.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// MimeKit's key locator on our resolver: the key record at <c>SELECTOR._domainkey.DOMAIN</c> (RFC 6376 §3.6.2).
/// A missing or revoked key is a permanent failure (§6.1.2), a DNS failure a temporary one; MimeKit's interface
/// knows only exceptions, so <see cref="DkimKeyException"/> carries which, and the verifier turns it back into a
/// result value.
/// </summary>
internal sealed class DnsDkimKeyLocator(IDnsResolver dns) : DkimPublicKeyLocatorBase
{
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        if (!methods.Split(':').Any(m => m.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
        {
            throw new DkimKeyException(temporary: false, $"no supported query method in q={methods}");
        }

        var name = $"{selector}._domainkey.{domain}";
        var txt = await dns.LookupTxtAsync(name, cancellationToken);
        if (txt.IsTemporaryFailure)
        {
            throw new DkimKeyException(temporary: true, $"key lookup {name}: {txt.Status}");
        }

        if (!txt.HasRecords)
        {
            throw new DkimKeyException(temporary: false, $"no key at {name}");
        }

        // §3.6.2.2: several records are ambiguous; use the first that is a key record.
        var record = txt.Records.FirstOrDefault(r => r.Contains("p=", StringComparison.Ordinal)) ?? txt.Records[0];
        var p = record.Split(';').Select(t => t.Trim()).FirstOrDefault(t => t.StartsWith("p=", StringComparison.Ordinal));
        if (p is null || p.Length == 2)
        {
            throw new DkimKeyException(temporary: false, $"key at {name} is revoked (empty p=)");
        }

        try
        {
            return GetPublicKey(record);
        }
        catch (Exception e) when (e is MimeKit.ParseException or FormatException or ArgumentException or NotSupportedException)
        {
            throw new DkimKeyException(temporary: false, $"key at {name} does not parse: {e.Message}");
        }
    }
}

/// <summary>Why a key could not be had, and whether trying later may help.</summary>
internal sealed class DkimKeyException : Exception
{
    public DkimKeyException(bool temporary, string message)
        : base(message) => Temporary = temporary;

    public DkimKeyException()
    {
    }

    public DkimKeyException(string message)
        : base(message)
    {
    }

    public DkimKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Temporary { get; }
}
