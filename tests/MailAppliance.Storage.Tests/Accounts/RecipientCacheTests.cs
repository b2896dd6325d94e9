using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Storage.Tests.Accounts;

public sealed class RecipientCacheTests : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly DatabaseFixture _db;
    private readonly AccountDirectory _directory;
    private readonly RecipientCache _cache;
    private readonly string _domain = $"r{Guid.NewGuid():N}"[..12] + ".test";

    public RecipientCacheTests(DatabaseFixture db)
    {
        _db = db;
        _directory = new AccountDirectory(db.Database);
        _cache = new RecipientCache(_directory, db.Database, TimeProvider.System, NullLogger<RecipientCache>.Instance);
    }

    public async Task InitializeAsync()
    {
        await _directory.AddDomainAsync(DomainName.Parse(_domain));
        await _cache.ResolveAsync(A("warm-up")); // starts the listener
        await EventuallyAsync(() => Task.FromResult(_cache.IsListening));
    }

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private MailAddress A(string local) => MailAddress.Parse($"{local}@{_domain}");

    /// <summary>Removes an address with the notification triggers off: a change the cache cannot hear of.</summary>
    private async Task RemoveSilentlyAsync(MailAddress address)
    {
        await using var connection = await _db.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("""
            BEGIN;
            ALTER TABLE addresses DISABLE TRIGGER addresses_changed;
            ALTER TABLE users DISABLE TRIGGER users_changed;
            ALTER TABLE alias_targets DISABLE TRIGGER alias_targets_changed;
            ALTER TABLE forwards DISABLE TRIGGER forwards_changed;
            DELETE FROM addresses WHERE address_key = $1;
            ALTER TABLE addresses ENABLE TRIGGER addresses_changed;
            ALTER TABLE users ENABLE TRIGGER users_changed;
            ALTER TABLE alias_targets ENABLE TRIGGER alias_targets_changed;
            ALTER TABLE forwards ENABLE TRIGGER forwards_changed;
            COMMIT;
            """.Replace("$1", "'" + address.Key + "'", StringComparison.Ordinal), connection);
        await command.ExecuteNonQueryAsync();
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
    public async Task A_resolution_is_remembered_until_any_change_to_the_directory_is_committed()
    {
        await _directory.AddUserAsync(A("kept"), null, null);
        await Task.Delay(300); // the add's own notification has come and gone
        Assert.IsType<Resolution.Recipients>(await _cache.ResolveAsync(A("kept")));

        await RemoveSilentlyAsync(A("kept"));
        Assert.IsType<Resolution.Recipients>(await _cache.ResolveAsync(A("kept"))); // remembered: no query
        Assert.IsType<Resolution.Unknown>(await _directory.ResolveAsync(A("kept")));

        await _directory.AddUserAsync(A("someone-else"), null, null); // any committed change is heard
        await EventuallyAsync(async () => await _cache.ResolveAsync(A("kept")) is Resolution.Unknown);
    }

    [Fact]
    public async Task Users_added_and_removed_by_another_connection_are_seen_at_rcpt()
    {
        Assert.IsType<Resolution.Unknown>(await _cache.ResolveAsync(A("newcomer")));
        await _directory.AddUserAsync(A("newcomer"), null, null);
        await EventuallyAsync(async () => await _cache.ResolveAsync(A("newcomer")) is Resolution.Recipients);

        await _directory.RemoveUserAsync(A("newcomer"));
        await EventuallyAsync(async () => await _cache.ResolveAsync(A("newcomer")) is Resolution.Unknown);

        await _directory.AddUserAsync(A("target"), null, null);
        await _directory.AddAliasAsync(A("list"), [A("target")]);
        await EventuallyAsync(async () => await _cache.ResolveAsync(A("list")) is Resolution.Recipients);
    }

    [Fact]
    public async Task A_user_with_a_quota_is_read_every_time_since_its_usage_moves_with_each_delivery()
    {
        await _directory.AddUserAsync(A("quota"), null, 10_000);
        await EventuallyAsync(async () => await _cache.ResolveAsync(A("quota")) is Resolution.Recipients);

        await RemoveSilentlyAsync(A("quota"));
        Assert.IsType<Resolution.Unknown>(await _cache.ResolveAsync(A("quota")));
    }

    [Fact]
    public async Task An_entry_is_read_again_once_it_is_older_than_its_max_age()
    {
        await using var shortLived = new RecipientCache(_directory, _db.Database, TimeProvider.System, NullLogger<RecipientCache>.Instance)
        {
            MaxAge = TimeSpan.FromMilliseconds(200),
        };
        await _directory.AddUserAsync(A("aging"), null, null);
        await shortLived.ResolveAsync(A("aging"));
        await EventuallyAsync(() => Task.FromResult(shortLived.IsListening));
        Assert.IsType<Resolution.Recipients>(await shortLived.ResolveAsync(A("aging")));

        await RemoveSilentlyAsync(A("aging"));
        await Task.Delay(300);
        Assert.IsType<Resolution.Unknown>(await shortLived.ResolveAsync(A("aging")));
    }
}
