using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Spool;

/// <summary>
/// The spool file: a small text header (one <c>Name: value</c> per line, UTF-8, values never contain CR or LF),
/// an empty line, then the message bytes exactly as received.
/// </summary>
public static class SpoolFormat
{
    public const string Magic = "MailAppliance-Spool: 1";
    private const int MaxHeaderBytes = 1024 * 1024;

    public static byte[] Header(SpoolEnvelope envelope)
    {
        var sb = new StringBuilder().Append(Magic).Append('\n');
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                sb.Append(name).Append(": ").Append(Clean(value)).Append('\n');
            }
        }

        Add("Queue-Id", envelope.QueueId);
        Add("Received-At", envelope.ReceivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Add("Mail-From", envelope.MailFrom);
        foreach (var recipient in envelope.Recipients)
        {
            Add("Rcpt-To", recipient);
        }

        Add("Client", envelope.ClientAddress);
        Add("Helo", envelope.Helo);
        Add("Tls", envelope.Tls);
        Add("Auth", envelope.AuthenticatedUser);
        Add("SmtpUtf8", envelope.SmtpUtf8 ? "yes" : null);
        Add("Body", envelope.Body);
        return Encoding.UTF8.GetBytes(sb.Append('\n').ToString());
    }

    /// <summary>Reads the header of a spool file; the stream is left at the first byte of the message.</summary>
    public static SpoolEnvelope? ReadHeader(Stream stream)
    {
        var fields = new List<(string Name, string Value)>();
        var line = new List<byte>();
        var total = 0;
        var first = true;
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0 || ++total > MaxHeaderBytes)
            {
                return null;
            }

            if (b != '\n')
            {
                line.Add((byte)b);
                continue;
            }

            var text = Encoding.UTF8.GetString(line.ToArray());
            line.Clear();
            if (first)
            {
                if (text != Magic)
                {
                    return null;
                }

                first = false;
                continue;
            }

            if (text.Length == 0)
            {
                break;
            }

            var colon = text.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            fields.Add((text[..colon], text[(colon + 2)..]));
        }

        string? One(string name) => fields.LastOrDefault(f => f.Name == name).Value;
        if (One("Queue-Id") is not { } queueId || One("Received-At") is not { } received || One("Mail-From") is not { } from
            || !DateTimeOffset.TryParse(received, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var receivedAt))
        {
            return null;
        }

        return new SpoolEnvelope
        {
            QueueId = queueId,
            ReceivedAt = receivedAt,
            MailFrom = from,
            Recipients = fields.Where(f => f.Name == "Rcpt-To").Select(f => f.Value).ToList(),
            ClientAddress = One("Client"),
            Helo = One("Helo"),
            Tls = One("Tls"),
            AuthenticatedUser = One("Auth"),
            SmtpUtf8 = One("SmtpUtf8") == "yes",
            Body = One("Body") ?? "7BIT",
        };
    }

    private static string Clean(string value) => value.Replace('\r', ' ').Replace('\n', ' ');
}
