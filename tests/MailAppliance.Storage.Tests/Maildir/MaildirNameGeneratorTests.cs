using System.Text.RegularExpressions;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirNameGeneratorTests
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void Generates_Dovecots_unique_part()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1795337829).AddTicks(9_781_230));
        var generator = new MaildirNameGenerator(time, 7257, "vm");

        Assert.Equal("1795337829.M978123P7257.vm", generator.NextUniquePart());
    }

    [Fact]
    public void Never_repeats_when_the_clock_stands_still()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(9_999_990));
        var generator = new MaildirNameGenerator(time, 1, "h");

        var names = Enumerable.Range(0, 1000).Select(_ => generator.NextUniquePart()).ToList();

        Assert.Equal(1000, names.Distinct().Count());
        Assert.Equal("1700000000.M999999P1.h", names[0]);
        Assert.Equal("1700000001.M0P1.h", names[1]);
    }

    [Fact]
    public void Unique_parts_parse_as_file_names_and_escape_the_host()
    {
        var generator = new MaildirNameGenerator(TimeProvider.System, 42, "bad/host:name");

        var unique = generator.NextUniquePart();

        Assert.Matches(new Regex(@"^\d+\.M\d+P42\.bad\\057host\\072name$"), unique);
        Assert.Null(MaildirFileName.Parse(unique).Value.Info);
    }

    [Fact]
    public async Task Concurrent_callers_get_distinct_names()
    {
        var generator = MaildirNameGenerator.ForCurrentProcess(TimeProvider.System);

        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 2000).Select(_ => generator.NextUniquePart()).ToList())));

        Assert.Equal(8000, batches.SelectMany(b => b).Distinct().Count());
    }
}
