using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using MailAppliance.Storage.Database;

namespace MailAppliance.Database;

/// <summary>
/// The private PostgreSQL cluster under <c>&lt;DataDirectory&gt;/pg</c>, used when no connection string is configured.
/// It listens only on a Unix socket inside its own 0700 directory (no TCP), with trust authentication: only the
/// cluster's OS user and root can reach the socket. When we run as root the cluster runs as the <c>postgres</c> user.
/// <para>
/// Several processes share one cluster (serve and admin verbs): each holds a shared <c>flock</c> on
/// <c>pg.lock</c> while it uses the cluster; whoever starts it first starts it, and the last one out (the one that
/// can turn its shared lock into an exclusive one) stops it. Kernel locks vanish with their process, so a killed
/// process never leaves a stale lock behind.
/// </para>
/// </summary>
public sealed class EmbeddedPostgres
{
    public const string DatabaseName = "mailappliance";
    public const string SuperUser = "mailappliance";
    private const string RootClusterUser = "postgres";

    // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    private const int MaxSocketPathBytes = 107;
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(120);

    private readonly string _dataDirectory;
    private readonly string? _configuredBinDirectory;
    private readonly ILogger _logger;

    public EmbeddedPostgres(string dataDirectory, string? binDirectory, ILogger<EmbeddedPostgres> logger)
    {
        _dataDirectory = dataDirectory;
        _configuredBinDirectory = binDirectory;
        _logger = logger;
    }

    public string ClusterDirectory => Path.Combine(_dataDirectory, "pg");

