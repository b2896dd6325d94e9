using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Testing;
using Npgsql;

namespace MailAppliance.Storage.Tests.Accounts;

public sealed class ForwardOutcomeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly AccountDirectory _directory = new(db.Database);
    private readonly string _domain = $"f{Guid.NewGuid():N}"[..12] + ".test";

    private MailAddress A(string local) => MailAddress.Parse($"{local}@{_domain}");

    /// <summary>The payloads heard on directory_changed while <paramref name="act"/> runs, up to a marker sent after it.</summary>
    private async Task<List<string>> HeardDuringAsync(Func<Task> act)
    {
        await using var listen = await db.DataSource.OpenConnectionAsync();
        var heard = new List<string>();
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        listen.Notification += (_, e) => heard.Add(e.Payload);
        await using (var command = new NpgsqlCommand("LISTEN directory_changed", listen))
        {
            await command.ExecuteNonQueryAsync();
        }

        await act();
        await using (var notify = await db.DataSource.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand($"NOTIFY directory_changed, '{marker}'", notify))
        {
            await command.ExecuteNonQueryAsync();
        }

        // Notifications arrive in commit order: once the marker is here, everything the act sent is too.
        while (!heard.Contains(marker))
        {
            await listen.WaitAsync(TimeSpan.FromSeconds(10));
        }

        return heard.Where(p => p != marker).ToList();
    }

    [Fact]
    public async Task A_forward_delivered_does_not_make_every_node_forget_its_cached_resolutions()
    {
        await _directory.AddDomainAsync(DomainName.Parse(_domain));
        await _directory.AddUserAsync(A("carol"), null, null);
        await _directory.SetForwardAsync(A("carol"), [MailAddress.Parse("friend@elsewhere.test")], keep: false);

        Assert.Empty(await HeardDuringAsync(() => _directory.RecordForwardOutcomeAsync(A("carol"), refusedAsSpam: false, "250 ok", pauseAfter: 3)));

        // A refusal is counted (still nothing the cache depends on) until the forward pauses: that is heard.
        Assert.Empty(await HeardDuringAsync(() => _directory.RecordForwardOutcomeAsync(A("carol"), refusedAsSpam: true, "550 5.7.1 spam", pauseAfter: 2)));
        Assert.Empty(await HeardDuringAsync(() => _directory.RecordForwardOutcomeAsync(A("carol"), refusedAsSpam: false, "250 ok", pauseAfter: 2)));
        Assert.Empty(await HeardDuringAsync(() => _directory.RecordForwardOutcomeAsync(A("carol"), refusedAsSpam: true, "550 5.7.1 spam", pauseAfter: 2)));
        Assert.Equal(["forwards"], await HeardDuringAsync(() => _directory.RecordForwardOutcomeAsync(A("carol"), refusedAsSpam: true, "550 5.7.1 spam", pauseAfter: 2)));
    }

    [Fact]
    public async Task A_forward_reached_through_an_alias_or_another_forward_is_owned_by_its_user()
    {
        await _directory.AddDomainAsync(DomainName.Parse(_domain));
        await _directory.AddUserAsync(A("dave"), null, null);
        await _directory.AddUserAsync(A("erin"), null, null);
        await _directory.SetForwardAsync(A("dave"), [MailAddress.Parse("Dave@Elsewhere.test")], keep: true);
        await _directory.SetForwardAsync(A("erin"), [A("dave"), MailAddress.Parse("erin@other.test")], keep: false);
        await _directory.AddAliasAsync(A("team"), [A("dave")]);

        var target = MailAddress.Parse("dave@elsewhere.test");
        Assert.Equal([A("dave").Key], (await _directory.ForwardOwnersAsync(A("dave"), target)).Select(a => a.Key));
        Assert.Equal([A("dave").Key], (await _directory.ForwardOwnersAsync(A("team"), target)).Select(a => a.Key));
        Assert.Equal([A("dave").Key], (await _directory.ForwardOwnersAsync(A("erin"), target)).Select(a => a.Key));
        Assert.Equal([A("erin").Key], (await _directory.ForwardOwnersAsync(A("erin"), MailAddress.Parse("erin@other.test"))).Select(a => a.Key));
        Assert.Empty(await _directory.ForwardOwnersAsync(A("team"), MailAddress.Parse("erin@other.test")));
        Assert.Empty(await _directory.ForwardOwnersAsync(A("nobody"), target));
    }
}
