using System.Text.RegularExpressions;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>CREATE, DELETE, RENAME (RFC 9051 §6.3.4–§6.3.6).</summary>
public sealed partial class CreateDeleteRenameTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Create_a_hierarchy_creates_the_parents()
    {
        var top = app.Fresh("top");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {top}/mid/leaf");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 LIST \"\" \"{top}*\"");
        var reply = await imap.Expect("a2 OK");
        Assert.Equal(3, reply.Count);
        string Line(string name) => reply.First(l => l.EndsWith($" {name}", StringComparison.Ordinal) || l.EndsWith($" \"{name}\"", StringComparison.Ordinal));
        Assert.Contains("\\HasChildren", Line(top), StringComparison.Ordinal);
        Assert.Contains("\\HasChildren", Line($"{top}/mid"), StringComparison.Ordinal);
        Assert.Contains("\\HasNoChildren", Line($"{top}/mid/leaf"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_a_trailing_separator_and_duplicates()
    {
        var box = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}/");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 CREATE {box}");
        await imap.Expect("a2 NO [ALREADYEXISTS]");
        await imap.Send("a3 CREATE INBOX");
        await imap.Expect("a3 NO");
        await imap.Send("a4 CREATE");
        await imap.Expect("a4 BAD");
    }

    [Fact]
    public async Task Delete_a_mailbox()
    {
        var box = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 DELETE {box}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LIST \"\" {box}");
        Assert.Empty(await imap.Expect("a3 OK"));
        await imap.Send($"a4 DELETE {box}");
        await imap.Expect("a4 NO");
    }

    [Fact]
    public async Task Delete_with_children_and_delete_inbox_are_refused()
    {
        var box = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}/child");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 DELETE {box}");
        await imap.Expect("a2 NO");
        await imap.Send("a3 DELETE INBOX");
        await imap.Expect("a3 NO");
        await imap.Send($"a4 DELETE {box}/child");
        await imap.Expect("a4 OK");
        await imap.Send($"a5 DELETE {box}");
        await imap.Expect("a5 OK");
    }

    [Fact]
    public async Task Rename_keeps_uids_and_uidvalidity_of_children()
    {
        var from = app.Fresh("from");
        var to = app.Fresh("to");
        await app.SeedAsync($"{from}/child", TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 STATUS {from}/child (UIDVALIDITY UIDNEXT MESSAGES)");
        var before = StatusItems((await imap.Expect("a1 OK")).Single("* STATUS"));
        await imap.Send($"a2 RENAME {from} {to}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STATUS {to}/child (UIDVALIDITY UIDNEXT MESSAGES)");
        Assert.Equal(before, StatusItems((await imap.Expect("a3 OK")).Single("* STATUS")));
        await imap.Send($"a4 LIST \"\" \"{from}*\"");
        Assert.Empty(await imap.Expect("a4 OK"));
        await imap.Send($"a5 SELECT {to}/child");
        await imap.Expect("a5 OK");
        await imap.Send("a6 UID FETCH 1:* (UID)");
        var fetched = await imap.Expect("a6 OK");
        Assert.Equal(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)"], fetched);
    }

    [Fact]
    public async Task Rename_inbox_moves_its_messages_and_leaves_an_empty_inbox()
    {
        var target = app.Fresh("oldinbox");
        await app.SeedAsync("INBOX", TranscriptFixture.Message("in inbox"));
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 STATUS INBOX (MESSAGES)");
        var count = Regex.Match((await imap.Expect("a1 OK")).Single("* STATUS"), @"MESSAGES (\d+)").Groups[1].Value;
        Assert.NotEqual("0", count);
        await imap.Send($"a2 RENAME INBOX {target}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STATUS {target} (MESSAGES)");
        Assert.Contains($"MESSAGES {count}", (await imap.Expect("a3 OK")).Single("* STATUS"), StringComparison.Ordinal);
        await imap.Send("a4 STATUS INBOX (MESSAGES)");
        Assert.Contains("MESSAGES 0", (await imap.Expect("a4 OK")).Single("* STATUS"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rename_errors()
    {
        var a = app.Fresh();
        var b = app.Fresh();
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {a}");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 CREATE {b}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 RENAME {a} {b}");
        await imap.Expect("a3 NO [ALREADYEXISTS]");
        await imap.Send($"a4 RENAME nosuch{a} other{a}");
        await imap.Expect("a4 NO");
        await imap.Send($"a5 RENAME {a} INBOX");
        await imap.Expect("a5 NO");
        await imap.Send($"a6 RENAME {a}");
        await imap.Expect("a6 BAD");
    }

    private static string StatusItems(string status) => status[status.IndexOf('(', StringComparison.Ordinal)..];
}
