using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class PathSegmentCodecTests
{
    [Theory]
    [InlineData("john", "john")]
    [InlineData("John.Doe+tag", "John.Doe+tag")]
    [InlineData("a_b-c=d", "a_b-c=d")]
    [InlineData(".hidden", "%2Ehidden")]
    [InlineData(".", "%2E")]
    [InlineData("..", "%2E.")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("../../etc", "%2E.%2F..%2Fetc")]
    [InlineData("\"john doe\"", "%22john%20doe%22")]
    [InlineData("100%", "100%25")]
    [InlineData("jörg", "j%C3%B6rg")]
    [InlineData("a\\b", "a%5Cb")]
    [InlineData("x\0y", "x%00y")]
    public void Encodes_reversibly(string value, string segment)
    {
        Assert.Equal(segment, PathSegmentCodec.Encode(value).Value);
        Assert.Equal(value, PathSegmentCodec.Decode(segment).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".x")]       // a leading dot is always escaped
    [InlineData("a%2fb")]    // lower-case hex is not canonical
    [InlineData("%61")]      // 'a' must not be escaped
    [InlineData("a b")]      // raw space
    [InlineData("a%2")]      // truncated escape
    [InlineData("%C3")]      // invalid UTF-8
    [InlineData("jörg")]     // raw non-ASCII
    public void Decoding_accepts_only_the_canonical_form(string segment)
    {
        Assert.False(PathSegmentCodec.Decode(segment).Succeeded);
    }

    [Fact]
    public void Refuses_empty_lone_surrogates_and_overlong_segments()
    {
        Assert.False(PathSegmentCodec.Encode("").Succeeded);
        Assert.False(PathSegmentCodec.Encode("a\uD800").Succeeded);
        Assert.True(PathSegmentCodec.Encode(new string('a', 255)).Succeeded);
        Assert.False(PathSegmentCodec.Encode(new string('a', 256)).Succeeded);
        Assert.False(PathSegmentCodec.Encode(new string('/', 86)).Succeeded);
    }

    [Fact]
    public void Distinct_values_never_collide_and_never_look_like_dot_entries()
    {
        var random = new Random(7);
        const string alphabet = "aZ09._-+=%/ \"\\.~!#$&'*?^`{|}@é\u0001";
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 5000; i++)
        {
            var value = new string(Enumerable.Range(0, random.Next(1, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var segment = PathSegmentCodec.Encode(value).Value;

            Assert.DoesNotContain('/', segment);
            Assert.False(segment.StartsWith('.'), segment);
            Assert.Equal(value, PathSegmentCodec.Decode(segment).Value);
            if (seen.TryGetValue(segment, out var other))
            {
                Assert.Equal(other, value);
            }

            seen[segment] = value;
        }
    }
}
