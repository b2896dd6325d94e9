using System.Diagnostics;
using MailAppliance.Core.Security;

namespace MailAppliance.Core.Tests.Security;

/// <summary>Hashes made by Dovecot's own <c>doveadm pw</c> verify with the right password and never with a wrong one.</summary>
public sealed class ImportedPasswordHashTests
{
    private const string Password = "s3cret pass";

    [Theory]
    [InlineData("SHA512-CRYPT")]
    [InlineData("SHA256-CRYPT")]
    [InlineData("MD5-CRYPT")]
    [InlineData("BLF-CRYPT")]
    [InlineData("ARGON2I")]
    [InlineData("ARGON2ID")]
    [InlineData("PBKDF2")]
    [InlineData("SSHA512")]
    [InlineData("SSHA256")]
    [InlineData("SSHA")]
    [InlineData("SMD5")]
    [InlineData("SHA512")]
    [InlineData("SHA256")]
    [InlineData("SHA1")]
    [InlineData("PLAIN-MD5")]
    [InlineData("LDAP-MD5")]
    [InlineData("SHA256.HEX")]
    [InlineData("SSHA512.HEX")]
    [InlineData("PLAIN")]
    [InlineData("CLEARTEXT")]
    public async Task A_doveadm_hash_verifies_the_right_password_only(string scheme)
    {
        var hash = await DoveadmPw(scheme);
        Assert.True(ImportedPasswordHash.Verify(Password, hash), hash);
        Assert.False(ImportedPasswordHash.Verify(Password + "x", hash), hash);
        Assert.False(ImportedPasswordHash.Verify("", hash), hash);
        Assert.Equal(PasswordVerification.SucceededNeedsRehash, new PasswordHasher(1000).Verify(Password, hash));
        Assert.Equal(PasswordVerification.Failed, new PasswordHasher(1000).Verify("nope", hash));
    }

    [Fact]
    public void A_bare_crypt_string_is_read_as_dovecots_default_scheme()
    {
        var stored = ImportedPasswordHash.Normalize("$1$5oYXwOAC$JfO5jfbpXCuL9iB90Bml60", out var refusal);
        Assert.Null(refusal);
        Assert.Equal("{CRYPT}$1$5oYXwOAC$JfO5jfbpXCuL9iB90Bml60", stored);
        Assert.True(ImportedPasswordHash.Verify(Password, stored!));
    }

    [Theory]
    [InlineData("{CRAM-MD5}fa85791b68c7cce23ff7b9e3ede4ca06ac2d1eff94e0aec3c8dc81b73dc8e7e6")]
    [InlineData("{DIGEST-MD5}0123")]
    [InlineData("{NTLM}0123")]
    public void Schemes_we_cannot_check_are_refused_with_their_name(string field)
    {
        Assert.Null(ImportedPasswordHash.Normalize(field, out var refusal));
        Assert.StartsWith("unsupported password scheme {", refusal, StringComparison.Ordinal);
        Assert.False(ImportedPasswordHash.Verify(Password, field));
    }

    [Theory]
    [InlineData("{SHA512-CRYPT}*")]
    [InlineData("{SHA512-CRYPT}!locked")]
    [InlineData("{ARGON2ID}$argon2id$v=19$m=65536,t=3$bad")]
    [InlineData("{PBKDF2}$1$salt$x$00")]
    [InlineData("{SSHA512}not base64!")]
    [InlineData("{BLF-CRYPT}$2y$05$short")]
    public void Damaged_values_never_match(string stored) => Assert.False(ImportedPasswordHash.Verify(Password, stored));

    private static async Task<string> DoveadmPw(string scheme)
    {
        Assert.True(File.Exists("/usr/bin/doveadm"), "doveadm is missing: install dovecot-core (scripts/install-deps.sh --test)");
        var start = new ProcessStartInfo("doveadm", ["pw", "-s", scheme, "-p", Password]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        return output.Trim();
    }
}
