using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>CLOSE (RFC 9051 §6.4.1) expunges silently; UNSELECT (RFC 3691) does not.</summary>
public sealed class CloseUnselectTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    private async Task<(ImapClientScript Imap, string Box)> DeletedOneAsync()
    {
        var box = app.Fresh();
        await app.SeedAsync(box, TranscriptFixture.Message("one"), TranscriptFixture.Message("two"));
        var imap = await app.LoginAsync();
        await imap.Send($"s1 SELECT {box}");
        await imap.Expect("s1 OK");
        await imap.Send("s2 STORE 1 +FLAGS.SILENT (\\Deleted)");
        await imap.Expect("s2 OK");
        return (imap, box);
    }

    [Fact]
    public async Task Close_expunges_without_expunge_responses()
    {
        var (imap, box) = await DeletedOneAsync();
        await using var _ = imap;
        await imap.Send("a1 CLOSE");
        Assert.Empty(await imap.Expect("a1 OK"));
        await imap.Send($"a2 STATUS {box} (MESSAGES)");
        Assert.Contains("MESSAGES 1", Assert.Single(await imap.Expect("a2 OK")), StringComparison.Ordinal);
        await imap.Send("a3 FETCH 1 FLAGS");
        await imap.Expect("a3 BAD");
    }

    [Fact]
    public async Task Unselect_keeps_deleted_messages()
    {
        var (imap, box) = await DeletedOneAsync();
        await using var _ = imap;
        await imap.Send("a1 UNSELECT");
        Assert.Empty(await imap.Expect("a1 OK"));
        await imap.Send($"a2 STATUS {box} (MESSAGES)");
        Assert.Contains("MESSAGES 2", Assert.Single(await imap.Expect("a2 OK")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_after_examine_expunges_nothing()
    {
        var (imap, box) = await DeletedOneAsync();
        await using var _ = imap;
        await imap.Send($"a1 EXAMINE {box}");
        await imap.Expect("a1 OK");
        await imap.Send("a2 CLOSE");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 STATUS {box} (MESSAGES)");
        Assert.Contains("MESSAGES 2", Assert.Single(await imap.Expect("a3 OK")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_and_unselect_need_a_selected_mailbox()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 CLOSE");
        await imap.Expect("a1 BAD");
        await imap.Send("a2 UNSELECT");
        await imap.Expect("a2 BAD");
    }
}
