using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Mime;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Sieve;
using MailAppliance.Testing;
using static MailAppliance.Pipeline.Tests.Sieve.SieveTestKit;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>
/// Vacation (RFC 5230 + RFC 3834) and duplicate (RFC 7352) with their memories in PostgreSQL: one reply per sender
/// per period, never to lists, bulk, auto-submitted or null senders or the user's own addresses.
/// </summary>
public sealed class VacationTests : IClassFixture<DatabaseFixture>
{
    private const string Script = "require \"vacation\"; vacation :days 2 :subject \"Away\" \"I am away until Monday.\";";
    private readonly DatabaseFixture _db;

    public VacationTests(DatabaseFixture db) => _db = db;

    private async Task<SieveUserContext> UserAsync(string local)
    {
        var directory = new AccountDirectory(_db.Database);
        if ((await directory.ListDomainsAsync()).All(d => d.Name != "example.test"))
        {
            await directory.AddDomainAsync(DomainName.Parse("example.test"));
        }

        var id = await directory.AddUserAsync(MailAddress.Parse($"{local}@example.test"), null, null);
        var memory = new PostgresSieveMemory(_db.Database);
        return new SieveUserContext(id, $"{local}@example.test", [$"{local}@example.test", $"{local}.alias@example.test"])
        {
            VacationResponses = memory,
            Duplicates = memory,
            Hostname = "mx.example.test",
        };
    }

    private static string MessageTo(string local, string extraHeaders = "") => $"""
        From: Alice <alice@example.org>
        To: {local}@example.test
        Subject: Lunch?
        Message-ID: <lunch-1@example.org>
        References: <earlier@example.org>
        {extraHeaders}Date: Mon, 1 Jun 2026 10:15:30 +0200

        Lunch on Friday?

        """;

    private static async Task<SieveResult> Deliver(SieveUserContext user, string message, string sender, FixedClock clock, string script = Script)
    {
        var result = await RunAsync(script, message, clock, user, new SieveEnvelope(sender, user.User), dryRun: false);
        await result.CommitAsync(CancellationToken.None);
        return result;
    }

