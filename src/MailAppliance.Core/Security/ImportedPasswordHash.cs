using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace MailAppliance.Core.Security;

/// <summary>
/// Password hashes as Dovecot stores them (<c>{SCHEME}value</c>, from a passwd-file an admin imports), checked as
/// Dovecot checks them at login, so that a user keeps their password across the move; the first successful login
/// replaces the hash with ours (<see cref="PasswordVerification.SucceededNeedsRehash"/>). Schemes:
/// <list type="bullet">
/// <item>the crypt(3) family — <c>SHA512-CRYPT</c> (<c>$6$</c>), <c>SHA256-CRYPT</c> (<c>$5$</c>), <c>MD5-CRYPT</c> and
/// Dovecot's <c>MD5</c> (<c>$1$</c>), <c>DES-CRYPT</c>, <c>CRYPT</c> (any of them) — through libxcrypt's
/// <c>crypt_r</c>; <c>BLF-CRYPT</c> (<c>$2y$</c>, bcrypt) through BCrypt.Net;</item>
/// <item><c>ARGON2I</c>, <c>ARGON2ID</c>: the PHC string <c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c> (RFC 9106);</item>
/// <item><c>PBKDF2</c>: Dovecot's <c>$1$salt$rounds$hex</c>, PBKDF2-HMAC-SHA1 (RFC 8018 §5.2) over the salt as written;</item>
/// <item>salted digests <c>SSHA512</c>, <c>SSHA256</c>, <c>SSHA</c>, <c>SMD5</c> (base64 of digest(password + salt) + salt)
/// and plain digests <c>SHA512</c>, <c>SHA256</c>, <c>SHA</c>/<c>SHA1</c>, <c>LDAP-MD5</c> (base64), <c>PLAIN-MD5</c>
/// (hex); a <c>.HEX</c> or <c>.B64</c> suffix on the scheme changes the encoding, as in Dovecot;</item>
/// <item><c>PLAIN</c>, <c>CLEARTEXT</c>: the password itself.</item>
/// </list>
/// Anything else (<c>CRAM-MD5</c>, <c>DIGEST-MD5</c>, <c>NTLM</c>, ...) is refused at import: it cannot be checked
/// against a password given at login in the way our protocols receive it, or is not worth carrying over.
/// </summary>
public static class ImportedPasswordHash
{
    private static readonly string[] CryptSchemes = ["SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "MD5", "DES-CRYPT", "CRYPT"];
    private static readonly string[] DigestSchemes = ["SSHA512", "SSHA256", "SSHA", "SMD5", "SHA512", "SHA256", "SHA", "SHA1", "LDAP-MD5", "PLAIN-MD5"];

    /// <summary>The scheme of a stored hash (<c>{SHA512-CRYPT}$6$…</c> → <c>SHA512-CRYPT</c>), or null without one.</summary>
    public static string? SchemeOf(string storedHash)
    {
        if (!storedHash.StartsWith('{'))
        {
            return null;
        }

        var close = storedHash.IndexOf('}', StringComparison.Ordinal);
        return close > 1 ? storedHash[1..close].ToUpperInvariant() : null;
    }

    /// <summary>
    /// A passwd-file's password field in our stored form: with its scheme, or, without one, as Dovecot's default
    /// scheme reads it (<c>CRYPT</c>). Null (with the reason) when the scheme is one we refuse.
    /// </summary>
    public static string? Normalize(string field, out string? refusal)
    {
        refusal = null;
        var stored = SchemeOf(field) is null ? "{CRYPT}" + field : field;
        var scheme = SchemeOf(stored)!;
        if (!IsSupported(scheme))
        {
            refusal = $"unsupported password scheme {{{scheme}}}";
            return null;
        }

        return stored;
    }

    public static bool IsSupported(string scheme)
    {
        var (name, _) = SplitEncoding(scheme);
        return name is "BLF-CRYPT" or "ARGON2I" or "ARGON2ID" or "PBKDF2" or "PLAIN" or "CLEARTEXT"
            || CryptSchemes.Contains(name) || DigestSchemes.Contains(name);
    }

    /// <summary>Whether <paramref name="password"/> matches; false for an unknown scheme or a damaged value.</summary>
    public static bool Verify(string password, string storedHash)
    {
        var scheme = SchemeOf(storedHash);
        if (scheme is null)
        {
            return false;
        }

        var value = storedHash[(scheme.Length + 2)..];
        var (name, encoding) = SplitEncoding(scheme);
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return name switch
            {
                "PLAIN" or "CLEARTEXT" => CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(value)),
                "BLF-CRYPT" => BCrypt.Net.BCrypt.Verify(password, value),
                "ARGON2I" or "ARGON2ID" => VerifyArgon2(bytes, value),
                "PBKDF2" => VerifyPbkdf2(bytes, value),
                _ when CryptSchemes.Contains(name) => VerifyCrypt(bytes, value),
                _ when DigestSchemes.Contains(name) => VerifyDigest(name, encoding, bytes, value),
                _ => false,
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or BCrypt.Net.SaltParseException or OverflowException)
        {
            return false;
        }
    }

