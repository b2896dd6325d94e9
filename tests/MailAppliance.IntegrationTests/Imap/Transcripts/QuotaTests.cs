namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>QUOTA (RFC 9208): one quota root "" per user; SETQUOTA is the administrator's.</summary>
public sealed class QuotaTests(TranscriptFixture app) : IClassFixture<TranscriptFixture>
{
    [Fact]
    public async Task Getquotaroot_names_the_root_and_its_quota()
    {
        await using var imap = await app.LoginAsync("bob@example.test");
        await imap.Send("a1 GETQUOTAROOT INBOX");
        var reply = await imap.Expect("a1 OK");
        Assert.Matches(@"^\* QUOTAROOT (INBOX|""INBOX"") """"$", reply.Single("* QUOTAROOT"));
        Assert.Matches(@"^\* QUOTA """" \(STORAGE \d+ 4\)$", reply.Single("* QUOTA "));
    }

    [Fact]
    public async Task Getquota_of_the_root_and_of_an_unknown_root()
    {
        await using var imap = await app.LoginAsync("bob@example.test");
        await imap.Send("a1 GETQUOTA \"\"");
        Assert.StartsWith("* QUOTA \"\" (STORAGE ", Assert.Single(await imap.Expect("a1 OK")), StringComparison.Ordinal);
        await imap.Send("a2 GETQUOTA \"other\"");
        await imap.Expect("a2 NO");
    }

    [Fact]
    public async Task A_user_without_quota_has_no_quota_root()
    {
        // RFC 9208 §5.1: a QUOTA response lists at least one resource, so an unlimited user has no root at all.
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 GETQUOTAROOT INBOX");
        Assert.Matches(@"^\* QUOTAROOT (INBOX|""INBOX"")$", Assert.Single(await imap.Expect("a1 OK")));
        await imap.Send("a2 GETQUOTA \"\"");
        await imap.Expect("a2 NO [NONEXISTENT]");
    }

    [Fact]
    public async Task Setquota_is_refused()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 SETQUOTA \"\" (STORAGE 100)");
        await imap.Expect("a1 NO");
    }

    [Fact]
    public async Task Getquotaroot_of_a_missing_mailbox_fails()
    {
        await using var imap = await app.LoginAsync();
        await imap.Send("a1 GETQUOTAROOT nosuchbox");
        await imap.Expect("a1 NO");
        await imap.Send("a2 GETQUOTAROOT");
        await imap.Expect("a2 BAD");
    }
}
