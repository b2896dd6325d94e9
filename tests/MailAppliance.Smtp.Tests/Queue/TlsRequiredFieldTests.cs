using System.Text;
using MailAppliance.Smtp.Queue;

namespace MailAppliance.Smtp.Tests.Queue;

/// <summary>RFC 8689 §3: the TLS-Required header field, read from the message's header bytes.</summary>
public sealed class TlsRequiredFieldTests
{
    private static bool SaysNo(string message) => TlsRequiredField.SaysNo(Encoding.ASCII.GetBytes(message));

    [Theory]
    [InlineData("From: a@example.test\r\nTLS-Required: No\r\n\r\nbody\r\n")]
    [InlineData("tls-required:no\r\nSubject: x\r\n\r\n")]
    [InlineData("Subject: x\r\nTLS-Required:\r\n  No \r\n\r\n")]
    [InlineData("TLS-Required: NO\n\n")]
    public void The_field_with_no_says_no(string message) => Assert.True(SaysNo(message));

    [Theory]
    [InlineData("From: a@example.test\r\n\r\nTLS-Required: No\r\n")]
    [InlineData("TLS-Required: Yes\r\n\r\n")]
    [InlineData("X-TLS-Required: No\r\n\r\n")]
    [InlineData("Subject: TLS-Required: No\r\n\r\n")]
    [InlineData("")]
    public void Anything_else_does_not(string message) => Assert.False(SaysNo(message));

    [Fact]
    public void The_stream_is_left_where_it_was()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes("TLS-Required: No\r\n\r\nbody"));
        Assert.True(TlsRequiredField.SaysNo(stream));
        Assert.Equal(0, stream.Position);
    }
}
