using System.Security.Cryptography;
using Dapper;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Durability;
using Npgsql;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Maildir;


namespace MailAppliance.Storage.Sieve;

/// <summary>Why a script operation was refused (ManageSieve maps these to its response codes, RFC 5804 §1.3).</summary>
public enum SieveScriptError
{
    None,
    NoSuchScript,
    AlreadyExists,
    Active,
    InvalidName,
    QuotaMaxScripts,
    QuotaMaxSize,
}

/// <summary>The outcome of a change: <see cref="SieveScriptError.None"/> or why not.</summary>
public readonly record struct SieveScriptOutcome(SieveScriptError Error, string Message = "")
{
    public static SieveScriptOutcome Ok => new(SieveScriptError.None);

    public bool Succeeded => Error == SieveScriptError.None;
}

/// <summary>One stored script as listed.</summary>
public sealed record SieveScriptInfo(string Name, long Size, bool Active, string Sha256, DateTimeOffset UpdatedAt);

/// <summary>Per-user quotas on scripts (ManageSieve's QUOTA/MAXSCRIPTS and QUOTA/MAXSIZE).</summary>
public sealed record SieveStoreOptions
{
    public int MaxScripts { get; init; } = 100;

    public long MaxScriptSize { get; init; } = 1024 * 1024;
}

/// <summary>
/// A user's scripts, kept as Pigeonhole keeps them (INTERFACE.md, "Sieve"): <c>&lt;home&gt;/sieve/NAME.sieve</c>,
/// the active one a symbolic link <c>&lt;home&gt;/.dovecot.sieve → sieve/NAME.sieve</c>, where home is
/// <c>mail/&lt;domain&gt;/&lt;localpart&gt;/</c>. The files are the truth, so scripts Dovecot left are adopted as
/// they are; <c>sieve_scripts</c> in PostgreSQL mirrors them after every change and listing. Writes go to
/// <c>sieve/tmp/</c> first and are renamed into place, so a reader never sees half a script.
/// </summary>
public sealed class SieveScriptStore
{
    public const string ActiveLinkName = ".dovecot.sieve";
    public const string ScriptExtension = ".sieve";

    private readonly NpgsqlDataSource _dataSource;
    private readonly MaildirLayout _layout;

    public SieveScriptStore(StorageDatabase database, string dataDirectory, SieveStoreOptions? options = null)
    {
        _dataSource = database.Source;
        _layout = new MaildirLayout(dataDirectory);
        Options = options ?? new SieveStoreOptions();
    }

    public SieveStoreOptions Options { get; }

    /// <summary>The user's home: the parent of their Maildir.</summary>
    public string HomeOf(MailAddress address)
    {
        var maildir = _layout.GetUserMaildirPath(address.Domain.Ascii, address.LocalPart.ToLowerInvariant());
        return maildir.Succeeded ? Path.GetDirectoryName(maildir.Value)! : throw new IOException($"no home directory for {address}: {maildir.Failure}");
    }

