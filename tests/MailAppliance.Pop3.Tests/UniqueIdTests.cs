using MailAppliance.Pop3.Protocol;

namespace MailAppliance.Pop3.Tests;

public class UniqueIdTests
{
    [Fact]
    public void Matches_Dovecot_default_format()
    {
        // Debian's Dovecot 2.3: pop3_uidl_format = %08Xu%08Xv, sent in lower case.
        Assert.Equal("000000016b029cf6", UniqueId.Format(1795333366, 1));
    }

    [Fact]
    public void Uses_the_full_32_bits()
    {
        Assert.Equal("ffffffff00000001", UniqueId.Format(1, uint.MaxValue));
    }

    [Fact]
    public void Replies_are_status_lines_with_response_codes()
    {
        Assert.Equal("-ERR [IN-USE] Mailbox is locked by another POP3 session", Pop3Replies.MaildropInUse.ToString());
        Assert.Equal("+OK 2 320", Pop3Replies.Stat(2, 320).ToString());
        Assert.Equal("+ \r\n"u8.ToArray(), Pop3Replies.SaslContinuation(""));
    }
}