    /// <summary>Where the socket lives: the cluster directory, or a short private directory when that path is too long.</summary>
    public string SocketDirectory
    {
        get
        {
            if (Encoding.UTF8.GetByteCount(Path.Combine(ClusterDirectory, ".s.PGSQL.5432")) <= MaxSocketPathBytes)
            {
                return ClusterDirectory;
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ClusterDirectory)))[..16];
            return Path.Combine("/tmp", $"mailappliance-pg-{hash}");
        }
    }

    /// <summary>The OS user the cluster runs as: ourselves, or <c>postgres</c> when we are root.</summary>
    public static string? ClusterOsUser => Environment.IsPrivilegedProcess ? RootClusterUser : null;

    public string ConnectionString => StorageDatabase.UnixSocketConnectionString(SocketDirectory, SuperUser, DatabaseName);

    /// <summary>Makes sure the cluster exists and runs, and returns a lease that keeps it running until disposed.</summary>
    public async Task<EmbeddedPostgresLease> AcquireAsync(CancellationToken cancellationToken)
    {
        var binDirectory = await PostgresBinaries.LocateAsync(_configuredBinDirectory, cancellationToken);
        Directory.CreateDirectory(_dataDirectory);
        var usersLock = await WaitForLockAsync("pg.lock", exclusive: false, cancellationToken);
        try
        {
            using (await WaitForLockAsync("pg.start.lock", exclusive: true, cancellationToken))
            {
                await EnsureInitializedAsync(binDirectory, cancellationToken);
                if (!await IsRunningAsync(binDirectory, cancellationToken))
                {
                    await StartAsync(binDirectory, cancellationToken);
                }
            }

            await EnsureDatabaseAsync(cancellationToken);
            return new EmbeddedPostgresLease(this, binDirectory, usersLock);
        }
        catch
        {
            usersLock.Dispose();
            throw;
        }
    }

    public async Task<bool> IsRunningAsync(string binDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            return false;
        }

        var (exit, _) = await PgCtlAsync(binDirectory, ["status", "-D", ClusterDirectory], TimeSpan.FromSeconds(30), cancellationToken);
        return exit == 0;
    }

    internal async Task StopIfLastAsync(string binDirectory, SafeFileHandle usersLock)
    {
        if (!UnixInterop.TryLockExclusive(usersLock))
        {
            _logger.LogInformation("Embedded PostgreSQL left running: another process still uses it");
            return;
        }

        if (await IsRunningAsync(binDirectory, CancellationToken.None))
        {
            var (exit, output) = await PgCtlAsync(binDirectory, ["stop", "-D", ClusterDirectory, "-m", "fast", "-w", "-t", "60"], TimeSpan.FromSeconds(90), CancellationToken.None);
            if (exit != 0)
            {
                _logger.LogWarning("Embedded PostgreSQL did not stop cleanly: {Output}", output);
            }
            else
            {
                _logger.LogInformation("Embedded PostgreSQL stopped");
            }
        }
    }

    private async Task EnsureInitializedAsync(string binDirectory, CancellationToken cancellationToken)
    {
        var osUser = ClusterOsUser;
        (int Uid, int Gid)? ids = osUser is null ? null : UnixInterop.LookupUser(osUser)
            ?? throw new EmbeddedPostgresException($"running as root, the embedded PostgreSQL runs as OS user '{osUser}', which does not exist (apt-get install postgresql creates it)");

        Directory.CreateDirectory(ClusterDirectory);
        if (ids is { } owner)
        {
            UnixInterop.ChangeOwner(ClusterDirectory, owner.Uid, owner.Gid);
            GrantTraversal(owner.Uid);
            var (canWrite, _) = await CommandRunner.RunAsync("test", ["-w", ClusterDirectory, "-a", "-x", ClusterDirectory], osUser, TimeSpan.FromSeconds(10), cancellationToken);
            if (canWrite != 0)
            {
                throw new EmbeddedPostgresException(
                    $"the embedded PostgreSQL runs as OS user '{osUser}', who cannot reach '{ClusterDirectory}'; put Storage:DataDirectory where that user can traverse every parent directory (not under /root)");
            }
        }

        File.SetUnixFileMode(ClusterDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (SocketDirectory != ClusterDirectory)
        {
            PrepareShortSocketDirectory(ids);
        }

        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            _logger.LogInformation("Creating the embedded PostgreSQL cluster in {Directory}", ClusterDirectory);
            var (exit, output) = await CommandRunner.RunAsync(Path.Combine(binDirectory, "initdb"),
                ["-D", ClusterDirectory, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=reject", "--no-instructions"],
                osUser, TimeSpan.FromMinutes(5), cancellationToken);
            if (exit != 0)
            {
                throw new EmbeddedPostgresException($"initdb failed: {OneLine(output)}");
            }

            await File.AppendAllTextAsync(Path.Combine(ClusterDirectory, "postgresql.conf"),
                "\n# MailAppliance: settings that follow the data directory are in mailappliance.conf\ninclude_if_exists = 'mailappliance.conf'\n", cancellationToken);
        }

        // Rewritten on every start so that a moved data directory still gets its socket in the right place.
        var settings = new StringBuilder()
            .Append("listen_addresses = ''\n")
            .Append("unix_socket_directories = '").Append(SocketDirectory.Replace("'", "''", StringComparison.Ordinal)).Append("'\n")
            .Append("unix_socket_permissions = 0700\n")
            .Append("max_connections = 300\n")
            .Append("logging_collector = off\n");
        var settingsFile = Path.Combine(ClusterDirectory, "mailappliance.conf");
        await File.WriteAllTextAsync(settingsFile, settings.ToString(), cancellationToken);
        if (ids is { } fileOwner)
        {
            UnixInterop.ChangeOwner(settingsFile, fileOwner.Uid, fileOwner.Gid);
        }
    }

    /// <summary>
    /// The cluster's OS user must be able to pass through every parent directory. A fresh <c>mktemp -d</c> directory
    /// (0700) or our own data directory may not let it: grant search-only permission (o+x, no listing) there, and
    /// only there; a private home directory is left alone and reported instead.
    /// </summary>
    private void GrantTraversal(int clusterUid)
    {
        var tempRoots = new[] { "/tmp", "/var/tmp", Path.GetTempPath().TrimEnd('/') }
            .Where(r => r.Length > 1).Distinct(StringComparer.Ordinal).ToArray();
        var dataDirectory = Path.GetFullPath(_dataDirectory).TrimEnd('/');
        for (var directory = Path.GetDirectoryName(ClusterDirectory); !string.IsNullOrEmpty(directory) && directory != "/"; directory = Path.GetDirectoryName(directory))
        {
            var mode = File.GetUnixFileMode(directory);
            if (mode.HasFlag(UnixFileMode.OtherExecute) || UnixInterop.OwnerOf(directory) == clusterUid)
            {
                continue;
            }

            var insideTemp = tempRoots.Any(r => directory.StartsWith(r + "/", StringComparison.Ordinal));
            if (directory == dataDirectory || insideTemp)
            {
                File.SetUnixFileMode(directory, mode | UnixFileMode.OtherExecute);
                _logger.LogWarning("Granted search permission (o+x) on {Directory} so that OS user {User} can reach the embedded PostgreSQL cluster", directory, RootClusterUser);
            }
        }
    }

    private void PrepareShortSocketDirectory((int Uid, int Gid)? ids)
    {
        var directory = SocketDirectory;
        Directory.CreateDirectory(directory);
        var expectedOwner = ids?.Uid ?? UnixInterop.OwnerOf(ClusterDirectory);
        if (UnixInterop.OwnerOf(directory) != expectedOwner)
        {
            if (ids is { } owner && UnixInterop.OwnerOf(directory) == 0)
            {
                UnixInterop.ChangeOwner(directory, owner.Uid, owner.Gid);
            }
            else
            {
                throw new EmbeddedPostgresException($"socket directory '{directory}' belongs to another user; remove it");
            }
        }

        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private async Task StartAsync(string binDirectory, CancellationToken cancellationToken)
    {
        _logger.LogInformation("Starting the embedded PostgreSQL in {Directory}", ClusterDirectory);
        var logFile = Path.Combine(ClusterDirectory, "postgresql.log");
        var (exit, output) = await PgCtlAsync(binDirectory, ["start", "-D", ClusterDirectory, "-w", "-t", "120", "-l", logFile], TimeSpan.FromMinutes(3), cancellationToken);
        if (exit != 0)
        {
            var tail = File.Exists(logFile) ? string.Join(" | ", (await File.ReadAllLinesAsync(logFile, cancellationToken)).TakeLast(3)) : "";
            throw new EmbeddedPostgresException($"pg_ctl start failed: {OneLine(output)} {tail}".Trim());
        }
    }

    private Task EnsureDatabaseAsync(CancellationToken cancellationToken) => StorageDatabase.EnsureExistsAsync(ConnectionString, DatabaseName, cancellationToken);

    private Task<(int ExitCode, string Output)> PgCtlAsync(string binDirectory, string[] arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(Path.Combine(binDirectory, "pg_ctl"), arguments, ClusterOsUser, timeout, cancellationToken);

    /// <summary>
    /// Opens a lock file holding a shared or exclusive flock. .NET itself takes a flock when it opens a file
    /// (shared, or exclusive for FileShare.None) and reports a conflict as an IOException, so a failed open is
    /// "someone else holds it" just like a failed flock; the explicit flock covers runtimes with that disabled.
    /// </summary>
    private async Task<SafeFileHandle> WaitForLockAsync(string name, bool exclusive, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_dataDirectory, name);
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, exclusive ? FileShare.None : FileShare.ReadWrite);
                if (exclusive ? UnixInterop.TryLockExclusive(handle) : UnixInterop.TryLockShared(handle))
                {
                    return handle;
                }

                handle.Dispose();
            }
            catch (IOException)
            {
                // Held by another process (or another lease in this one).
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new EmbeddedPostgresException($"timed out waiting for {name}: another process is starting or stopping the embedded PostgreSQL");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}

/// <summary>Keeps the embedded cluster running while held; disposing stops it if no other process uses it.</summary>
public sealed class EmbeddedPostgresLease : IAsyncDisposable
{
    private readonly EmbeddedPostgres _owner;
    private readonly string _binDirectory;
    private readonly SafeFileHandle _usersLock;
    private int _disposed;

    internal EmbeddedPostgresLease(EmbeddedPostgres owner, string binDirectory, SafeFileHandle usersLock)
    {
        _owner = owner;
        _binDirectory = binDirectory;
        _usersLock = usersLock;
    }

    public string ConnectionString => _owner.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // Idle pooled connections would keep a "fast" stop waiting on nothing, and must not outlive the cluster.
            StorageDatabase.ClearAllPools();
            await _owner.StopIfLastAsync(_binDirectory, _usersLock);
        }
        finally
        {
            _usersLock.Dispose();
        }
    }
}
