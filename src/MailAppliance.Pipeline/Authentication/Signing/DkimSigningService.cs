using System.Collections.Concurrent;
using MailAppliance.Storage.Dkim;
using MimeKit;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>Where signing keys come from: the active keys of one domain.</summary>
public interface IDkimKeySource
{
    Task<IReadOnlyList<DkimSigningKey>> ActiveKeysAsync(string domain, CancellationToken cancellationToken = default);
}

/// <summary>
/// The keys <c>dkim generate</c> made: the index in PostgreSQL, read on every call (so a new key signs the next
/// message of a running <c>serve</c>), and the key files, parsed once per file version.
/// </summary>
public sealed class StoredDkimKeys(DkimKeyStore store) : IDkimKeySource
{
    private readonly ConcurrentDictionary<string, (DateTime Modified, DkimKeyAlgorithm Algorithm, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key)> _parsed = new();

    public async Task<IReadOnlyList<DkimSigningKey>> ActiveKeysAsync(string domain, CancellationToken cancellationToken = default)
    {
        var entries = await store.ListAsync(domain, activeOnly: true, cancellationToken);
        var keys = new List<DkimSigningKey>();
        foreach (var entry in entries)
        {
            var modified = File.GetLastWriteTimeUtc(entry.KeyFile);
            if (!_parsed.TryGetValue(entry.KeyFile, out var cached) || cached.Modified != modified)
            {
                var (algorithm, key) = DkimKeys.ReadPrivateKey(await File.ReadAllTextAsync(entry.KeyFile, cancellationToken));
                _parsed[entry.KeyFile] = cached = (modified, algorithm, key);
            }

            keys.Add(new DkimSigningKey(entry.Domain, entry.Selector, cached.Algorithm, cached.Key));
        }

        return keys;
    }
}

/// <summary>What signing did: the fields to prepend (empty when nothing was signed), and for whom.</summary>
public sealed record DkimSigningOutcome(string Fields, string? Domain, IReadOnlyList<string> Selectors, string? Skipped = null)
{
    public bool Signed => Fields.Length > 0;
}

/// <summary>
/// Signs outgoing mail for its author domain: the RFC5322.From domain, or the nearest parent domain that has keys
/// (a signature by the parent still aligns under DMARC's relaxed mode, RFC 7489 §3.1.1). With several active keys
/// the newest of each algorithm signs, so a domain with RSA and Ed25519 keys gets both signatures (RFC 8463 §4).
/// </summary>
public sealed class DkimSigningService(IDkimKeySource keys, DkimMessageSigner? signer = null)
{
    private readonly DkimMessageSigner _signer = signer ?? new DkimMessageSigner();

    public async Task<DkimSigningOutcome> SignAsync(Stream message, CancellationToken cancellationToken = default)
    {
        var parser = new MimeParser(message, MimeFormat.Entity, persistent: message.CanSeek);
        var parsed = await parser.ParseMessageAsync(cancellationToken);
        var from = parsed.From.Mailboxes.Select(m => m.Domain.TrimEnd('.').ToLowerInvariant()).FirstOrDefault(d => d.Length > 0);
        if (from is null)
        {
            return new DkimSigningOutcome("", null, [], "no From domain");
        }

        var labels = from.Split('.');
        for (var i = 0; i < labels.Length - 1; i++)
        {
            var domain = string.Join('.', labels[i..]);
            var found = await keys.ActiveKeysAsync(domain, cancellationToken);
            if (found.Count == 0)
            {
                continue;
            }

            // The index lists oldest first: the last of each algorithm is the newest.
            var chosen = found.GroupBy(k => k.Algorithm).Select(g => g.Last()).OrderBy(k => k.Algorithm).ToList();
            var fields = _signer.Sign(parsed, chosen);
            return new DkimSigningOutcome(fields, domain, chosen.Select(k => k.Selector).ToList());
        }

        return new DkimSigningOutcome("", from, [], $"no DKIM key for {from}");
    }
}
