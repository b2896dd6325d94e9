using System.Buffers.Text;
using MailAppliance.Mime;

namespace MailAppliance.Imap.Server;

/// <summary>
/// RFC 3516 §4.2: a message APPENDed as literal8 may hold parts in Content-Transfer-Encoding "binary" (NUL bytes,
/// lines of any length), which BODY[] cannot serve in a literal. Such parts are stored in base64 instead, as Dovecot
/// stores them; BINARY[] still gives their decoded bytes.
/// </summary>
public static class BinaryContent
{
    private const int LineLength = 76;

    /// <summary>A copy of <paramref name="message"/> (seekable, at 0) with every binary leaf part in base64, in a temporary file.</summary>
    public static async Task<Stream> EncodeBinaryPartsAsync(Stream message, string tempDirectory, CancellationToken cancellationToken)
    {
        message.Position = 0;
        var structure = await MimeParser.ParseAsync(message, cancellationToken: cancellationToken);
        var output = new FileStream(Path.Combine(tempDirectory, $"binary-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        try
        {
            long copied = 0;
            var parts = structure.Root.Descendants()
                .Where(p => p.Kind == MimePartKind.Leaf && p.ContentTransferEncoding.Equals("binary", StringComparison.OrdinalIgnoreCase))
                .OrderBy(p => p.HeaderOffset);
            foreach (var part in parts)
            {
                var field = part.GetHeader("Content-Transfer-Encoding")!;
                await CopyAsync(message, copied, field.Offset - copied, output, cancellationToken);
                await output.WriteAsync("Content-Transfer-Encoding: base64\r\n"u8.ToArray(), cancellationToken);
                var afterField = field.Offset + field.Length;
                await CopyAsync(message, afterField, part.BodyOffset - afterField, output, cancellationToken);
                await WriteBase64Async(message, part.BodyOffset, part.BodyLength, output, cancellationToken);
                copied = part.BodyOffset + part.BodyLength;
            }

            await CopyAsync(message, copied, message.Length - copied, output, cancellationToken);
            output.Position = 0;
            return output;
        }
        catch
        {
            await output.DisposeAsync();
            throw;
        }
    }

    private static async Task CopyAsync(Stream input, long offset, long length, Stream output, CancellationToken cancellationToken)
    {
        if (length <= 0)
        {
            return;
        }

        input.Position = offset;
        var buffer = new byte[64 * 1024];
        while (length > 0)
        {
            var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken);
            if (read == 0)
            {
                break;
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            length -= read;
        }
    }

    /// <summary>The body in base64 lines of 76 characters (RFC 2045 §6.8), each ended by CRLF but the last.</summary>
    private static async Task WriteBase64Async(Stream input, long offset, long length, Stream output, CancellationToken cancellationToken)
    {
        input.Position = offset;
        var chunk = new byte[LineLength / 4 * 3 * 512];
        var encoded = new byte[Base64.GetMaxEncodedToUtf8Length(chunk.Length)];
        var first = true;
        while (length > 0)
        {
            var want = (int)Math.Min(chunk.Length, length);
            var read = 0;
            while (read < want)
            {
                var n = await input.ReadAsync(chunk.AsMemory(read, want - read), cancellationToken);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read == 0)
            {
                break;
            }

            Base64.EncodeToUtf8(chunk.AsSpan(0, read), encoded, out _, out var written);
            for (var i = 0; i < written; i += LineLength)
            {
                if (!first)
                {
                    await output.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
                }

                first = false;
                await output.WriteAsync(encoded.AsMemory(i, Math.Min(LineLength, written - i)), cancellationToken);
            }

            length -= read;
        }
    }
}
