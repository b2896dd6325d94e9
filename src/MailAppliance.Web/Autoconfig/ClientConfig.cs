using System.Globalization;
using System.Text;
using System.Xml;

namespace MailAppliance.Web.Autoconfig;

/// <summary>One server a mail client is told about: kind (imap, pop3, smtp), port, and how TLS starts.</summary>
public sealed record ClientServer(string Kind, int Port, bool ImplicitTls);

/// <summary>
/// Client configuration documents: Thunderbird's autoconfig (config-v1.1.xml), Outlook's POX autodiscover response,
/// and the MTA-STS policy. Implicit TLS is offered before STARTTLS for each protocol (RFC 8314 §3: implicit TLS is
/// preferred), IMAP before POP3; credentials are the full address with a cleartext password over TLS.
/// </summary>
public static class ClientConfig
{
    /// <summary>The servers in the order clients should prefer them.</summary>
    public static IReadOnlyList<ClientServer> Servers(WebOptions options)
    {
        var servers = new List<ClientServer>();
        void Add(string kind, int? port, bool implicitTls)
        {
            if (port is { } p)
            {
                servers.Add(new ClientServer(kind, p, implicitTls));
            }
        }

        Add("imap", options.Imaps, true);
        Add("imap", options.Imap, false);
        Add("pop3", options.Pop3s, true);
        Add("pop3", options.Pop3, false);
        Add("smtp", options.Submissions, true);
        Add("smtp", options.Submission, false);
        return servers;
    }

    /// <summary>Thunderbird's <c>clientConfig</c> version 1.1 for <paramref name="domain"/>.</summary>
    public static string Thunderbird(WebOptions options, string domain)
    {
        var text = new StringBuilder();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("clientConfig");
            xml.WriteAttributeString("version", "1.1");
            xml.WriteStartElement("emailProvider");
            xml.WriteAttributeString("id", domain);
            xml.WriteElementString("domain", domain);
            xml.WriteElementString("displayName", domain);
            xml.WriteElementString("displayShortName", domain);
            foreach (var server in Servers(options))
            {
                xml.WriteStartElement(server.Kind == "smtp" ? "outgoingServer" : "incomingServer");
                xml.WriteAttributeString("type", server.Kind);
                xml.WriteElementString("hostname", options.Hostname);
                xml.WriteElementString("port", server.Port.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("socketType", server.ImplicitTls ? "SSL" : "STARTTLS");
                xml.WriteElementString("authentication", "password-cleartext");
                xml.WriteElementString("username", "%EMAILADDRESS%");
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return Utf8Declaration(text);
    }

    /// <summary>Outlook's POX autodiscover response (MS-OXDSCLI) for <paramref name="address"/>.</summary>
    public static string Autodiscover(WebOptions options, string address)
    {
        const string Outer = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
        const string Inner = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
        var text = new StringBuilder();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("Autodiscover", Outer);
            xml.WriteStartElement("Response", Inner);
            xml.WriteStartElement("Account", Inner);
            xml.WriteElementString("AccountType", Inner, "email");
            xml.WriteElementString("Action", Inner, "settings");
            foreach (var server in Servers(options))
            {
                xml.WriteStartElement("Protocol", Inner);
                xml.WriteElementString("Type", Inner, server.Kind == "pop3" ? "POP3" : server.Kind.ToUpperInvariant());
                xml.WriteElementString("Server", Inner, options.Hostname);
                xml.WriteElementString("Port", Inner, server.Port.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("LoginName", Inner, address);
                xml.WriteElementString("DomainRequired", Inner, "off");
                xml.WriteElementString("SPA", Inner, "off");
                xml.WriteElementString("SSL", Inner, "on");
                xml.WriteElementString("Encryption", Inner, server.ImplicitTls ? "SSL" : "TLS");
                xml.WriteElementString("AuthRequired", Inner, "on");
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return Utf8Declaration(text);
    }

    /// <summary>The MTA-STS policy (RFC 8461 §3.2): CRLF-ended <c>key: value</c> lines.</summary>
    public static string MtaStsPolicy(WebOptions options)
    {
        var text = new StringBuilder();
        text.Append("version: STSv1\r\n");
        text.Append("mode: ").Append(options.MtaStsMode).Append("\r\n");
        foreach (var mx in options.MtaStsMx.Count > 0 ? options.MtaStsMx : [options.Hostname])
        {
            text.Append("mx: ").Append(mx).Append("\r\n");
        }

        text.Append("max_age: ").Append(((long)options.MtaStsMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return text.ToString();
    }

    // A StringBuilder-backed XmlWriter declares utf-16; the document is sent as UTF-8, and says so.
    private static string Utf8Declaration(StringBuilder text) =>
        text.Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"").ToString();
}
