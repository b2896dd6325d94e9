using MimeKit;
using MimeKit.Cryptography;

namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// Makes DKIM-Signature fields (RFC 6376) for a message given as its spool bytes, with MimeKit's DkimSigner:
/// relaxed/relaxed canonicalization, the header fields of <see cref="SignedHeaders"/> that the message has, and From
/// signed once more than it occurs so no second From can be added without breaking the signature (RFC 6376 §8.15).
/// The message bytes are not changed: the caller puts the returned fields in front of them.
/// </summary>
public sealed class DkimMessageSigner(TimeProvider? time = null)
{
    /// <summary>Header fields signed when present (RFC 6376 §5.4.1's list, trimmed to what mail clients show or use).</summary>
    public static readonly IReadOnlyList<string> SignedHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
        "Sender", "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc", "Resent-Message-ID",
    ];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// Signs the message at the stream's position (a seekable stream over the spool bytes) with each key, in order;
    /// returns the DKIM-Signature fields, each ending in CRLF, to prepend (the last key's field first, so the
    /// fields read top-down in the order of <paramref name="keys"/>).
    /// </summary>
    public async Task<string> SignAsync(Stream message, IReadOnlyList<DkimSigningKey> keys, CancellationToken cancellationToken = default)
    {
        if (keys.Count == 0)
        {
            return "";
        }

        var parser = new MimeParser(message, MimeFormat.Entity, persistent: message.CanSeek);
        var parsed = await parser.ParseMessageAsync(cancellationToken);
        return Sign(parsed, keys);
    }

    /// <summary>Signs an already parsed message (which gains the fields at its top too).</summary>
    public string Sign(MimeMessage message, IReadOnlyList<DkimSigningKey> keys)
    {
        var present = SignedHeaders.Where(name => message.Headers.Contains(name)).ToList();
        // §8.15 oversigning: one more "from" than there are From fields.
        present.Add("From");
        var fields = new List<string>();
        foreach (var key in keys)
        {
            var signer = new TimedDkimSigner(key.PrivateKey, key.Domain, key.Selector, DkimKeys.MimeKitAlgorithm(key.Algorithm), _time)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            var format = FormatOptions.Default.Clone();
            format.NewLineFormat = NewLineFormat.Dos;
            signer.Sign(format, message, present);
            var header = message.Headers[0];
            var value = System.Text.Encoding.ASCII.GetString(header.RawValue).ReplaceLineEndings("\r\n").TrimEnd('\r', '\n');
            fields.Add(header.Field + ":" + value + "\r\n");
        }

        fields.Reverse();
        return string.Concat(fields);
    }

    // The t= tag from the injected clock.
    private sealed class TimedDkimSigner(Org.BouncyCastle.Crypto.AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, TimeProvider time)
        : DkimSigner(key, domain, selector, algorithm)
    {
        protected override long GetTimestamp() => time.GetUtcNow().ToUnixTimeSeconds();
    }
}
