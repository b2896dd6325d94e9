using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Pipeline.Srs;

/// <summary>
/// The SRS secrets in postsrsd's file format: one secret a line, the first signs, every one verifies (so a secret
/// can be rotated by adding a new first line and keeping the old one until its addresses have expired).
/// </summary>
public sealed class SrsSecrets
{
    private SrsSecrets(IReadOnlyList<byte[]> secrets) => Keys = secrets;

    /// <summary>The secrets as HMAC keys (the line's bytes, as postsrsd and Mail::SRS use them), signing key first.</summary>
    public IReadOnlyList<byte[]> Keys { get; }

    /// <summary>Secrets given directly (tests, benchmarks); at least one, none empty.</summary>
    public static SrsSecrets FromStrings(params string[] secrets)
    {
        if (secrets.Length == 0 || secrets.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("SRS needs at least one non-empty secret", nameof(secrets));
        }

        return new SrsSecrets(secrets.Select(Encoding.UTF8.GetBytes).ToArray());
    }

    /// <summary>Parses the file's bytes: lines end at LF (a CR before it is dropped); empty lines are skipped.</summary>
    public static bool TryParse(ReadOnlySpan<byte> content, out SrsSecrets? secrets)
    {
        var keys = new List<byte[]>();
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            content = end < 0 ? [] : content[(end + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (!line.IsEmpty)
            {
                keys.Add(line.ToArray());
            }
        }

        secrets = keys.Count == 0 ? null : new SrsSecrets(keys);
        return secrets is not null;
    }

    /// <summary>Reads <paramref name="path"/>; a missing, unreadable or empty file is an error naming it.</summary>
    public static SrsSecrets Load(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SrsSecretException($"SRS secret file '{path}' cannot be read: {e.Message}", e);
        }

        return TryParse(content, out var secrets) ? secrets! : throw new SrsSecretException($"SRS secret file '{path}' holds no secret");
    }

    /// <summary>
    /// Reads <paramref name="path"/>, first creating it with one random secret (mode 0600) when it does not exist.
    /// The new file is written under a temporary name and linked into place, so two processes starting together
    /// both end up with the one secret that won, never with a half-written file.
    /// </summary>
    public static SrsSecrets LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            try
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                };
                using (var stream = new FileStream(temporary, options))
                {
                    // 24 random bytes as base64: a printable line, as postsrsd's installer makes one.
                    stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)) + "\n"));
                    stream.Flush(flushToDisk: true);
                }

                try
                {
                    File.Move(temporary, path, overwrite: false);
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another process created it first: use theirs.
                }
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        return Load(path);
    }
}

/// <summary>The secret file cannot be used; the message names it and says why.</summary>
public sealed class SrsSecretException : Exception
{
    public SrsSecretException(string message)
        : base(message)
    {
    }

    public SrsSecretException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SrsSecretException()
    {
    }
}
