using MailAppliance.Core.Text;

namespace MailAppliance.Core.Tests.Text;

public class ByteSizeTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("512K", 524288L)]
    [InlineData("50M", 52428800L)]
    [InlineData("50 MiB", 52428800L)]
    [InlineData("2G", 2147483648L)]
    [InlineData("1.5g", 1610612736L)]
    [InlineData("1T", 1099511627776L)]
    public void Parses_sizes(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1")]
    [InlineData("10X")]
    [InlineData("0.5")]
    [InlineData("99999999999T")]
    public void Refuses_nonsense(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(17L, "17 B")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(1073741824L, "1 GiB")]
    public void Formats_for_people(long bytes, string text)
    {
        Assert.Equal(text, ByteSize.Format(bytes));
    }
}
