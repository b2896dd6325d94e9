using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>Limits and errors (RFC 9051 §7.1.3 BAD, §7.1.5 BYE): over-long lines, syntax errors, repeated BADs, wrong states.</summary>
public sealed class BoundsTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Over_long_line_is_answered_with_bye_and_a_close()
    {
        await using var imap = await app.LoginAsync();
        await imap.SendRaw(Encoding.ASCII.GetBytes("a1 NOOP " + new string('x', 100_000) + "\r\n"));
        var said = await imap.ExpectClosed();
        Assert.StartsWith("* BYE", Assert.Single(said), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syntax_errors_are_bad_and_the_session_goes_on()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 NOSUCHCOMMAND");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 SELECT \"unterminated");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 LIST \"\" (");
        await imap.Expect("a3 BAD");
        await imap.Send("a4 NOOP");
        await imap.Expect("a4 OK");
    }

    [Fact]
    public async Task A_line_without_a_command_is_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("lonelytag");
        var said = await imap.ReadResponseAsync();
        Assert.Contains("BAD", said, StringComparison.Ordinal);
        await imap.Send("");
        Assert.Contains("BAD", await imap.ReadResponseAsync(), StringComparison.Ordinal);
        await imap.Send("a1 NOOP");
        await imap.Expect("a1 OK");
    }

    [Fact]
    public async Task Repeated_bad_commands_end_the_session()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        for (var i = 1; i < 10; i++)
        {
            await imap.Send($"b{i} GARBAGE");
            await imap.Expect($"b{i} BAD");
        }

        await imap.Send("b10 GARBAGE");
        await imap.Expect("b10 BAD");
        var rest = await imap.ExpectClosed();
        Assert.StartsWith("* BYE", Assert.Single(rest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_in_the_wrong_state_are_bad()
    {
        await using var imap = await ImapClientScript.ConnectAsync(app.ImapPort);
        await imap.Send("a1 SELECT INBOX");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 FETCH 1 FLAGS");
        await imap.Expect("a2 BAD");
        await imap.Send("a3 LOGIN alice@example.test pw");
        await imap.Expect("a3 OK");
        await imap.Send("a4 FETCH 1 FLAGS");
        await imap.Expect("a4 BAD");
        await imap.Send("a5 AUTHENTICATE PLAIN");
        await imap.Expect("a5 BAD");
        await imap.Send("a6 STARTTLS");
        await imap.Expect("a6 BAD");
    }

    [Fact]
    public async Task Too_large_a_literal_outside_append_is_bad()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT {10000000}");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 NOOP");
        await imap.Expect("a2 OK");
    }

    [Fact]
    public async Task Literal_plus_larger_than_allowed_ends_the_session()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SELECT {10000000+}");
        var said = await imap.ExpectClosed();
        Assert.StartsWith("* BYE", Assert.Single(said), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_commands_are_answered_in_order()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("p1 NOOP\r\np2 SELECT INBOX\r\np3 NOOP\r\n");
        await imap.Expect("p1 OK");
        await imap.Expect("p2 OK");
        await imap.Expect("p3 OK");
    }
}
