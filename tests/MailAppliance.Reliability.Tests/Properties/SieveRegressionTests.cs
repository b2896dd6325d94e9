using System.Buffers;
using System.Text;
using MailAppliance.Fuzz;
using MailAppliance.ManageSieve.Protocol;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Reliability.Tests.Properties;

/// <summary>
/// What the sieve and managesieve-command targets found, as cases: ManageSieve command reading through the
/// session's reading loop (<see cref="SieveTargets.Read"/>, whole and in pieces), and hostile scripts through the
/// compiler and a dry run. The same refusals against a running server are in ManageSieve.Tests.
/// </summary>
public sealed class SieveRegressionTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The events of reading <paramref name="text"/> whole and in pieces of 1, 7 and 64 octets (all equal).</summary>
    private static List<string> Read(string text)
    {
        var input = Bytes(text);
        Work.Bounded(SieveTargets.ManageSieveCommand, input);
        var whole = SieveTargets.Read(input, Math.Max(1, input.Length));
        foreach (var piece in new[] { 1, 7, 64 })
        {
            Assert.Equal(whole, SieveTargets.Read(input, piece));
        }

        return whole;
    }

    /// <summary>
    /// Found in modelling the session's reading loop for the target (which now checks whole against pieces): a line
    /// refused as too long before its end had arrived was dropped only up to what had arrived, and its tail was read
    /// as a command of its own.
    /// </summary>
    [Fact]
    public void A_line_past_the_limit_is_skipped_to_its_end_however_it_arrives() =>
        Assert.Equal(["NO line too long", "NOOP "], Read("NOOP \"" + new string('x', 2000) + "\"\r\nNOOP\r\n"));

    /// <summary>
    /// The target's bounds fail on the old parser here: every literal restarted the line count, so one command
    /// continued by literal after literal (each within the literal limit, or <c>{0+}</c> ones) grew without bound in
    /// the session's buffer.
    /// </summary>
    [Fact]
    public void A_command_continued_by_literal_after_literal_is_refused()
    {
        var literal = "{2000+}\r\n" + new string('k', 2000);
        var events = Read("PUTSCRIPT \"s\" " + literal + " " + literal + " " + literal + "\r\nNOOP\r\n");
        Assert.Equal("NO literal too large", events[0]);
        Assert.Equal("NOOP ", events[^1]);

        var empties = Read("NOOP" + string.Concat(Enumerable.Repeat(" {0+}\r\n", 200)) + "\r\nNOOP\r\n");
        Assert.Equal("NO command too long", empties[0]);
        Assert.Equal("NOOP ", empties[^1]);
    }

    /// <summary>
    /// Found by afl++ (managesieve-command, 19 inputs in its first 4 minutes; four kept under Findings): an atom cut by
    /// the end of a read was taken as a whole argument, so sixteen arguments and an atom arriving in pieces gave
    /// "command too long", while read whole the atom's next byte (a quote) was refused.
    /// </summary>
    [Fact]
    public void An_atom_cut_by_a_read_is_not_taken_before_it_ends() =>
        Assert.Equal(["NO invalid character in atom", "NOOP "], Read("NOOP" + string.Concat(Enumerable.Repeat(" \"\"", 16)) + " t\"\r\nNOOP\r\n"));

    /// <summary>The session's own limits: a third maximal script literal in one command is refused at its announcement.</summary>
    [Fact]
    public void At_the_sessions_limits_a_command_holds_at_most_one_maximal_literal()
    {
        var parser = new ManageSieveParser(8 * 1024, (1 << 20) + 1024);
        var script = new byte[(1 << 20) + 1024];
        byte[] input = [.. Bytes("PUTSCRIPT \"s\" {1049600+}\r\n"), .. script, .. Bytes(" {1049600+}\r\n")];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        Assert.Equal(ManageSieveParseStatus.Invalid, parser.TryParse(ref reader, out _, out var error, out var skip));
        Assert.Equal("literal too large", error);
        Assert.Equal(1049600, skip);
    }

    /// <summary>
    /// Found in writing the target's reading loop: a refusal that had already taken its line's end (an empty line, a
    /// line break inside a quoted string) made the session skip the next line too, so the next command was lost.
    /// </summary>
    [Theory]
    [InlineData("\r\nNOOP\r\n", "NO empty command")]
    [InlineData("\nNOOP\r\n", "NO empty command")]
    [InlineData("NOOP \"a\r\nNOOP\r\n", "NO line break in quoted string")]
    [InlineData("NOOP \"a\nNOOP\r\n", "NO line break in quoted string")]
    public void A_refused_line_costs_only_itself(string text, string refusal) =>
        Assert.Equal([refusal, "NOOP "], Read(text));

    /// <summary>Hostile scripts: refused with a diagnostic or run to a result, in bounded work.</summary>
    [Theory]
    [InlineData(10_000, "if anyof(", "true", ") { keep; }")]
    [InlineData(10_000, "if true {", "keep;", "}")]
    [InlineData(10_000, "if not ", "true", " { keep; }")]
    [InlineData(10_000, "[", "\"a\"", "]")]
    [InlineData(1, "require \"regex\"; if header :regex \"subject\" \"", "(a|a?)+$", "\" { stop; }")]
    [InlineData(1, "require \"variables\"; set \"a\" \"", "${a}", "\"; set \"b\" \"${a}${a}${a}${a}${a}${a}${a}${a}\";")]
    public void Hostile_scripts_are_refused_or_run_in_bounded_work(int repeat, string open, string middle, string close)
    {
        var text = string.Concat(Enumerable.Repeat(open, repeat)) + middle + string.Concat(Enumerable.Repeat(close, repeat));
        Work.Bounded(SieveTargets.Sieve, Bytes(text));
        var result = SieveCompiler.Compile("hostile", text);
        Assert.True(result.Succeeded || result.Errors.Any());
    }
}
