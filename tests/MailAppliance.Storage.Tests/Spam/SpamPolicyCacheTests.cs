using MailAppliance.Storage.Spam;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Storage.Tests.Spam;

public sealed class SpamPolicyCacheTests : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly DatabaseFixture _db;
    private readonly SpamSettingsStore _store;
    private readonly SpamPolicyCache _cache;
    private readonly SpamScope _user = SpamScope.ForUser($"p{Guid.NewGuid():N}"[..12] + "@policy.test");

    public SpamPolicyCacheTests(DatabaseFixture db)
    {
        _db = db;
        _store = new SpamSettingsStore(db.Database);
        _cache = new SpamPolicyCache(_store, db.Database, TimeProvider.System, NullLogger.Instance);
    }

    private IReadOnlyList<SpamScope> Scopes => [SpamScope.Global, _user];

    public async Task InitializeAsync()
    {
        await _cache.ReadAsync(Scopes, CancellationToken.None); // starts the listener
        await EventuallyAsync(() => Task.FromResult(_cache.IsListening));
    }

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private async Task<double?> TagAsync(ISpamPolicySource source) =>
        (await source.ReadAsync(Scopes, CancellationToken.None)).Thresholds.SingleOrDefault(t => t.Scope == _user)?.Tag;

    /// <summary>Changes the user's tag threshold with the notification triggers off: a change the cache cannot hear of.</summary>
    private async Task SetTagSilentlyAsync(double tag)
    {
        await using var connection = await _db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var sql in new[]
        {
            "ALTER TABLE spam_settings DISABLE TRIGGER spam_settings_changed",
            FormattableString.Invariant($"UPDATE spam_settings SET tag = {tag} WHERE scope_kind = {(short)_user.Kind} AND scope = '{_user.Name}'"),
            "ALTER TABLE spam_settings ENABLE TRIGGER spam_settings_changed",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_threshold_set_by_another_connection_is_seen_by_the_next_scan()
    {
        Assert.Null(await TagAsync(_cache));

        await _store.SetThresholdAsync(_user, SpamThresholdKind.Tag, 2.5, CancellationToken.None);

        await EventuallyAsync(async () => await TagAsync(_cache) == 2.5);
    }

    [Fact]
    public async Task The_rows_are_remembered_until_a_change_to_the_spam_settings_is_committed()
    {
        // The change's own notification may arrive after the cache has already read 3.0 (CI under load saw the
        // cache read 7.0 below for that reason): wait until it has been heard, then read what is remembered.
        var before = _cache.Generation;
        await _store.SetThresholdAsync(_user, SpamThresholdKind.Tag, 3.0, CancellationToken.None);
        await EventuallyAsync(() => Task.FromResult(_cache.Generation > before));
        await EventuallyAsync(async () => await TagAsync(_cache) == 3.0);
        var heard = _cache.Generation;

        await SetTagSilentlyAsync(7.0);
        Assert.Equal(7.0, await TagAsync(_store));
        Assert.Equal(3.0, await TagAsync(_cache)); // remembered: no query
        Assert.Equal(heard, _cache.Generation); // and nothing else was heard meanwhile that could explain it

        // Any committed change to the lists is heard too, and everything is read again.
        await _store.SetListEntryAsync(SpamScope.Global, $"{Guid.NewGuid():N}@elsewhere.test", allow: true, CancellationToken.None);
        await EventuallyAsync(async () => await TagAsync(_cache) == 7.0);
    }
}
