namespace MailAppliance.Mime.Tests.Headers;

/// <summary>RFC 2047 encoded-words.</summary>
public sealed class EncodedWordTests
{
    [Theory]
    [InlineData("=?utf-8?B?w6k=?=", "é")]
    [InlineData("=?UTF-8?b?w6k?=", "é")] // missing padding tolerated
    [InlineData("=?iso-8859-1?q?J=F6rg_Tester?=", "Jörg Tester")]
    [InlineData("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab")] // RFC 2047 §8: whitespace between words dropped
    [InlineData("=?ISO-8859-1?Q?a?=  \r\n =?ISO-8859-1?Q?b?=", "ab")]
    [InlineData("=?ISO-8859-1?Q?a_?= b", "a  b")]
    [InlineData("plain =?utf-8?q?x?= text", "plain x text")]
    [InlineData("=?utf-8?B?4oKs?==?utf-8?B?4oKs?=", "€€")]
    [InlineData("=?utf-8?B?4g==?= =?utf-8?B?gqw=?=", "€")] // a character split across words (RFC 2047 §5 says must not; real mail does)
    [InlineData("=?windows-1252?Q?=80?=", "€")] // code page from CodePagesEncodingProvider
    [InlineData("=?koi8-r?B?8NLJ18XU?=", "Привет")]
    [InlineData("=?shift_jis?B?k/qWe4zq?=", "日本語")]
    [InlineData("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "日本語")]
    [InlineData("=?utf-8*en?q?hi?=", "hi")] // RFC 2231 §5 language suffix
    public void Decodes_well_formed_words(string input, string expected) =>
        Assert.Equal(expected, EncodedWords.DecodeUnstructured(input));

    [Theory]
    [InlineData("=?unknown-charset?q?x?=")]
    [InlineData("=?utf-8?x?abc?=")]
    [InlineData("=?utf-8?q?no end")]
    [InlineData("=?utf-8?q?has space?=")]
    [InlineData("=??q?x?=")]
    [InlineData("=?utf-8?B?!!!!?=")]
    public void Leaves_malformed_words_as_they_are(string input) =>
        Assert.Equal(input, EncodedWords.DecodeUnstructured(input));

    [Fact]
    public void Header_field_decoded_value_unfolds_then_decodes()
    {
        var raw = TestMessages.Crlf("Subject: =?utf-8?q?caf=C3=A9?=\n =?utf-8?q?_cr=C3=A8me?=\n\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal("café crème", s.Root.GetDecodedValue("Subject"));
        Assert.Equal("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?=", s.Root.GetHeader("Subject")!.Value);
    }

    [Fact]
    public void Raw_utf8_headers_decode_as_utf8_and_latin1_bytes_survive()
    {
        var s = TestMessages.Parse("utf8-headers-smtputf8.eml");
        Assert.Equal("café ☃", s.Root.GetDecodedValue("Subject"));
        var to = AddressParser.ParseMailboxes(s.Root.GetHeader("To")!.Value);
        Assert.Equal("用户", to[0].LocalPart);
        Assert.Equal("例子.广告", to[0].Domain);
        var latin = TestMessages.Parse("latin1-8bit-headers.eml");
        Assert.Equal("café crème", latin.Root.GetDecodedValue("Subject"));
    }
}
