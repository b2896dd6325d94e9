using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class ModifiedUtf7Tests
{
    // RFC 3501 §5.1.3 examples, plus Dovecot's own encoding of "Entwürfe" from the fixture tree.
    [Theory]
    [InlineData("Entwürfe", "Entw&APw-rfe")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")]
    [InlineData("A&B", "A&-B")]
    [InlineData("&", "&-")]
    [InlineData("plain ascii", "plain ascii")]
    [InlineData("😀", "&2D3eAA-")]
    [InlineData("tab\there", "tab&AAk-here")]
    public void Encodes_and_decodes(string text, string encoded)
    {
        Assert.Equal(encoded, ModifiedUtf7.Encode(text).Value);
        Assert.Equal(text, ModifiedUtf7.Decode(encoded).Value);
    }

    [Theory]
    [InlineData("&U,BTFw")]        // no closing '-'
    [InlineData("&U/BTFw-")]       // '/' is not in the modified alphabet
    [InlineData("&AGE-")]          // encodes printable ASCII "a"
    [InlineData("&ZeVnLIqe-&ZeVnLIqe-")] // adjacent encoded runs
    [InlineData("&2D0-")]          // lone high surrogate
    [InlineData("&APw")]           // unterminated
    [InlineData("&APx-")]          // non-zero leftover bits
    [InlineData("&AP-")]           // too few bits for a UTF-16 unit
    [InlineData("é")]              // raw 8-bit character
    [InlineData("a\u0001b")]       // raw control character
    public void Refuses_invalid_or_non_canonical_input(string encoded)
    {
        var result = ModifiedUtf7.Decode(encoded);

        Assert.False(result.Succeeded);
        Assert.Equal(MaildirFailureKind.InvalidName, result.Failure!.Kind);
    }

    [Fact]
    public void Refuses_to_encode_a_lone_surrogate()
    {
        Assert.False(ModifiedUtf7.Encode("a\uD800b").Succeeded);
        Assert.False(ModifiedUtf7.Encode("a\uDC00").Succeeded);
    }

    [Fact]
    public void Round_trips_many_strings()
    {
        var random = new Random(20261122);
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 12)];
            for (var k = 0; k < chars.Length; k++)
            {
                // Mix ASCII, '&', Latin, CJK; avoid surrogates (handled by the emoji case).
                chars[k] = random.Next(4) switch
                {
                    0 => (char)random.Next(0x20, 0x7F),
                    1 => '&',
                    2 => (char)random.Next(0xA0, 0x250),
                    _ => (char)random.Next(0x4E00, 0x9FFF),
                };
            }

            var text = new string(chars);
            var encoded = ModifiedUtf7.Encode(text).Value;
            Assert.All(encoded, c => Assert.InRange(c, '\x20', '\x7e'));
            Assert.Equal(text, ModifiedUtf7.Decode(encoded).Value);
        }
    }
}
