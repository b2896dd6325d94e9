namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>SUBSCRIBE, UNSUBSCRIBE, LSUB (RFC 3501 §6.3.6, §6.3.7, §6.3.9) and LIST (SUBSCRIBED).</summary>
public sealed class SubscribeLsubTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Subscribe_then_lsub_then_unsubscribe()
    {
        var box = app.Fresh("sub");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SUBSCRIBE {box}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LSUB \"\" \"{box}\"");
        Assert.Matches($"^\\* LSUB \\(.*\\) \"/\" \"?{box}\"?$", Assert.Single(await imap.Expect("a3 OK")));
        await imap.Send($"a4 LIST (SUBSCRIBED) \"\" \"{box}\"");
        Assert.Contains("\\Subscribed", Assert.Single(await imap.Expect("a4 OK")), StringComparison.Ordinal);
        await imap.Send($"a5 UNSUBSCRIBE {box}");
        await imap.Expect("a5 OK");
        await imap.Send($"a6 LSUB \"\" \"{box}\"");
        Assert.Empty(await imap.Expect("a6 OK"));
    }

    [Fact]
    public async Task Lsub_shows_an_unsubscribed_parent_as_noselect_for_percent()
    {
        var box = app.Fresh("parent");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}/child");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SUBSCRIBE {box}/child");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LSUB \"\" \"{box}\"");
        Assert.Contains("\\Noselect", Assert.Single(await imap.Expect("a3 OK")), StringComparison.Ordinal);
        await imap.Send($"a4 LSUB \"\" \"{box}/*\"");
        Assert.Single(await imap.Expect("a4 OK"));
    }

    [Fact]
    public async Task Lsub_with_star_lists_only_subscribed_names_and_percent_adds_the_parent()
    {
        // RFC 3501 §6.3.9: "%" may return a \Noselect parent that is not subscribed itself; "*" reaches the child.
        var box = app.Fresh("tree");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}/a/b");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SUBSCRIBE {box}/a/b");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LSUB \"\" \"{box}*\"");
        Assert.Equal([$"* LSUB () \"/\" \"{box}/a/b\""], await imap.Expect("a3 OK"));
        await imap.Send($"a4 LSUB \"\" \"{box}/%\"");
        Assert.Equal([$"* LSUB (\\Noselect) \"/\" \"{box}/a\""], await imap.Expect("a4 OK"));
    }

    [Fact]
    public async Task Recursivematch_gives_childinfo_for_parents_of_subscribed_names_the_pattern_misses()
    {
        var box = app.Fresh("rm");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}/x/y");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SUBSCRIBE {box}/x/y");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"{box}/%\" RETURN (CHILDREN)");
        Assert.Equal([$"* LIST (\\HasChildren) \"/\" \"{box}/x\" (\"CHILDINFO\" (\"SUBSCRIBED\"))"], await imap.Expect("a3 OK"));
        await imap.Send($"a4 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"{box}/*\"");
        Assert.Equal([$"* LIST (\\HasNoChildren \\Subscribed) \"/\" \"{box}/x/y\""], await imap.Expect("a4 OK"));
    }

    [Fact]
    public async Task Subscribe_to_a_missing_mailbox_fails_and_unsubscribe_is_idempotent()
    {
        var box = app.Fresh("missing");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 SUBSCRIBE {box}");
        await imap.Expect("a1 NO");
        await imap.Send($"a2 UNSUBSCRIBE {box}");
        await imap.Expect("a2 OK");
        await imap.Send("a3 SUBSCRIBE");
        await imap.Expect("a3 BAD");
    }

    [Fact]
    public async Task Deleting_a_mailbox_keeps_its_subscription_as_dovecot_does()
    {
        var box = app.Fresh("gone");
        await using var imap = await app.LoginAsync();
        await imap.Send($"a1 CREATE {box}");
        await imap.Expect("a1 OK");
        await imap.Send($"a2 SUBSCRIBE {box}");
        await imap.Expect("a2 OK");
        await imap.Send($"a3 DELETE {box}");
        await imap.Expect("a3 OK");
        await imap.Send($"a4 LSUB \"\" \"{box}\"");
        Assert.Equal([$"* LSUB (\\Noselect) \"/\" \"{box}\""], await imap.Expect("a4 OK"));
        await imap.Send($"a5 LIST (SUBSCRIBED) \"\" \"{box}\"");
        Assert.Equal([$"* LIST (\\NonExistent \\Subscribed) \"/\" \"{box}\""], await imap.Expect("a5 OK"));
    }
}
