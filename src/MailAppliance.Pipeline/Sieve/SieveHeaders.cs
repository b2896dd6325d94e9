using System.Text;
using MailAppliance.Mime.Builder;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>Field-name rules of editheader (RFC 5293) and writing the edited header in place of the original.</summary>
public static class SieveHeaders
{
    /// <summary>RFC 5322 §3.6.8: a field name is 1*ftext, printable US-ASCII except ':'.</summary>
    public static bool IsFieldName(string name) => name.Length > 0 && name.All(c => c is >= '!' and <= '~' and not ':');

    /// <summary>RFC 5293 §6: Received and Auto-Submitted are never deleted (loop and auto-reply detection).</summary>
    public static bool IsProtected(string name) =>
        name.Equals("Received", StringComparison.OrdinalIgnoreCase) || name.Equals("Auto-Submitted", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 5293 §4: a value with non-ASCII text is stored as RFC 2047 encoded-words.</summary>
    public static string EncodeValue(string value) => HeaderEncoder.Unstructured(value);
}

/// <summary>Writes a message with a script's edited header: the new header block, then the original body bytes.</summary>
public static class SieveHeaderRewriter
{
    public static void Write(Stream original, SieveResult result, Stream output)
    {
        original.Seek(0, SeekOrigin.Begin);
        if (result.EditedHeaders is null)
        {
            original.CopyTo(output);
            return;
        }

        var structure = Mime.MimeParser.Parse(original);
        var header = new StringBuilder();
        foreach (var h in result.EditedHeaders)
        {
            header.Append(h.Name).Append(": ").Append(h.Value).Append("\r\n");
        }

        header.Append("\r\n");
        var bytes = Encoding.UTF8.GetBytes(header.ToString());
        output.Write(bytes);
        original.Seek(structure.Root.BodyOffset, SeekOrigin.Begin);
        original.CopyTo(output);
    }
}
