using System.Text;
using MailAppliance.Pipeline.Srs;

namespace MailAppliance.Pipeline.Tests.Srs;

public sealed class SrsSecretsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("srs-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Lines_are_secrets_in_order_and_blank_lines_are_skipped()
    {
        Assert.True(SrsSecrets.TryParse("first\r\n\nsecond\nthird"u8, out var secrets));
        Assert.Equal(["first", "second", "third"], secrets!.Keys.Select(k => Encoding.UTF8.GetString(k)));
        Assert.False(SrsSecrets.TryParse("\n\n"u8, out _));
    }

    [Fact]
    public void A_missing_file_is_created_once_with_a_private_random_secret()
    {
        var path = Path.Combine(_directory, "sub", "srs.secret");
        var first = SrsSecrets.LoadOrCreate(path);
        Assert.Single(first.Keys);
        Assert.True(first.Keys[0].Length >= 24);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first.Keys[0], SrsSecrets.LoadOrCreate(path).Keys[0]);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void An_existing_postsrsd_file_is_used_as_it_is()
    {
        var path = Path.Combine(_directory, "postsrsd.secret");
        File.WriteAllText(path, "tops3cr3t\nold-one\n");
        var srs = new SrsRewriter("example.com", SrsSecrets.LoadOrCreate(path), new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1577836860)));
        Assert.Equal("SRS0=vmyz=2W=otherdomain.com=test@example.com", srs.Forward("test@otherdomain.com"));
    }

    [Fact]
    public void An_empty_file_is_an_error_naming_it()
    {
        var path = Path.Combine(_directory, "empty.secret");
        File.WriteAllText(path, "\n");
        var e = Assert.Throws<SrsSecretException>(() => SrsSecrets.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
