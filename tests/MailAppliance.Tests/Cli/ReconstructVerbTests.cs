using System.Text;
using System.Text.Json;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MailAppliance.Tests.Cli;

/// <summary><c>mailappliance reconstruct</c> after the index is lost, as an admin would run it.</summary>
public sealed class ReconstructVerbTests : IAsyncLifetime
{
    private string _root = "";
    private string _connectionString = "";
    private CliRunner _cli = null!;

    public async Task InitializeAsync()
    {
        _root = TestDirectories.Create("reconstruct");
        _connectionString = await TestCluster.CreateDatabaseAsync();
        _cli = CliRunner.WithConfig(_root, new
        {
            ConnectionStrings = new { Metadata = _connectionString },
            Storage = new { DataDirectory = Path.Combine(_root, "data") },
            Auth = new { Pbkdf2Iterations = 1000 },
        });
        Assert.Equal(0, (await _cli.RunAsync("domain add example.test")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("user add ann@example.test")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("user add ben@example.test")).ExitCode);
    }

    public Task DisposeAsync()
    {
        TestDirectories.Delete(_root);
        return Task.CompletedTask;
    }

    private async Task<(NpgsqlDataSource DataSource, MailStore Store)> StoreAsync()
    {
        var dataSource = NpgsqlDataSource.Create(_connectionString);
        await Task.CompletedTask;
        return (dataSource, new MailStore(MailAppliance.Storage.Database.StorageDatabase.Create(_connectionString), new MailstoreOptions(Path.Combine(_root, "data")), TimeProvider.System, NullLogger<MailStore>.Instance));
    }

    private static async Task<long> IdOfAsync(NpgsqlDataSource dataSource, string address)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM addresses WHERE address_key = $1");
        command.Parameters.AddWithValue(address);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Reconstruct_rebuilds_a_lost_index_with_the_same_uids()
    {
        var (dataSource, store) = await StoreAsync();
        await using var _ = dataSource;
        var ann = new MailUser(await IdOfAsync(dataSource, "ann@example.test"), MailAddress.Parse("ann@example.test"));
        for (var i = 0; i < 3; i++)
        {
            await store.DeliverAsync(new DeliveryRequest(ann, MailboxName.Inbox), new MemoryStream(Encoding.ASCII.GetBytes($"Subject: {i}\r\n\r\nbody {i}\r\n")), CancellationToken.None);
        }

        var uidValidity = (await store.FindMailboxAsync(ann, MailboxName.Inbox, CancellationToken.None))!.UidValidity;
        await using (var drop = dataSource.CreateCommand("DELETE FROM mailboxes"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        var result = await _cli.RunAsync("reconstruct --user Ann@example.test");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("reconstructed ann@example.test: 5 folders, 3 messages (0 new UIDs)", result.Output, StringComparison.Ordinal);
        Assert.Contains("reconstruct ann@example.test: 5/5 folders", result.Error, StringComparison.Ordinal);

        var inbox = (await store.FindMailboxAsync(ann, MailboxName.Inbox, CancellationToken.None))!;
        Assert.Equal(uidValidity, inbox.UidValidity);
        Assert.Equal([1u, 2u, 3u], (await store.ListMessagesAsync(inbox, CancellationToken.None)).Select(m => m.Uid));
    }

    [Fact]
    public async Task Reconstruct_all_covers_every_user_and_speaks_json()
    {
        var result = await _cli.RunAsync("reconstruct --all --json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(["ann@example.test", "ben@example.test"], json.RootElement.EnumerateArray().Select(e => e.GetProperty("address").GetString()).Order());
        Assert.True(Directory.Exists(Path.Combine(_root, "data", "mail", "example.test", "ben", "Maildir", ".Trash")));
    }

    [Fact]
    public async Task Reconstruct_needs_a_known_user_or_all()
    {
        Assert.Equal(2, (await _cli.RunAsync("reconstruct")).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync("reconstruct --all --user ann@example.test")).ExitCode);
        var unknown = await _cli.RunAsync("reconstruct --user nobody@example.test");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("error: unknown user nobody@example.test\n", unknown.Error);
    }
}
