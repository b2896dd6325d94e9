using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Transcripts;

/// <summary>
/// The real appliance for IMAP transcripts: plaintext LOGIN is allowed (so most transcripts need no TLS), and
/// besides alice there is bob, whose quota is small enough to be exceeded by one APPEND.
/// </summary>
public sealed class TranscriptFixture : ApplianceFixture
{
    private int _names;

    protected override object AuthSettings => new { Pbkdf2Iterations = 1000, AllowPlaintextWithoutTls = true };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Ok("user add bob@example.test --password-stdin --quota 4K", "pw\n");
    }

    /// <summary>A logged-in session of alice over the plain port.</summary>
    public Task<ImapClientScript> LoginAsync(string user = "alice@example.test") => ImapClientScript.LoginAsync(ImapPort, user);

    /// <summary>A mailbox name no other test of the fixture uses.</summary>
    public string Fresh(string prefix = "box") => $"{prefix}{Interlocked.Increment(ref _names)}";

    /// <summary>A small message with a subject and body.</summary>
    public static string Message(string subject, string body = "Hello.", string from = "sender@example.net") =>
        $"From: {from}\r\nTo: alice@example.test\r\nSubject: {subject}\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n\r\n{body}\r\n";

    /// <summary>
    /// Creates <paramref name="mailbox"/> (unless INBOX) and appends the messages to it in a session of its own, which
    /// then selects the mailbox once: the messages are no longer \Recent for the test's own session (RFC 3501 §2.3.2).
    /// </summary>
    public Task SeedAsync(string mailbox, params string[] messages) => SeedAsync(mailbox, keepRecent: false, messages);

    /// <summary>As <see cref="SeedAsync(string, string[])"/>; with <paramref name="keepRecent"/> the messages stay \Recent.</summary>
    public async Task SeedAsync(string mailbox, bool keepRecent, params string[] messages)
    {
        await using var imap = await LoginAsync();
        if (!mailbox.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            await imap.Send($"s0 CREATE \"{mailbox}\"");
            await imap.Expect("s0 OK");
        }

        var i = 0;
        foreach (var message in messages)
        {
            await imap.SendLiteral($"s{++i} APPEND \"{mailbox}\" ", message, synchronizing: false);
            await imap.Expect($"s{i} OK");
        }

        if (!keepRecent)
        {
            await imap.Send($"r1 SELECT \"{mailbox}\"");
            await imap.Expect("r1 OK");
            await imap.Send("r2 UNSELECT");
            await imap.Expect("r2 OK");
        }
    }
}
