using MailAppliance.Smtp.Client.MtaSts;
using MailAppliance.Storage.Policies;
using MailAppliance.Testing;

namespace MailAppliance.Smtp.Tests.Client.MtaSts;

public sealed class PersistentMtaStsPolicyStoreTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static MtaStsPolicy Policy(string mode = "enforce") =>
        MtaStsPolicy.TryParse($"version: STSv1\nmode: {mode}\nmx: mx1.example.test\nmx: *.mx.example.test\nmax_age: 86400\n", out var p, out _) ? p! : throw new InvalidOperationException();

    [Fact]
    public async Task A_stored_policy_survives_a_restart()
    {
        var fetchedAt = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        await new PersistentMtaStsPolicyStore(new MtaStsPolicyTable(database.Database)).SetAsync(new CachedMtaStsPolicy("restart.example.test", Policy(), "id1", fetchedAt));

        var afterRestart = new PersistentMtaStsPolicyStore(new MtaStsPolicyTable(database.Database));
        var cached = await afterRestart.GetAsync("Restart.Example.TEST");
        Assert.NotNull(cached);
        Assert.Equal("id1", cached.Id);
        Assert.Equal(fetchedAt, cached.FetchedAt);
        Assert.Equal(fetchedAt.AddDays(1), cached.ExpiresAt);
        Assert.Equal(MtaStsMode.Enforce, cached.Policy.Mode);
        Assert.Equal(["mx1.example.test", "*.mx.example.test"], cached.Policy.Mx);
    }

    [Fact]
    public async Task A_newer_fetch_replaces_the_policy_and_an_older_one_does_not()
    {
        var table = new MtaStsPolicyTable(database.Database);
        var store = new PersistentMtaStsPolicyStore(table);
        var t0 = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        await store.SetAsync(new CachedMtaStsPolicy("order.example.test", Policy(), "a", t0));
        await store.SetAsync(new CachedMtaStsPolicy("order.example.test", Policy("testing"), "b", t0.AddHours(1)));
        await table.SetAsync(new StoredMtaStsPolicy("order.example.test", "old", Policy("none").ToText(), t0.AddMinutes(-5), t0.AddDays(1)));
        var stored = await table.GetAsync("order.example.test");
        Assert.Equal("b", stored!.PolicyId);

        await store.RemoveAsync("order.example.test");
        Assert.Null(await new PersistentMtaStsPolicyStore(table).GetAsync("order.example.test"));
    }

    [Fact]
    public async Task Expired_policies_are_swept()
    {
        var table = new MtaStsPolicyTable(database.Database);
        var t0 = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await table.SetAsync(new StoredMtaStsPolicy("expired.example.test", "x", Policy().ToText(), t0, t0.AddDays(1)));
        Assert.True(await table.RemoveExpiredAsync(t0.AddDays(2)) >= 1);
        Assert.Null(await table.GetAsync("expired.example.test"));
    }
}