    /// <summary>
    /// RFC 5804 §1.6: a script name is UTF-8 without control characters (and, being a file name here, without '/'
    /// and not starting with '.'); at most 128 characters.
    /// </summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 128 && !name.StartsWith('.') && !name.Contains('/', StringComparison.Ordinal)
        && !name.Any(c => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029');

    public async Task<IReadOnlyList<SieveScriptInfo>> ListAsync(long userId, MailAddress address, CancellationToken cancellationToken)
    {
        var home = HomeOf(address);
        AdoptRegularActiveFile(home);
        var scripts = ReadDirectory(home);
        await MirrorAsync(userId, scripts, cancellationToken);
        return scripts;
    }

    /// <summary>The bytes of a script, or null when it does not exist.</summary>
    public byte[]? Get(MailAddress address, string name)
    {
        if (!IsValidName(name))
        {
            return null;
        }

        var path = ScriptPath(HomeOf(address), name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>The active script's name and bytes, or null. Reads a plain <c>.dovecot.sieve</c> file as it is.</summary>
    public (string Name, byte[] Content)? GetActive(MailAddress address)
    {
        var home = HomeOf(address);
        var link = Path.Combine(home, ActiveLinkName);
        var info = new FileInfo(link);
        if (info.LinkTarget is { } target)
        {
            var resolved = Path.GetFullPath(target, home);
            return File.Exists(resolved) ? (Path.GetFileNameWithoutExtension(resolved), File.ReadAllBytes(resolved)) : null;
        }

        return info.Exists ? ("dovecot", File.ReadAllBytes(link)) : null;
    }

    public string? ActiveName(string home)
    {
        var info = new FileInfo(Path.Combine(home, ActiveLinkName));
        if (info.LinkTarget is not { } target)
        {
            return null;
        }

        var resolved = Path.GetFullPath(target, home);
        var sieveDir = Path.Combine(home, "sieve");
        return string.Equals(Path.GetDirectoryName(resolved), sieveDir, StringComparison.Ordinal) && resolved.EndsWith(ScriptExtension, StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(resolved)
            : null;
    }

    /// <summary>RFC 5804 §2.3 HAVESPACE: whether a script of this size could be stored under this name.</summary>
    public SieveScriptOutcome HaveSpace(MailAddress address, string name, long size)
    {
        if (!IsValidName(name))
        {
            return new(SieveScriptError.InvalidName, "invalid script name");
        }

        if (size > Options.MaxScriptSize)
        {
            return new(SieveScriptError.QuotaMaxSize, $"script is larger than {Options.MaxScriptSize} bytes");
        }

        var home = HomeOf(address);
        if (!File.Exists(ScriptPath(home, name)) && ReadDirectory(home).Count >= Options.MaxScripts)
        {
            return new(SieveScriptError.QuotaMaxScripts, $"no room for more than {Options.MaxScripts} scripts");
        }

        return SieveScriptOutcome.Ok;
    }

    /// <summary>Stores (creates or replaces) a script. The caller checks that it compiles.</summary>
    public async Task<SieveScriptOutcome> PutAsync(long userId, MailAddress address, string name, byte[] content, CancellationToken cancellationToken)
    {
        var space = HaveSpace(address, name, content.Length);
        if (!space.Succeeded)
        {
            return space;
        }

        var home = HomeOf(address);
        AdoptRegularActiveFile(home);
        var dir = Path.Combine(home, "sieve");
        var tmp = Path.Combine(dir, "tmp");
        Directory.CreateDirectory(tmp);
        var temp = Path.Combine(tmp, name.Replace(' ', '_') + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            await file.WriteAsync(content, cancellationToken);
            FileSystemSync.FsyncFile(file);
        }

        File.Move(temp, ScriptPath(home, name), overwrite: true);
        FileSystemSync.FsyncDirectory(dir);
        await MirrorAsync(userId, ReadDirectory(home), cancellationToken);
        return SieveScriptOutcome.Ok;
    }

    /// <summary>RFC 5804 §2.8 SETACTIVE: links <c>.dovecot.sieve</c> to the script; null deactivates.</summary>
    public async Task<SieveScriptOutcome> ActivateAsync(long userId, MailAddress address, string? name, CancellationToken cancellationToken)
    {
        var home = HomeOf(address);
        AdoptRegularActiveFile(home);
        var link = Path.Combine(home, ActiveLinkName);
        if (name is null)
        {
            if (new FileInfo(link).LinkTarget is not null || File.Exists(link))
            {
                File.Delete(link);
                FileSystemSync.FsyncDirectory(home);
            }
        }
        else
        {
            if (!IsValidName(name) || !File.Exists(ScriptPath(home, name)))
            {
                return new(SieveScriptError.NoSuchScript, $"there is no script named {name}");
            }

            Relink(home, name);
        }

        await MirrorAsync(userId, ReadDirectory(home), cancellationToken);
        return SieveScriptOutcome.Ok;
    }

    /// <summary>RFC 5804 §2.10 DELETESCRIPT: the active script cannot be deleted.</summary>
    public async Task<SieveScriptOutcome> DeleteAsync(long userId, MailAddress address, string name, CancellationToken cancellationToken)
    {
        var home = HomeOf(address);
        AdoptRegularActiveFile(home);
        var path = IsValidName(name) ? ScriptPath(home, name) : null;
        if (path is null || !File.Exists(path))
        {
            return new(SieveScriptError.NoSuchScript, $"there is no script named {name}");
        }

        if (ActiveName(home) == name)
        {
            return new(SieveScriptError.Active, "the active script cannot be deleted");
        }

        File.Delete(path);
        FileSystemSync.FsyncDirectory(Path.Combine(home, "sieve"));
        await MirrorAsync(userId, ReadDirectory(home), cancellationToken);
        return SieveScriptOutcome.Ok;
    }

    /// <summary>RFC 5804 §2.11.1 RENAMESCRIPT: an active script stays active under its new name.</summary>
    public async Task<SieveScriptOutcome> RenameAsync(long userId, MailAddress address, string oldName, string newName, CancellationToken cancellationToken)
    {
        var home = HomeOf(address);
        AdoptRegularActiveFile(home);
        if (!IsValidName(oldName) || !File.Exists(ScriptPath(home, oldName)))
        {
            return new(SieveScriptError.NoSuchScript, $"there is no script named {oldName}");
        }

        if (!IsValidName(newName))
        {
            return new(SieveScriptError.InvalidName, "invalid script name");
        }

        if (File.Exists(ScriptPath(home, newName)))
        {
            return new(SieveScriptError.AlreadyExists, $"a script named {newName} already exists");
        }

        var wasActive = ActiveName(home) == oldName;
        File.Move(ScriptPath(home, oldName), ScriptPath(home, newName));
        FileSystemSync.FsyncDirectory(Path.Combine(home, "sieve"));
        if (wasActive)
        {
            Relink(home, newName);
        }

        await MirrorAsync(userId, ReadDirectory(home), cancellationToken);
        return SieveScriptOutcome.Ok;
    }

    private static string ScriptPath(string home, string name) => Path.Combine(home, "sieve", name + ScriptExtension);

    /// <summary>Replaces the link atomically: a new link under a temporary name, renamed over the old one.</summary>
    private static void Relink(string home, string name)
    {
        var link = Path.Combine(home, ActiveLinkName);
        var temp = link + ".tmp" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        File.CreateSymbolicLink(temp, Path.Combine("sieve", name + ScriptExtension));
        File.Move(temp, link, overwrite: true);
        FileSystemSync.FsyncDirectory(home);
    }

    /// <summary>
    /// A <c>.dovecot.sieve</c> that is a plain file (a hand-written script, as before ManageSieve) is moved to
    /// <c>sieve/dovecot.orig.sieve</c> and linked, as Pigeonhole does the first time it manages the scripts.
    /// </summary>
    private static void AdoptRegularActiveFile(string home)
    {
        var link = Path.Combine(home, ActiveLinkName);
        var info = new FileInfo(link);
        if (!info.Exists || info.LinkTarget is not null)
        {
            return;
        }

        var dir = Path.Combine(home, "sieve");
        Directory.CreateDirectory(dir);
        var target = ScriptPath(home, "dovecot.orig");
        File.Move(link, target, overwrite: false);
        FileSystemSync.FsyncDirectory(dir);
        Relink(home, "dovecot.orig");
    }

    private List<SieveScriptInfo> ReadDirectory(string home)
    {
        var dir = Path.Combine(home, "sieve");
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var active = ActiveName(home);
        var list = new List<SieveScriptInfo>();
        foreach (var path in Directory.EnumerateFiles(dir, "*" + ScriptExtension))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!IsValidName(name))
            {
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            list.Add(new SieveScriptInfo(name, bytes.Length, name == active, Convert.ToHexStringLower(SHA256.HashData(bytes)), File.GetLastWriteTimeUtc(path)));
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>Makes <c>sieve_scripts</c> say what the directory says, in one transaction.</summary>
    private async Task MirrorAsync(long userId, IReadOnlyList<SieveScriptInfo> scripts, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sieve_scripts WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        foreach (var s in scripts)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sieve_scripts (user_id, name, size, sha256, active, updated_at) VALUES (@userId, @Name, @Size, @Sha256, @Active, @updated)",
                new { userId, s.Name, s.Size, s.Sha256, s.Active, updated = s.UpdatedAt.UtcDateTime }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
