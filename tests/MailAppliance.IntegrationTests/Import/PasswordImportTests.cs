using MailAppliance.Testing;
using Npgsql;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// <c>import passwords</c> with a passwd-file whose hashes Dovecot itself made (<c>doveadm pw</c>): every scheme we
/// take logs in over IMAP with its password (wrong passwords: ImportedPasswordHashTests), and that first login replaces the hash with ours; a scheme we refuse,
/// and a user of an unknown domain, are named.
/// </summary>
public sealed class PasswordImportTests(ImportFixture app) : IClassFixture<ImportFixture>
{
    private const string Password = "s3cret-pass";

    private static readonly string[] Schemes =
        ["SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "BLF-CRYPT", "ARGON2I", "ARGON2ID", "PBKDF2", "SSHA512", "SSHA256", "SHA512", "SSHA", "SMD5", "PLAIN-MD5", "SHA256.HEX", "PLAIN"];

    private static async Task<string> DoveadmPw(string scheme)
    {
        Assert.True(File.Exists("/usr/bin/doveadm"), "doveadm is missing: install dovecot-core (scripts/install-deps.sh --test)");
        var (exit, output) = await ApplianceFixture.RunAsync("doveadm", ["pw", "-s", scheme, "-p", Password]);
        Assert.True(exit == 0, output);
        return output.Trim();
    }

    private static string Local(string scheme) => "pw-" + scheme.ToLowerInvariant().Replace('.', '-');

    [Fact]
    public async Task Every_dovecot_scheme_we_take_logs_in_and_is_upgraded_at_the_first_login()
    {
        var lines = new List<string> { "# made by doveadm pw" };
        foreach (var scheme in Schemes)
        {
            lines.Add($"{Local(scheme)}@example.test:{await DoveadmPw(scheme)}:1000:1000::/home/x::");
        }

        lines.Add($"cram@example.test:{await DoveadmPw("CRAM-MD5")}:1000:1000::/home/x::");
        lines.Add($"someone@unknown.test:{await DoveadmPw("SHA512-CRYPT")}::::::");
        var file = Path.Combine(app.Root, "passwd");
        await File.WriteAllLinesAsync(file, lines);

        var result = await app.Cli.RunAsync(["import", "passwords", file]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"imported {Schemes.Length}, duplicates 0, skipped 0, failed 2\n", result.Output);
        Assert.Contains("cram@example.test: unsupported password scheme {CRAM-MD5}", result.Error, StringComparison.Ordinal);
        Assert.Contains("someone@unknown.test", result.Error, StringComparison.Ordinal);

        // Again: the same hashes are already there.
        result = await app.Cli.RunAsync(["import", "passwords", file, "--json"]);
        Assert.Equal($"{{\"imported\":0,\"duplicates\":0,\"skipped\":{Schemes.Length},\"failed\":2}}\n", result.Output);

        foreach (var scheme in Schemes)
        {
            var user = $"{Local(scheme)}@example.test";
            Assert.StartsWith("{" + scheme.Split('.')[0], await HashOf(user), StringComparison.Ordinal);
            await using (var imap = await ImapClientScript.LoginAsync(app.ImapPort, user, Password))
            {
            }

            Assert.StartsWith("{PBKDF2-SHA256}", await HashOf(user), StringComparison.Ordinal);
            await using (var again = await ImapClientScript.LoginAsync(app.ImapPort, user, Password))
            {
            }
        }
    }

    private async Task<string> HashOf(string user)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT u.password_hash FROM users u JOIN addresses a ON a.id = u.address_id WHERE a.address_key = $1", connection);
        command.Parameters.AddWithValue(user);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
