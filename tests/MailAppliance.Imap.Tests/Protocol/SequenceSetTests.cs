using FsCheck;
using FsCheck.Fluent;
using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

public class SequenceSetTests
{
    [Theory]
    [InlineData("1", 10u, new uint[] { 1 })]
    [InlineData("2:4", 10u, new uint[] { 2, 3, 4 })]
    [InlineData("4:2", 10u, new uint[] { 2, 3, 4 })]
    [InlineData("1,3,5:6", 10u, new uint[] { 1, 3, 5, 6 })]
    [InlineData("*", 7u, new uint[] { 7 })]
    [InlineData("5:*", 7u, new uint[] { 5, 6, 7 })]
    [InlineData("*:5", 7u, new uint[] { 5, 6, 7 })]
    [InlineData("9:*", 7u, new uint[] { 7, 8, 9 })]
    public void Members(string text, uint largest, uint[] members)
    {
        Assert.True(SequenceSet.TryParse(text, out var set));
        Assert.Equal(members, Enumerable.Range(1, 12).Select(i => (uint)i).Where(n => set!.Contains(n, largest)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("01")]
    [InlineData("1:")]
    [InlineData(":1")]
    [InlineData("1,,2")]
    [InlineData("a")]
    [InlineData("-1")]
    [InlineData("4294967296")]
    [InlineData("1 2")]
    [InlineData("$")]
    public void Invalid(string text) => Assert.False(SequenceSet.TryParse(text, out _));

    [Fact]
    public void Resolve_orders_each_range()
    {
        Assert.True(SequenceSet.TryParse("7:3,*,2", out var set));
        Assert.Equal([(3u, 7u), (9u, 9u), (2u, 2u)], set!.Resolve(9));
    }

    [Theory]
    [InlineData(new uint[] { }, "")]
    [InlineData(new uint[] { 4 }, "4")]
    [InlineData(new uint[] { 1, 2, 3, 7, 9, 10 }, "1:3,7,9:10")]
    public void Format_is_compact(uint[] numbers, string expected) => Assert.Equal(expected, SequenceSet.Format(numbers));

    [Fact]
    public void Formatted_sets_parse_back_to_the_same_members()
    {
        var gen = Gen.Choose(1, 200).ArrayOf().Select(a => a.Select(i => (uint)i).Distinct().Order().ToArray()).Where(a => a.Length > 0);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(gen.ToArbitrary(), numbers =>
        {
            Assert.True(SequenceSet.TryParse(SequenceSet.Format(numbers), out var set));
            var members = Enumerable.Range(1, 210).Select(i => (uint)i).Where(n => set!.Contains(n, 210)).ToArray();
            Assert.Equal(numbers, members);
        }));
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var gen = Gen.Elements('1', '2', '0', '9', ':', ',', '*', 'x', ' ').ArrayOf().Select(c => new string(c));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(gen.ToArbitrary(), text =>
        {
            if (SequenceSet.TryParse(text, out var set))
            {
                _ = set!.Contains(1, 5);
                _ = set.Resolve(5).ToList();
            }
        }));
    }
}
