using System.Reflection;
using System.Text.RegularExpressions;
using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

/// <summary>
/// STYLE.md rule 5: every IMAP response code is named once, in <see cref="ImapCodes"/>, and the replies that carry
/// them in <see cref="ImapReplies"/>; rule 7: a client never reads an exception's text.
/// </summary>
public sealed partial class ImapRepliesTests
{
    // RFC 9051 §7.1, RFC 5530 and the extensions that define codes (RFC 4315, 4469, 4978, 5182, 5464, 5465, 6154, 7162, 8474).
    private static readonly HashSet<string> Registered =
    [
        "ALERT", "ALREADYEXISTS", "APPENDUID", "AUTHENTICATIONFAILED", "BADCHARSET", "BADCOMPARATOR", "BADEVENT", "BADURL", "CANNOT",
        "CAPABILITY", "CLIENTBUG", "CLOSED", "COMPRESSIONACTIVE", "COPYUID", "HIGHESTMODSEQ", "INUSE", "LIMIT", "MAILBOXID", "METADATA",
        "MODIFIED", "NOMODSEQ", "NONEXISTENT", "NOPERM", "NOTSAVED", "OVERQUOTA", "PARSE", "PERMANENTFLAGS", "PRIVACYREQUIRED",
        "READ-ONLY", "READ-WRITE", "SERVERBUG", "TOOBIG", "TRYCREATE", "UIDNEXT", "UIDVALIDITY", "UNAVAILABLE", "UNKNOWN-CTE", "UNSEEN",
        "USEATTR",
    ];

    [Fact]
    public void Every_code_is_a_registered_one_and_named_once()
    {
        var codes = typeof(ImapCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Contains(c, Registered));
    }

    [Fact]
    public void Every_catalogued_reply_carries_a_known_code_and_generic_text()
    {
        var replies = typeof(ImapReplies).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (ImapReply)f.GetValue(null)!).ToList();
        Assert.NotEmpty(replies);
        foreach (var reply in replies)
        {
            Assert.NotEqual(ImapStatus.Ok, reply.Status);
            Assert.True(reply.Code is null || Registered.Contains(reply.Code.Split(' ')[0]), reply.ToString());
            Assert.Matches(@"^[A-Z][A-Za-z ,\-]+$", reply.Text);
        }

        Assert.Equal("[TRYCREATE] No such mailbox", ImapReplies.TryCreate.ToString());
        Assert.Equal("NO", ImapReplies.ServerBug.StatusWord);
        Assert.Equal("[UNAVAILABLE] Temporary failure, try again later", ImapReplies.Unavailable.ToString());
        Assert.Equal("BADCHARSET (UTF-8 US-ASCII)", ImapReplies.BadCharset("UTF-8 US-ASCII"));
    }

    [Fact]
    public void No_handler_writes_a_code_of_its_own_or_an_exception_message()
    {
        var source = SourceDirectory();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.EndsWith("ImapReplies.cs", StringComparison.Ordinal) || file.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var text = File.ReadAllText(file);
            Assert.False(LiteralCode().IsMatch(text), $"{file} writes a response code as a literal: {LiteralCode().Match(text).Value}");
            Assert.False(ExceptionText().IsMatch(text), $"{file} sends an exception's message: {ExceptionText().Match(text).Value}");
        }
    }

    private static string SourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "MailAppliance.Imap");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("src/MailAppliance.Imap not found above " + AppContext.BaseDirectory);
    }

    // "[TRYCREATE] ..." written by hand instead of through the catalogue.
    [GeneratedRegex("\"\\[[A-Z][A-Z-]{3,}[\\] ]")]
    private static partial Regex LiteralCode();

    // An exception's message on its way to the client: e.Message in a reply.
    [GeneratedRegex(@"(NoAsync|BadAsync|Tagged|Raw)\([^;]*\.Message\b")]
    private static partial Regex ExceptionText();
}
