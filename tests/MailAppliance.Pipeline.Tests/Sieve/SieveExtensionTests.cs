using System.Text;
using MailAppliance.Pipeline.Sieve;
using static MailAppliance.Pipeline.Tests.Sieve.SieveTestKit;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>One test (or a few) per extension, beyond what the differential suite covers.</summary>
public sealed class SieveExtensionTests
{
    [Fact]
    public async Task Currentdate_reads_the_injected_clock_in_the_server_zone_or_a_given_one()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 7, 1, 23, 30, 0, TimeSpan.Zero), TimeZoneInfo.CreateCustomTimeZone("p2", TimeSpan.FromHours(2), "p2", "p2"));
        var script = """
            require ["date", "relational", "fileinto"];
            if currentdate :is "date" "2026-07-02" { fileinto "LocalTomorrow"; }
            if currentdate :zone "+0000" :is "date" "2026-07-01" { fileinto "UtcToday"; }
            if currentdate :zone "+0000" :value "lt" "iso8601" "2026-07-02T00:00:00" { fileinto "BeforeEnd"; }
            """;
        Assert.Equal(["LocalTomorrow", "UtcToday", "BeforeEnd"], Folders(await RunAsync(script, time: clock)));
    }

    [Fact]
    public async Task Include_runs_personal_scripts_with_their_own_variables_except_globals()
    {
        var scripts = new ScriptsInMemory(new()
        {
            ["lists"] = "require [\"include\", \"variables\", \"fileinto\"]; global \"box\"; set \"local\" \"L\"; fileinto \"${box}\"; return; fileinto \"Never\";",
        });
        var script = """
            require ["include", "variables", "fileinto"];
            global "box";
            set "box" "Reports";
            include :personal "lists";
            include :once "lists";
            include :once "lists";
            include :optional "missing";
            fileinto "Local-${local}";
            """;
        var result = await RunAsync(script, user: new SieveUserContext(0, "bob@example.test", []) { Scripts = scripts });
        Assert.Equal(["Reports", "Local-"], Folders(result));
    }

    [Fact]
    public async Task A_missing_include_is_a_runtime_error()
    {
        var result = await RunAsync("require \"include\"; include \"nothere\";", user: new SieveUserContext(0, "b", []) { Scripts = new ScriptsInMemory([]) });
        Assert.True(result.Failed);
    }

    [Fact]
    public async Task Editheader_changes_what_later_tests_see_and_the_message_written()
    {
        var script = """
            require ["editheader", "fileinto"];
            addheader "X-Filtered" "yes";
            deleteheader "subject";
            deleteheader "received";
            if header :is "x-filtered" "yes" { fileinto "Seen"; }
            if not exists "subject" { fileinto "NoSubject"; }
            """;
        var result = await RunAsync(script);
        Assert.Equal(["Seen", "NoSubject"], Folders(result));
        Assert.Equal("X-Filtered", result.EditedHeaders![0].Name);
        using var original = new MemoryStream(Encoding.UTF8.GetBytes(Message.ReplaceLineEndings("\r\n")));
        using var output = new MemoryStream();
        SieveHeaderRewriter.Write(original, result, output);
        var text = Encoding.UTF8.GetString(output.ToArray());
        Assert.StartsWith("X-Filtered: yes\r\nReturn-Path:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Subject:", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nThe report is attached.\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "0", "Untested")]
    [InlineData(12.0, "10", "Spam")]
    [InlineData(0.0, "1", "Ham")]
    public async Task Spamtest_maps_the_score_onto_its_scale(double? score, string expected, string folder)
    {
        var script = $$"""
            require ["spamtest", "relational", "comparator-i;ascii-numeric", "fileinto"];
            if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "Untested"; }
            elsif spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Spam"; }
            elsif spamtest :is "{{expected}}" { fileinto "Ham"; }
            """;
        var user = new SieveUserContext(0, "b", []) { Scores = new SieveScores(score, 5.0) };
        Assert.Equal([folder], Folders(await RunAsync(script, user: user)));
    }

    [Fact]
    public async Task Virustest_and_spamtestplus_percent()
    {
        var script = """
            require ["virustest", "spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto"];
            if virustest :value "ge" :comparator "i;ascii-numeric" "4" { fileinto "Virus"; }
            if spamtest :percent :value "eq" :comparator "i;ascii-numeric" "50" { fileinto "Half"; }
            """;
        var user = new SieveUserContext(0, "b", []) { Scores = new SieveScores(5.0, 5.0, 5) };
        Assert.Equal(["Virus", "Half"], Folders(await RunAsync(script, user: user)));
    }

    [Fact]
    public async Task Fileinto_copy_keeps_the_implicit_keep_and_flags_travel()
    {
        var result = await RunAsync("require [\"fileinto\", \"copy\", \"imap4flags\", \"mailbox\"]; addflag \"\\\\Seen\"; fileinto :copy :create \"A\";");
        Assert.Equal(["A", "INBOX"], Folders(result));
        Assert.All(result.Stores, s => Assert.Equal(["\\Seen"], s.Flags));
        Assert.True(result.Actions.OfType<SieveStoreAction>().Single().Create);
    }

    [Fact]
    public async Task Ereject_is_a_reject_that_prefers_the_smtp_reply()
    {
        var result = await RunAsync("require \"ereject\"; ereject \"no thanks\";");
        var reject = Assert.IsType<SieveRejectAction>(Assert.Single(result.Actions));
        Assert.True(reject.Extended);
        Assert.Null(result.ImplicitKeep);
    }

    [Fact]
    public async Task Encoded_characters_and_set_modifiers()
    {
        var script = """
            require ["variables", "encoded-character", "fileinto"];
            set :lower :upperfirst "a" "${hex:48 45 4c 4C 4f}";
            set :length "n" "${unicode:263A}x";
            fileinto "${a}-${n}";
            """;
        Assert.Equal(["Hello-2"], Folders(await RunAsync(script)));
    }

    [Fact]
    public async Task Subaddress_user_and_detail()
    {
        var script = """
            require ["subaddress", "envelope", "fileinto", "variables"];
            if envelope :detail :matches "to" "*" { fileinto "D-${1}"; }
            if envelope :user :is "to" "bob" { fileinto "User"; }
            """;
        Assert.Equal(["D-lists", "User"], Folders(await RunAsync(script, envelope: new SieveEnvelope("a@x.test", "bob+lists@example.test"))));
    }

    [Fact]
    public async Task Body_text_decodes_quoted_printable()
    {
        var message = "From: a@x.test\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n";
        Assert.Equal(["Decoded"], Folders(await RunAsync("require [\"body\", \"fileinto\"]; if body :contains \"Grüße\" { fileinto \"Decoded\"; }", message)));
    }
}
