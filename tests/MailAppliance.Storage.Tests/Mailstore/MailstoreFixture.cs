using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>A store on a fresh database and data directory, with helpers to make users and messages.</summary>
public sealed class MailstoreFixture : IAsyncDisposable
{
    private readonly DatabaseFixture _database;

    private MailstoreFixture(DatabaseFixture database, string dataDirectory)
    {
        _database = database;
        DataDirectory = dataDirectory;
        Directory = new AccountDirectory(database.Database);
        Store = NewStore();
    }

    public string DataDirectory { get; }

    public AccountDirectory Directory { get; }

    public MailStore Store { get; }

    public Npgsql.NpgsqlDataSource DataSource => _database.DataSource;

    public static async Task<MailstoreFixture> CreateAsync()
    {
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        return new MailstoreFixture(database, TestDirectories.Create("store"));
    }

    /// <summary>Another store instance on the same database and tree (as a second process would have).</summary>
    public MailStore NewStore(TimeProvider? time = null, MailstoreOptions? options = null) =>
        new(_database.Database, options ?? new MailstoreOptions(DataDirectory), time ?? TimeProvider.System, NullLogger<MailStore>.Instance);

    public async Task<MailUser> UserAsync(string address, long? quotaBytes = null, long? quotaMessages = null)
    {
        var parsed = MailAddress.Parse(address);
        try
        {
            await Directory.AddDomainAsync(parsed.Domain);
        }
        catch (DirectoryException e) when (e.Error == DirectoryError.DomainExists)
        {
        }

        var id = await Directory.AddUserAsync(parsed, null, quotaBytes);
        if (quotaMessages is not null)
        {
            await using var command = DataSource.CreateCommand("UPDATE users SET quota_messages = $1 WHERE address_id = $2");
            command.Parameters.AddWithValue(quotaMessages.Value);
            command.Parameters.AddWithValue(id);
            await command.ExecuteNonQueryAsync();
        }

        return new MailUser(id, parsed);
    }

    public static byte[] Message(string subject, int bodyBytes = 100)
    {
        var body = new StringBuilder();
        while (body.Length < bodyBytes)
        {
            body.Append("The quick brown fox jumps over the lazy dog ").Append(body.Length).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes($"From: Sender <sender@example.net>\r\nTo: rcpt@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n\r\n{body}");
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        TestDirectories.Delete(DataDirectory);
    }
}
