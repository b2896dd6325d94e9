using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Text;
using MailAppliance.Core.Net;

namespace MailAppliance.Core.Tests.Net;

/// <summary>
/// A toy protocol on the real connection, as the SMTP/IMAP/POP3 sessions will drive it: "250 &lt;line&gt;" for each
/// line (with " tls" once encrypted), "500" for a long line, STARTTLS, QUIT.
/// </summary>
public sealed class LineSession(Func<SslServerAuthenticationOptions>? tls = null, int maxLine = 64)
{
    /// <summary>Set on STARTTLS: whether plaintext was pipelined after it, and how much was dropped.</summary>
    public bool HadBufferedInputAtStartTls { get; private set; }

    public long DiscardedAtStartTls { get; private set; }

    public async Task RunAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        var reader = new BoundedLineReader(maxLine);
        await Write(connection.Output, $"220 ready {connection.SessionId}", cancellationToken);
        while (true)
        {
            var input = connection.Input;
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = reader.TryReadLine(ref buffer, out var line);
            if (status == LineReadResult.NeedMoreData)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }

                continue;
            }

            var text = Encoding.UTF8.GetString(line);
            input.AdvanceTo(buffer.Start); // one command at a time: the rest stays unconsumed
            if (status == LineReadResult.TooLong)
            {
                await Write(connection.Output, "500 5.5.2 line too long", cancellationToken);
                continue;
            }

            switch (text)
            {
                case "QUIT":
                    await Write(connection.Output, "221 bye", cancellationToken);
                    return;
                case "STARTTLS" when tls is not null && !connection.IsTls:
                    HadBufferedInputAtStartTls = connection.HasBufferedInput;
                    await Write(connection.Output, "220 go ahead", cancellationToken);
                    await connection.UpgradeToTlsAsync(tls(), cancellationToken);
                    DiscardedAtStartTls = connection.DiscardedPlaintextOctets;
                    reader.Reset();
                    break;
                case "TLSINFO":
                    await Write(connection.Output, $"250 {connection.TlsInfo}", cancellationToken);
                    break;
                default:
                    await Write(connection.Output, $"250 {text}{(connection.IsTls ? " tls" : "")}", cancellationToken);
                    break;
            }
        }
    }

    private static async Task Write(PipeWriter output, string line, CancellationToken cancellationToken)
    {
        output.Write(Encoding.UTF8.GetBytes(line + "\r\n"));
        await output.FlushAsync(cancellationToken);
    }
}
