namespace MailAppliance.Mime.Tests.Headers;

/// <summary>Content-Type / Content-Disposition parameters, RFC 2045 §5.1 and RFC 2231.</summary>
public sealed class ParameterTests
{
    [Fact]
    public void Parses_type_subtype_and_quoted_parameters_keeping_case()
    {
        Assert.True(ContentType.TryParse("TEXT/Plain; CHARSET=\"UTF-8\"; Format=flowed (comment)", out var ct));
        Assert.Equal("TEXT", ct.MediaType);
        Assert.Equal("Plain", ct.SubType);
        Assert.True(ct.Is("text", "plain"));
        Assert.Equal("UTF-8", ct.Charset);
        Assert.Equal("flowed", ct.Parameters.Get("format"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("text")]
    [InlineData("/plain")]
    [InlineData("text/")]
    public void Invalid_content_type_is_rejected_so_the_default_applies(string value) =>
        Assert.False(ContentType.TryParse(value, out _));

    [Fact]
    public void Rfc2231_continuations_charset_and_language()
    {
        var s = TestMessages.Parse("rfc2231-params.eml");
        var title = s.Root.ContentType.Parameters.Find("title")!;
        Assert.Equal("This is even more ***fun*** isn't it!", title.Value);
        Assert.Equal("us-ascii", title.Charset);
        Assert.Equal("en", title.Language);
        Assert.Equal("€ rates.txt", s.Root.FileName);
        Assert.Equal("3", s.Root.ContentDisposition!.Parameters.Get("size"));
        Assert.True(s.Root.ContentDisposition.IsAttachment);
    }

    [Fact]
    public void Rfc2231_segments_out_of_order_and_mixed_plain_segments()
    {
        Assert.True(ContentType.TryParse("application/octet-stream; name*1=\" world\"; name*0*=utf-8''h%C3%A9llo", out var ct));
        Assert.Equal("héllo world", ct.Parameters.Get("name"));
    }

    [Fact]
    public void Rfc2231_value_wins_over_plain_fallback()
    {
        Assert.True(ContentType.TryParse("application/pdf; name=\"fallback.pdf\"; name*=iso-8859-1''%E9t%E9.pdf", out var ct));
        Assert.Equal("été.pdf", ct.Parameters.Get("name"));
    }

    [Fact]
    public void Unquoted_values_end_at_whitespace_and_encoded_words_in_quotes_are_decoded()
    {
        var raw = TestMessages.Crlf("Content-Type: application/pdf; name=my file.pdf\nContent-Disposition: attachment; filename=\"=?utf-8?B?w6l0w6kucGRm?=\"\n\nx\n");
        var s = MimeParser.Parse(raw);
        Assert.Equal("my", s.Root.ContentType.Parameters.Get("name")); // like Dovecot: an unquoted value ends at whitespace
        Assert.Equal("été.pdf", s.Root.FileName);
    }

    [Fact]
    public void Content_transfer_encoding_is_lower_cased_and_defaults_to_7bit()
    {
        var s = TestMessages.Parse("utf8-headers-smtputf8.eml");
        Assert.Equal("quoted-printable", s.Root.ContentTransferEncoding);
        Assert.Equal("7bit", TestMessages.Parse("simple-lf.eml").Root.ContentTransferEncoding);
    }
}
