using MailAppliance.Pipeline.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// DKIM (RFC 6376) and ARC (RFC 8617) verification of a parsed message with MimeKit's verifiers and a key locator
/// on our resolver. Every signature gets a result; failures are values.
/// </summary>
public sealed class DkimChecker
{
    // RFC 6376 §6.1: a verifier may limit the signatures it checks; more than this are reported neutral.
    private const int MaxSignatures = 10;

    private readonly DkimVerifier _dkim;
    private readonly ArcVerifier _arc;
    private readonly TimeProvider _time;

    public DkimChecker(IDnsResolver dns, TimeProvider? time = null)
    {
        var locator = new DnsDkimKeyLocator(dns);
        _dkim = new DkimVerifier(locator) { MinimumRsaKeyLength = 1024 };
        _dkim.Disable(DkimSignatureAlgorithm.RsaSha1);
        _arc = new ArcVerifier(locator) { MinimumRsaKeyLength = 1024 };
        _time = time ?? TimeProvider.System;
    }

    /// <summary>One result per DKIM-Signature field, in the order they appear; empty when the message is unsigned.</summary>
    public async Task<IReadOnlyList<DkimResult>> VerifyAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        var results = new List<DkimResult>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            if (results.Count >= MaxSignatures)
            {
                results.Add(new DkimResult(DkimResultCode.Neutral, "", "", "") { Reason = $"more than {MaxSignatures} signatures" });
                continue;
            }

            results.Add(await VerifyOneAsync(message, header, cancellationToken));
        }

        return results;
    }

    /// <summary>The ARC chain's validation (RFC 8617 §5.2).</summary>
    public async Task<ArcResult> VerifyArcAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        var instances = message.Headers.Count(h => h.Id == HeaderId.ArcSeal);
        if (instances == 0)
        {
            return new ArcResult(ArcResultCode.None, 0);
        }

        try
        {
            var result = await _arc.VerifyAsync(message, cancellationToken);
            return result.Chain switch
            {
                ArcSignatureValidationResult.Pass => new ArcResult(ArcResultCode.Pass, instances),
                ArcSignatureValidationResult.None => new ArcResult(ArcResultCode.None, instances),
                _ => new ArcResult(ArcResultCode.Fail, instances, result.ChainErrors == ArcValidationErrors.None ? "chain did not validate" : result.ChainErrors.ToString()),
            };
        }
        catch (DkimKeyException e)
        {
            return new ArcResult(ArcResultCode.Fail, instances, e.Message);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or InvalidOperationException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return new ArcResult(ArcResultCode.Fail, instances, e.Message);
        }
    }

    private async Task<DkimResult> VerifyOneAsync(MimeMessage message, Header header, CancellationToken cancellationToken)
    {
        if (!DkimSignatureTags.TryParse(header.Value, out var tags, out var syntax))
        {
            return new DkimResult(DkimResultCode.PermError, "", "", "") { Reason = syntax };
        }

        var result = new DkimResult(DkimResultCode.Pass, tags.Domain, tags.Selector, tags.Algorithm) { Identity = tags.Identity, SignaturePrefix = tags.SignaturePrefix };
        if (tags.Refusal(_time.GetUtcNow()) is { } refusal)
        {
            return result with { Code = DkimResultCode.PermError, Reason = refusal };
        }

        try
        {
            return await _dkim.VerifyAsync(message, header, cancellationToken)
                ? result
                : result with { Code = DkimResultCode.Fail, Reason = "signature did not verify" };
        }
        catch (DkimKeyException e)
        {
            return result with { Code = e.Temporary ? DkimResultCode.TempError : DkimResultCode.PermError, Reason = e.Message };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return result with { Code = DkimResultCode.TempError, Reason = "no time left to fetch the key" };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or InvalidOperationException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return result with { Code = DkimResultCode.PermError, Reason = e.Message.ReplaceLineEndings(" ") };
        }
    }
}
