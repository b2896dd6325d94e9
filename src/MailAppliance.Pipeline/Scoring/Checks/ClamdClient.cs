using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Pipeline.Scoring.Checks;

/// <summary>What clamd said: clean, infected (with the signature's name), or that it could not scan.</summary>
public sealed record ClamdResult(bool Infected, string? Virus, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// A client of clamd's INSTREAM command (clamd(8)): <c>zINSTREAM\0</c>, the message in chunks each preceded by its
/// length as a 4-octet big-endian number, a zero length to end; clamd answers <c>stream: OK</c>,
/// <c>stream: NAME FOUND</c> or <c>… ERROR</c>. The message is streamed from its file, never loaded whole; past
/// <c>maxBytes</c> (clamd's StreamMaxLength) the rest is not sent.
/// </summary>
public sealed class ClamdClient
{
    private const int ChunkSize = 64 * 1024;
    private readonly EndPoint _endpoint;

    public ClamdClient(EndPoint endpoint) => _endpoint = endpoint;

    /// <summary><c>/path</c> or <c>unix:/path</c> for a Unix socket, <c>host:port</c> or <c>[v6]:port</c> for TCP.</summary>
    public static bool TryParseEndpoint(string text, out EndPoint? endpoint)
    {
        endpoint = null;
        text = text.Trim();
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            text = text[5..];
        }

        if (text.StartsWith('/'))
        {
            endpoint = new UnixDomainSocketEndPoint(text);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        endpoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        return true;
    }

    public async Task<ClamdResult> ScanAsync(Stream message, long maxBytes, CancellationToken cancellationToken)
    {
        using var socket = _endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(_endpoint, cancellationToken);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync("zINSTREAM\0"u8.ToArray(), cancellationToken);
            message.Seek(0, SeekOrigin.Begin);
            var buffer = new byte[4 + ChunkSize];
            long sent = 0;
            while (sent < maxBytes)
            {
                var want = (int)Math.Min(ChunkSize, maxBytes - sent);
                var read = await message.ReadAsync(buffer.AsMemory(4, want), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)read);
                await stream.WriteAsync(buffer.AsMemory(0, 4 + read), cancellationToken);
                sent += read;
            }

            await stream.WriteAsync(new byte[4], cancellationToken);
            await stream.FlushAsync(cancellationToken);
            var reply = await ReadReplyAsync(stream, cancellationToken);
            return Interpret(reply);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return new ClamdResult(false, null, e.Message);
        }
    }

    /// <summary>Reads clamd's answer to a z-command: text up to a NUL (or the end of the connection).</summary>
    private static async Task<string> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        var reply = new MemoryStream();
        var buffer = new byte[512];
        while (reply.Length < 4096)
        {
            var n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                break;
            }

            var nul = Array.IndexOf(buffer, (byte)0, 0, n);
            reply.Write(buffer, 0, nul < 0 ? n : nul);
            if (nul >= 0)
            {
                break;
            }
        }

        return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length).Trim();
    }

    internal static ClamdResult Interpret(string reply)
    {
        // "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        var text = reply.StartsWith("stream:", StringComparison.Ordinal) ? reply[7..].Trim() : reply;
        if (text == "OK")
        {
            return new ClamdResult(false, null, null);
        }

        if (text.EndsWith(" FOUND", StringComparison.Ordinal))
        {
            return new ClamdResult(true, text[..^6].Trim(), null);
        }

        return new ClamdResult(false, null, reply.Length == 0 ? "clamd closed the connection without an answer" : reply);
    }
}