    [Fact]
    public async Task One_reply_per_sender_per_period_with_the_headers_of_rfc_3834()
    {
        var user = await UserAsync("vac1");
        var clock = new FixedClock(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var first = await Deliver(user, MessageTo("vac1"), "alice@example.org", clock);
        var vacation = first.Actions.OfType<SieveVacationAction>().Single();
        var reply = Assert.IsType<SieveVacationReply>(vacation.Reply);
        Assert.Equal("alice@example.org", reply.Recipient);
        Assert.Equal("", reply.EnvelopeSender);
        var parsed = MimeParser.Parse(reply.Message).Root;
        Assert.Equal("vac1@example.test", parsed.GetHeader("From")!.Value);
        Assert.Equal("alice@example.org", parsed.GetHeader("To")!.Value);
        Assert.Equal("Away", parsed.GetDecodedValue("Subject"));
        Assert.Equal("<lunch-1@example.org>", parsed.GetHeader("In-Reply-To")!.Value);
        Assert.Equal("<earlier@example.org> <lunch-1@example.org>", parsed.GetHeader("References")!.Value);
        Assert.StartsWith("auto-replied", parsed.GetHeader("Auto-Submitted")!.Value, StringComparison.Ordinal);
        Assert.Contains("I am away until Monday.", Encoding.UTF8.GetString(reply.Message), StringComparison.Ordinal);
        Assert.Equal("INBOX", first.ImplicitKeep!.Folder);

        var second = await Deliver(user, MessageTo("vac1"), "Alice@Example.org", clock);
        Assert.Null(second.Actions.OfType<SieveVacationAction>().Single().Reply);
        Assert.Contains("already", second.Actions.OfType<SieveVacationAction>().Single().SuppressedBecause);

        Assert.NotNull((await Deliver(user, MessageTo("vac1"), "carol@example.net", clock)).Actions.OfType<SieveVacationAction>().Single().Reply);

        clock.Now = clock.Now.AddDays(2).AddMinutes(1);
        Assert.NotNull((await Deliver(user, MessageTo("vac1"), "alice@example.org", clock)).Actions.OfType<SieveVacationAction>().Single().Reply);
    }

    [Theory]
    [InlineData("", "", "null")]
    [InlineData("MAILER-DAEMON@example.org", "", "system")]
    [InlineData("owner-dev@lists.example.org", "", "system")]
    [InlineData("dev-request@lists.example.org", "", "system")]
    [InlineData("vac2.alias@example.test", "", "own")]
    [InlineData("alice@example.org", "List-Id: <dev.lists.example.org>\n", "mailing list")]
    [InlineData("alice@example.org", "Precedence: bulk\n", "Precedence")]
    [InlineData("alice@example.org", "Precedence: junk\n", "Precedence")]
    [InlineData("alice@example.org", "Auto-Submitted: auto-generated\n", "auto-submitted")]
    [InlineData("alice@example.org", "X-Auto-Response-Suppress: OOF\n", "no automatic")]
    public async Task No_reply_to_lists_bulk_automatic_null_or_own_senders(string sender, string headers, string reason)
    {
        var user = await UserAsync("vac2" + Guid.NewGuid().ToString("N")[..6]);
        var message = MessageTo(user.User.Split('@')[0], headers);
        var result = await Deliver(user with { Addresses = [.. user.Addresses, "vac2.alias@example.test"] }, message, sender, new FixedClock(DateTimeOffset.UtcNow));
        var vacation = result.Actions.OfType<SieveVacationAction>().Single();
        Assert.Null(vacation.Reply);
        Assert.Contains(reason, vacation.SuppressedBecause);
    }

    [Fact]
    public async Task No_reply_when_the_user_is_not_an_explicit_recipient()
    {
        var user = await UserAsync("vac3");
        var result = await Deliver(user, MessageTo("someone-else"), "alice@example.org", new FixedClock(DateTimeOffset.UtcNow));
        Assert.Contains("recipients", result.Actions.OfType<SieveVacationAction>().Single().SuppressedBecause);
    }

    [Fact]
    public async Task Vacation_stops_after_the_end_date_of_a_dated_script()
    {
        var user = await UserAsync("vac4");
        var script = """
            require ["vacation", "date", "relational"];
            if allof (currentdate :zone "+0000" :value "ge" "iso8601" "2026-06-01T00:00:00",
                      currentdate :zone "+0000" :value "lt" "iso8601" "2026-06-15T00:00:00") {
              vacation :days 1 "Away";
            }
            """;
        var during = await Deliver(user, MessageTo("vac4"), "alice@example.org", new FixedClock(new DateTimeOffset(2026, 6, 14, 23, 59, 59, TimeSpan.Zero)), script);
        Assert.NotNull(during.Actions.OfType<SieveVacationAction>().Single().Reply);
        var after = await Deliver(user, MessageTo("vac4"), "bob@example.net", new FixedClock(new DateTimeOffset(2026, 6, 15, 0, 0, 0, TimeSpan.Zero)), script);
        Assert.Empty(after.Actions.OfType<SieveVacationAction>());
        var before = await Deliver(user, MessageTo("vac4"), "bob@example.net", new FixedClock(new DateTimeOffset(2026, 5, 31, 23, 0, 0, TimeSpan.Zero)), script);
        Assert.Empty(before.Actions.OfType<SieveVacationAction>());
    }

    [Fact]
    public async Task Duplicate_is_false_the_first_time_and_true_after_commit()
    {
        var user = await UserAsync("dup1");
        var script = "require [\"duplicate\", \"fileinto\"]; if duplicate { fileinto \"Duplicates\"; }";
        var clock = new FixedClock(DateTimeOffset.UtcNow);
        Assert.Equal(["INBOX"], Folders(await Deliver(user, MessageTo("dup1"), "alice@example.org", clock, script)));
        Assert.Equal(["Duplicates"], Folders(await Deliver(user, MessageTo("dup1"), "alice@example.org", clock, script)));
        clock.Now = clock.Now.AddDays(15);
        Assert.Equal(["INBOX"], Folders(await Deliver(user, MessageTo("dup1"), "alice@example.org", clock, script)));
    }
}
