using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Imap.Tests.Protocol;

public class ImapFlagsTests
{
    private static (MaildirFlags Flags, List<string> Keywords) Parse(string list)
    {
        var arguments = ProtocolInput.Arguments("STORE", "1 FLAGS " + list);
        Assert.True(ImapFlags.TryParse(arguments[2], out var flags, out var keywords, out var error), error);
        return (flags, keywords);
    }

    [Fact]
    public void Format_orders_system_flags_then_keywords()
    {
        Assert.Equal("()", ImapFlags.Format(MaildirFlags.None, []));
        Assert.Equal("(\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)",
            ImapFlags.Format(MaildirFlags.Draft | MaildirFlags.Seen | MaildirFlags.Trashed | MaildirFlags.Flagged | MaildirFlags.Replied, ["Work"]));
    }

    [Fact]
    public void Passed_is_forwarded_once()
    {
        Assert.Equal("($Forwarded)", ImapFlags.Format(MaildirFlags.Passed, ["$Forwarded"]));
        var (flags, keywords) = Parse("($forwarded)");
        Assert.Equal(MaildirFlags.Passed, flags);
        Assert.Empty(keywords);
    }

    [Fact]
    public void Parse_system_flags_case_insensitively_and_keywords_once()
    {
        var (flags, keywords) = Parse("(\\seen \\FLAGGED $Label Work work)");
        Assert.Equal(MaildirFlags.Seen | MaildirFlags.Flagged, flags);
        Assert.Equal(["$Label", "Work"], keywords);
    }

    [Fact]
    public void A_single_flag_without_parentheses()
    {
        Assert.Equal(MaildirFlags.Draft, Parse("\\Draft").Flags);
    }

    [Theory]
    [InlineData("(\\Recent)")]
    [InlineData("(\\Bogus)")]
    [InlineData("(\"quoted\")")]
    [InlineData("((nested))")]
    public void Invalid(string list)
    {
        var arguments = ProtocolInput.Arguments("STORE", "1 FLAGS " + list);
        Assert.False(ImapFlags.TryParse(arguments[2], out _, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Format_then_parse_round_trips()
    {
        foreach (var flags in Enumerable.Range(0, 32).Select(i => (MaildirFlags)0 | FromBits(i)))
        {
            var text = ImapFlags.Format(flags, ["k1"]);
            var (parsed, keywords) = Parse(text);
            Assert.Equal(flags, parsed);
            Assert.Equal(["k1"], keywords);
        }
    }

    private static MaildirFlags FromBits(int bits)
    {
        var flags = MaildirFlags.None;
        for (var i = 0; i < ImapFlags.System.Length; i++)
        {
            if ((bits & (1 << i)) != 0)
            {
                flags |= ImapFlags.System[i].Flag;
            }
        }

        return flags;
    }
}
