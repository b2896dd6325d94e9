using MailAppliance.Core.Security;

namespace MailAppliance.Core.Tests.Security;

public class PasswordHasherTests
{
    private readonly PasswordHasher _hasher = new(iterations: 1_000);

    [Fact]
    public void Hash_is_self_describing_pbkdf2_sha256()
    {
        var hash = _hasher.Hash("correct horse");
        var fields = hash.Split('$');
        Assert.StartsWith("{PBKDF2-SHA256}$1000$", hash, StringComparison.Ordinal);
        Assert.Equal(4, fields.Length);
        Assert.Equal(16, Convert.FromBase64String(fields[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(fields[3]).Length);
    }

    [Fact]
    public void Verifies_the_right_password_only()
    {
        var hash = _hasher.Hash("correct horse");
        Assert.Equal(PasswordVerification.Succeeded, _hasher.Verify("correct horse", hash));
        Assert.Equal(PasswordVerification.Failed, _hasher.Verify("correct horsE", hash));
        Assert.Equal(PasswordVerification.Failed, _hasher.Verify("", hash));
    }

    [Fact]
    public void Every_hash_has_its_own_salt()
    {
        Assert.NotEqual(_hasher.Hash("same"), _hasher.Hash("same"));
    }

    [Fact]
    public void Unicode_passwords_are_hashed_as_utf8()
    {
        var hash = _hasher.Hash("pässwörd✓");
        Assert.Equal(PasswordVerification.Succeeded, _hasher.Verify("pässwörd✓", hash));
        Assert.Equal(PasswordVerification.Failed, _hasher.Verify("passwort", hash));
    }

    [Fact]
    public void Weaker_stored_hash_asks_for_a_rehash()
    {
        var old = new PasswordHasher(1_000).Hash("pw");
        Assert.Equal(PasswordVerification.SucceededNeedsRehash, new PasswordHasher(2_000).Verify("pw", old));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("{SHA}abc")]
    [InlineData("{PBKDF2-SHA256}")]
    [InlineData("{PBKDF2-SHA256}$x$AAAA$AAAA")]
    [InlineData("{PBKDF2-SHA256}$1000$not base64$AAAA")]
    [InlineData("{PBKDF2-SHA256}$1000$AAAA$")]
    [InlineData("{PBKDF2-SHA256}$0$AAAA$AAAA")]
    public void Unknown_or_damaged_hashes_never_match(string? stored)
    {
        Assert.Equal(PasswordVerification.Failed, _hasher.Verify("plaintext", stored));
    }

    [Fact]
    public void Refuses_too_few_iterations()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PasswordHasher(999));
    }
}
