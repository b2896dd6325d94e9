using System.Text;

namespace MailAppliance.Mime.Tests;

/// <summary>Access to the hand-written corpus in Messages/ and small helpers to build messages in tests.</summary>
internal static class TestMessages
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Messages");

    public static IEnumerable<string> Names => System.IO.Directory.GetFiles(Directory, "*.eml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static MessageStructure Parse(string name, MimeParserOptions? options = null) => MimeParser.Parse(Load(name), options);

    /// <summary>Turns a C# string with \n line ends into CRLF bytes.</summary>
    public static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));

    public static byte[] Lf(string text) => Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal));

    public static string Slice(byte[] raw, long offset, long length) => Encoding.Latin1.GetString(raw, (int)offset, (int)length);

    public static string Section(byte[] raw, MessageStructure s, string section)
    {
        Assert.True(SectionSpec.TryParse(section, out var spec), section);
        var content = s.Resolve(spec);
        if (content is null)
        {
            return "<none>";
        }

        using var ms = new MemoryStream(raw);
        using var stream = content.Open(ms);
        using var outStream = new MemoryStream();
        stream.CopyTo(outStream);
        var bytes = outStream.ToArray();
        Assert.Equal(content.CrlfLength, bytes.Length);
        return Encoding.Latin1.GetString(bytes);
    }
}
