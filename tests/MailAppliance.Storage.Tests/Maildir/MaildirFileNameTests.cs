using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirFileNameTests
{
    [Fact]
    public void Parses_a_name_Dovecot_wrote_with_flags_and_keywords()
    {
        var name = MaildirFileName.Parse("1795337829.M986187P7257.vm,S=25,W=28:2,FRbc").Value;

        Assert.Equal("1795337829.M986187P7257.vm,S=25,W=28", name.BaseName);
        Assert.Equal(MaildirFlags.Flagged | MaildirFlags.Replied, name.Flags);
        Assert.Equal("bc", name.KeywordLetters);
        Assert.Equal([1, 2], name.KeywordIndexes);
        Assert.Equal(25, name.Size);
        Assert.Equal(28, name.VirtualSize);
        Assert.True(name.HasFlagInfo);
        Assert.Equal("1795337829.M986187P7257.vm,S=25,W=28:2,FRbc", name.FullName);
    }

    [Fact]
    public void A_name_in_new_has_no_info()
    {
        var name = MaildirFileName.Parse("1700000000.foreign123.otherhost").Value;

        Assert.Null(name.Info);
        Assert.False(name.HasFlagInfo);
        Assert.Null(name.Size);
        Assert.Null(name.VirtualSize);
        Assert.Equal(MaildirFlags.None, name.Flags);
        Assert.Equal("1700000000.foreign123.otherhost", name.FullName);
    }

    [Theory]
    [InlineData("1.M1P1.h:2,", MaildirFlags.None, "")]
    [InlineData("1.M1P1.h:2,DFPRST", MaildirFlags.Draft | MaildirFlags.Flagged | MaildirFlags.Passed | MaildirFlags.Replied | MaildirFlags.Seen | MaildirFlags.Trashed, "")]
    [InlineData("1.M1P1.h:2,STa", MaildirFlags.Seen | MaildirFlags.Trashed, "a")]
    [InlineData("1.M1P1.h:2,zaS", MaildirFlags.Seen, "az")]
    public void Parses_system_flags_and_keyword_letters(string fileName, MaildirFlags flags, string keywords)
    {
        var name = MaildirFileName.Parse(fileName).Value;

        Assert.Equal(flags, name.Flags);
        Assert.Equal(keywords, name.KeywordLetters);
    }

    [Fact]
    public void Changing_flags_sorts_the_letters_as_Dovecot_writes_them()
    {
        var name = MaildirFileName.Parse("1.M2P3.host,S=10,W=12").Value;

        var flagged = name.WithFlags(MaildirFlags.Seen | MaildirFlags.Trashed | MaildirFlags.Draft, [25, 0, 3, 0]);

        Assert.Equal("1.M2P3.host,S=10,W=12:2,DSTadz", flagged.FullName);
        Assert.Equal(name.BaseName, flagged.BaseName);
        Assert.Equal("1.M2P3.host,S=10,W=12:2,", name.WithFlags(MaildirFlags.None, []).FullName);
    }

    [Fact]
    public void Unknown_flag_letters_and_fields_survive_a_flag_change()
    {
        var name = MaildirFileName.Parse("1.M2P3.host,X=abc,S=10:2,S1").Value;

        var changed = name.WithFlags(MaildirFlags.Flagged, []);

        Assert.Equal("1", name.OtherFlagLetters);
        Assert.Equal("1.M2P3.host,X=abc,S=10:2,1F", changed.FullName);
        Assert.Equal(10, changed.Size);
    }

    [Fact]
    public void An_info_of_another_version_is_kept_verbatim()
    {
        var name = MaildirFileName.Parse("1.M2P3.host:1,experimental").Value;

        Assert.Equal("1,experimental", name.Info);
        Assert.False(name.HasFlagInfo);
        Assert.Equal("1.M2P3.host:1,experimental", name.FullName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData(":2,S")]
    [InlineData("a/b")]
    [InlineData("a\nb")]
    public void Refuses_names_that_cannot_be_message_files(string fileName)
    {
        var result = MaildirFileName.Parse(fileName);

        Assert.False(result.Succeeded);
        Assert.Equal(MaildirFailureKind.InvalidName, result.Failure!.Kind);
    }

    [Theory]
    [InlineData("1.M1P1.h,S=abc,W=", null, null)]
    [InlineData("1.M1P1.h,W=5,S=4", 4L, 5L)]
    [InlineData("1.M1P1.h,S=-1", null, null)]
    public void Size_fields_are_parsed_robustly(string fileName, long? size, long? virtualSize)
    {
        var name = MaildirFileName.Parse(fileName).Value;

        Assert.Equal(size, name.Size);
        Assert.Equal(virtualSize, name.VirtualSize);
    }

    [Fact]
    public void Create_appends_sizes_like_Dovecot()
    {
        var name = MaildirFileName.Create("1795337829.M978747P7257.vm", 19, 22);

        Assert.Equal("1795337829.M978747P7257.vm,S=19,W=22", name.FullName);
        Assert.Equal(19, name.Size);
        Assert.Equal(22, name.VirtualSize);
    }

    [Theory]
    [InlineData("mail.example.test", "mail.example.test")]
    [InlineData("a/b:c", @"a\057b\072c")]
    [InlineData("h,S=1", @"h\054S=1")]
    public void Host_names_are_escaped(string host, string escaped)
    {
        Assert.Equal(escaped, MaildirFileName.EscapeHostName(host));
    }

    [Fact]
    public void Round_trips_every_name_of_the_Dovecot_fixture()
    {
        foreach (var file in new[]
        {
            "1795337829.M978747P7257.vm,S=19,W=22:2,STa",
            "1795337829.M986187P7257.vm,S=25,W=28:2,FRbc",
            "1700000000.foreign123.otherhost:2,d",
            "1700000001.M1P2.h2,S=17:2,S",
            "1795337829.M996190P7257.vm,S=19,W=22:2,D",
        })
        {
            var name = MaildirFileName.Parse(file).Value;
            Assert.Equal(file, name.FullName);
            Assert.Equal(file, name.WithFlags(name.Flags, name.KeywordIndexes).FullName);
        }
    }
}