    private static (string Name, string? Encoding) SplitEncoding(string scheme)
    {
        var dot = scheme.LastIndexOf('.');
        if (dot > 0 && scheme[(dot + 1)..] is "HEX" or "B64" or "BASE64")
        {
            return (scheme[..dot], scheme[(dot + 1)..] == "HEX" ? "HEX" : "B64");
        }

        return (scheme, null);
    }

    private static bool VerifyDigest(string name, string? encoding, byte[] password, string value)
    {
        // Dovecot: the SHA family and the salted ones are base64 by default, PLAIN-MD5 hex.
        var stored = (encoding ?? (name == "PLAIN-MD5" ? "HEX" : "B64")) == "HEX" ? Convert.FromHexString(value) : Convert.FromBase64String(value);
        var (algorithm, length, salted) = name switch
        {
            "SSHA512" => (HashAlgorithmName.SHA512, 64, true),
            "SSHA256" => (HashAlgorithmName.SHA256, 32, true),
            "SSHA" => (HashAlgorithmName.SHA1, 20, true),
            "SMD5" => (HashAlgorithmName.MD5, 16, true),
            "SHA512" => (HashAlgorithmName.SHA512, 64, false),
            "SHA256" => (HashAlgorithmName.SHA256, 32, false),
            "SHA" or "SHA1" => (HashAlgorithmName.SHA1, 20, false),
            _ => (HashAlgorithmName.MD5, 16, false),
        };
        if (stored.Length < length || (!salted && stored.Length != length))
        {
            return false;
        }

        using var hash = IncrementalHash.CreateHash(algorithm);
        hash.AppendData(password);
        hash.AppendData(stored.AsSpan(length));
        return CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), stored.AsSpan(0, length));
    }

    /// <summary>Dovecot's PBKDF2: <c>$1$SALT$ROUNDS$HEX</c> with HMAC-SHA1 and the salt's characters as its bytes.</summary>
    private static bool VerifyPbkdf2(byte[] password, string value)
    {
        var fields = value.Split('$');
        if (fields.Length != 5 || fields[0].Length != 0 || fields[1] != "1"
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) || rounds < 1)
        {
            return false;
        }

        var expected = Convert.FromHexString(fields[4]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Encoding.UTF8.GetBytes(fields[2]), rounds, HashAlgorithmName.SHA1, expected.Length);
        return expected.Length > 0 && CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>RFC 9106 Argon2 in the PHC string format libargon2 (and so Dovecot) writes.</summary>
    private static bool VerifyArgon2(byte[] password, string value)
    {
        var fields = value.Split('$');
        // "", "argon2id", "v=19", "m=65536,t=3,p=1", salt, hash (the version field may be missing: 0x10)
        if (fields.Length is < 5 or > 6 || fields[0].Length != 0)
        {
            return false;
        }

        var parameters = fields[^3].Split(',').Select(p => p.Split('=')).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        if (!parameters.TryGetValue("m", out var memory) || !parameters.TryGetValue("t", out var iterations) || !parameters.TryGetValue("p", out var lanes)
            || memory is < 8 or > 4 * 1024 * 1024 || iterations is < 1 or > 1000 || lanes is < 1 or > 64)
        {
            return false;
        }

        var salt = FromUnpaddedBase64(fields[^2]);
        var expected = FromUnpaddedBase64(fields[^1]);
        using Argon2 argon = fields[1] switch
        {
            "argon2id" => new Argon2id(password),
            "argon2i" => new Argon2i(password),
            "argon2d" => new Argon2d(password),
            _ => throw new FormatException("not an Argon2 hash"),
        };
        argon.Salt = salt;
        argon.MemorySize = memory;
        argon.Iterations = iterations;
        argon.DegreeOfParallelism = lanes;
        var actual = argon.GetBytes(expected.Length);
        return expected.Length > 0 && CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] FromUnpaddedBase64(string text) =>
        Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    /// <summary>crypt(3) by libxcrypt: the hash of the password with the stored value as its setting must be the value.</summary>
    private static bool VerifyCrypt(byte[] password, string value)
    {
        if (value.Length == 0 || value[0] is '*' or '!')
        {
            return false;
        }

        var data = Marshal.AllocHGlobal(CryptDataSize);
        try
        {
            // crypt_r's state must start zeroed (its "initialized" field).
            ZeroFill(data, CryptDataSize);
            var result = crypt_r([.. password, 0], [.. Encoding.UTF8.GetBytes(value), 0], data);
            var computed = result == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(result);
            // libxcrypt answers a failure with a string starting with '*' that never equals a valid setting.
            return computed is not null && !computed.StartsWith('*')
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(computed), Encoding.UTF8.GetBytes(value));
        }
        finally
        {
            Marshal.FreeHGlobal(data);
        }

        static void ZeroFill(IntPtr pointer, int size) => Marshal.Copy(new byte[size], 0, pointer, size);
    }

    // libxcrypt: sizeof(struct crypt_data) is 32768.
    private const int CryptDataSize = 32768;

    // DllImport rather than LibraryImport: no unsafe code in Core.
    [DllImport("libcrypt.so.1", EntryPoint = "crypt_r")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr crypt_r(byte[] phrase, byte[] setting, IntPtr data);
}
