using System.Globalization;
using MailAppliance.Core.Tls;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Smtp.Server;

/// <summary>The <c>Received:</c> trace field we prepend (RFC 5321 §4.4, protocol names of RFC 3848).</summary>
public static class ReceivedHeader
{
    public static string Format(SpoolEnvelope envelope, string hostname, bool esmtp, TlsSessionInfo? tls)
    {
        var protocol = (envelope.SmtpUtf8 ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP")
            + (tls is not null ? "S" : "") + (envelope.AuthenticatedUser is not null ? "A" : "");
        var text = $"Received: from {envelope.Helo ?? "unknown"} ([{envelope.ClientAddress}])\r\n\tby {hostname} (MailAppliance) with {protocol} id {envelope.QueueId}";
        if (tls is not null)
        {
            text += $"\r\n\t({tls})";
        }

        if (envelope.Recipients.Count == 1)
        {
            text += $"\r\n\tfor <{envelope.Recipients[0].Address}>";
        }

        return text + "; " + envelope.ReceivedAt.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture) + "\r\n";
    }
}
