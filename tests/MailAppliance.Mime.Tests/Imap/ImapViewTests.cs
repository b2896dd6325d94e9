using System.Text;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Mime.Tests.Imap;

/// <summary>
/// RFC 3501 §7.4.2 / RFC 9051 §7.5.2 views with expectations written out (taken from Dovecot's answers), so the
/// format is visible here; the oracle test checks the whole corpus.
/// </summary>
public sealed class ImapViewTests
{
    private static string View(Func<MessageStructure, bool, byte[]> view, string name, bool utf8 = false) =>
        Encoding.Latin1.GetString(view(TestMessages.Parse(name), utf8));

    [Fact]
    public void Bodystructure_of_a_multipart_with_defaults_and_extension_data()
    {
        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL)",
            View(ImapViews.BodyStructure, "multipart-lf.eml"));
        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0) \"mixed\")",
            View(ImapViews.Body, "multipart-lf.eml"));
    }

    [Fact]
    public void Bodystructure_keeps_case_and_rfc2231_raw_form()
    {
        Assert.StartsWith("(\"TEXT\" \"Plain\" (\"CHARSET\" \"UTF-8\" \"Format\" \"flowed\") NIL NIL \"Quoted-Printable\"", View(ImapViews.BodyStructure, "utf8-headers-smtputf8.eml"), StringComparison.Ordinal);
        Assert.Contains("(\"attachment\" (\"size\" \"3\" \"filename*\" \"utf-8''%E2%82%AC%20rates.txt\")) (\"en\" \"de\") \"http://x/y\")", View(ImapViews.BodyStructure, "rfc2231-params.eml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Message_rfc822_part_has_envelope_body_and_lines()
    {
        Assert.Equal(
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 22 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL)",
            View(ImapViews.BodyStructure, "multipart-with-rfc822.eml"));
    }

    [Fact]
    public void Envelope_with_groups_comments_missing_parts_and_literals()
    {
        var envelope = View(ImapViews.Envelope, "addresses-torture.eml");
        Assert.StartsWith("(\"Thu, 13 Feb 1969 23:32:54 -0330\" {24}\r\n=?utf-8?B?w6k=?= \"q\" \\ x ((", envelope, StringComparison.Ordinal);
        Assert.Contains("(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)", envelope, StringComparison.Ordinal);
        Assert.Contains("(NIL NIL \"broken\" \"MISSING_DOMAIN\")", envelope, StringComparison.Ordinal);
        Assert.Contains("((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))", envelope, StringComparison.Ordinal); // Reply-To: <>
        Assert.Contains("(\"John Doe\" NIL \"jdoe\" \"one.test\")", envelope, StringComparison.Ordinal);
        Assert.EndsWith("\"<x@y> <z@w>\" \"<abc@def>  \")", envelope, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_folds_subject_for_humans_and_defaults_sender_and_reply_to()
    {
        var envelope = View(ImapViews.Envelope, "folded-and-empty-headers.eml");
        Assert.StartsWith("(NIL {16}\r\na folded subject ", envelope, StringComparison.Ordinal);
        Assert.Equal("(NIL \"second\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"s\" \"b.c\")) ((NIL NIL \"r\" \"b.c\")) NIL NIL ((NIL NIL \"b\" \"b.c\")) NIL NIL)", View(ImapViews.Envelope, "alternative-crlf.eml"));
    }

    [Fact]
    public void Eight_bit_strings_are_literals_unless_utf8_accept()
    {
        var literal = Encoding.UTF8.GetString(ImapViews.Envelope(TestMessages.Parse("utf8-headers-smtputf8.eml")));
        Assert.StartsWith("(NIL {9}\r\ncafé ☃ (({5}\r\nJörg NIL", literal, StringComparison.Ordinal); // sizes in octets
        var accepted = Encoding.UTF8.GetString(ImapViews.Envelope(TestMessages.Parse("utf8-headers-smtputf8.eml"), utf8Accept: true));
        Assert.StartsWith("(NIL \"café ☃\" ((\"Jörg\" NIL \"jörg\" \"bücher.de\"))", accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_multipart_shows_one_empty_text_part()
    {
        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL)",
            View(ImapViews.BodyStructure, "multipart-no-parts.eml"));
    }
}

/// <summary>Views are computed at parse time; a cached (deserialized) structure refuses to make them.</summary>
public sealed class ImapViewMisuseTests
{
    [Fact]
    public void Views_of_a_deserialized_structure_are_refused()
    {
        var copy = MessageStructure.Deserialize(TestMessages.Parse("simple-crlf.eml").Serialize());
        Assert.Throws<InvalidOperationException>(() => ImapViews.BodyStructure(copy));
        Assert.Throws<InvalidOperationException>(() => ImapViews.Envelope(copy));
    }
}
