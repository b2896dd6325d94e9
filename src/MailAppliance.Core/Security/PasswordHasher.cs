using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Core.Security;

/// <summary>
/// Password hashes in a self-describing form, <c>{SCHEME}parameters</c>, so that other schemes (for example hashes
/// imported from another server) can be verified and upgraded on the next successful login.
/// The scheme we write: <c>{PBKDF2-SHA256}$&lt;iterations&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c>
/// (PBKDF2 per RFC 8018 §5.2 with HMAC-SHA256, a 16-byte random salt per hash, a 32-byte derived key).
/// </summary>
public sealed class PasswordHasher
{
    public const string Pbkdf2Scheme = "{PBKDF2-SHA256}";
    public const int DefaultIterations = 600_000;
    public const int MinimumIterations = 1_000;
    private const int SaltBytes = 16;
    private const int KeyBytes = 32;

    public PasswordHasher(int iterations = DefaultIterations)
    {
        if (iterations < MinimumIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"at least {MinimumIterations} iterations");
        }

        Iterations = iterations;
    }

    public int Iterations { get; }

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, KeyBytes);
        return $"{Pbkdf2Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}";
    }

    /// <summary>Checks a password against a stored hash in constant time. Unknown or damaged hashes never match.</summary>
    public PasswordVerification Verify(string password, string? storedHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (storedHash is null)
        {
            return PasswordVerification.Failed;
        }

        if (!storedHash.StartsWith(Pbkdf2Scheme, StringComparison.Ordinal))
        {
            // An imported hash (another server's scheme): correct once means it is replaced with ours.
            return ImportedPasswordHash.Verify(password, storedHash) ? PasswordVerification.SucceededNeedsRehash : PasswordVerification.Failed;
        }

        var fields = storedHash[Pbkdf2Scheme.Length..].Split('$');
        if (fields.Length != 4 || fields[0].Length != 0
            || !int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1)
        {
            return PasswordVerification.Failed;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(fields[2]);
            expected = Convert.FromBase64String(fields[3]);
        }
        catch (FormatException)
        {
            return PasswordVerification.Failed;
        }

        if (expected.Length == 0)
        {
            return PasswordVerification.Failed;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordVerification.Failed;
        }

        return iterations < Iterations ? PasswordVerification.SucceededNeedsRehash : PasswordVerification.Succeeded;
    }
}

public enum PasswordVerification
{
    Failed,
    Succeeded,

    /// <summary>Correct, but stored with weaker parameters than configured: store a fresh hash.</summary>
    SucceededNeedsRehash,
}
