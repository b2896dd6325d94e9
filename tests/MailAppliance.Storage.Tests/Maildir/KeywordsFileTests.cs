using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class KeywordsFileTests
{
    private static readonly DotLockOptions Options = new() { Timeout = TimeSpan.FromSeconds(10), RetryInterval = TimeSpan.FromMilliseconds(2) };

    [Fact]
    public void Parses_Dovecots_file()
    {
        var keywords = MaildirKeywords.Parse("0 $Label1\n1 foo\n2 bar\n3 baz\n");

        Assert.Equal(4, keywords.Count);
        Assert.Equal("$Label1", keywords[0]);
        Assert.Equal(3, keywords.IndexOf("baz"));
        Assert.Equal(3, keywords.IndexOf("BAZ"));
        Assert.Equal(-1, keywords.IndexOf("qux"));
        Assert.Equal("0 $Label1\n1 foo\n2 bar\n3 baz\n", keywords.Format());
    }

    [Fact]
    public void Maps_file_name_letters_to_keywords()
    {
        var keywords = MaildirKeywords.Parse("0 $Label1\n1 foo\n2 bar\n");
        var name = MaildirFileName.Parse("1.M1P1.h,S=1:2,FRbcx").Value;

        Assert.Equal(["foo", "bar"], keywords.KeywordsOf(name));
    }

    [Fact]
    public void Tolerates_gaps_junk_and_out_of_range_lines()
    {
        var keywords = MaildirKeywords.Parse("2 two\r\nnonsense\n5\n26 toolate\n2 duplicate\n 7 lead\n-1 neg\n4 has space\n");

        Assert.Equal("two", keywords[2]);
        Assert.Null(keywords[4]);
        Assert.Equal(1, keywords.Count);
        Assert.Equal("2 two\n", keywords.Format());
    }

    [Fact]
    public void Adding_takes_the_lowest_free_index()
    {
        var keywords = MaildirKeywords.Parse("0 a\n2 c\n");

        var (added, index) = keywords.Add("b").Value;

        Assert.Equal(1, index);
        Assert.Equal("0 a\n1 b\n2 c\n", added.Format());
        Assert.Equal(0, added.Add("A").Value.Index);
        Assert.Equal(MaildirFailureKind.InvalidName, keywords.Add("two words").Failure!.Kind);
        Assert.Equal(MaildirFailureKind.InvalidName, keywords.Add("\\Seen").Failure!.Kind);
    }

    [Fact]
    public void The_27th_keyword_cannot_be_stored_in_file_names()
    {
        var keywords = MaildirKeywords.Empty;
        for (var i = 0; i < 26; i++)
        {
            keywords = keywords.Add($"k{i}").Value.Keywords;
        }

        var result = keywords.Add("k26");

        Assert.Equal(MaildirFailureKind.LimitExceeded, result.Failure!.Kind);
        Assert.Equal(25, keywords.IndexOf("k25"));
    }

    [Fact]
    public async Task Get_or_add_writes_the_file_once_and_reads_it_back()
    {
        using var temp = new TempDirectory();

        Assert.Same(MaildirKeywords.Empty, KeywordsFile.Read(temp.Path));
        Assert.Equal(0, (await KeywordsFile.GetOrAddAsync(temp.Path, "$Label1", Options, TimeProvider.System, CancellationToken.None)).Value);
        Assert.Equal(1, (await KeywordsFile.GetOrAddAsync(temp.Path, "foo", Options, TimeProvider.System, CancellationToken.None)).Value);
        Assert.Equal(0, (await KeywordsFile.GetOrAddAsync(temp.Path, "$label1", Options, TimeProvider.System, CancellationToken.None)).Value);

        Assert.Equal("0 $Label1\n1 foo\n", File.ReadAllText(KeywordsFile.PathIn(temp.Path)));
        Assert.Equal(["dovecot-keywords"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Concurrent_additions_never_share_a_letter()
    {
        using var temp = new TempDirectory();

        var indexes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            KeywordsFile.GetOrAddAsync(temp.Path, $"kw{i}", Options, TimeProvider.System, CancellationToken.None))));

        Assert.Equal(20, indexes.Select(r => r.Value).Distinct().Count());
        var keywords = KeywordsFile.Read(temp.Path);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(indexes[i].Value, keywords.IndexOf($"kw{i}"));
        }
    }
}
