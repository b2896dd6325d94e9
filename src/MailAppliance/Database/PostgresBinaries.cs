namespace MailAppliance.Database;

/// <summary>Finds the PostgreSQL server programs (initdb, pg_ctl).</summary>
public static class PostgresBinaries
{
    public const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them (Debian: apt-get install postgresql), "
        + "or set Storage:PostgresBinDirectory, or set ConnectionStrings:Metadata to use an external server.";

    /// <summary>The configured directory, else <c>pg_config --bindir</c>, else the newest Debian install, else PATH.</summary>
    public static async Task<string> LocateAsync(string? configured, CancellationToken cancellationToken)
    {
        if (configured is not null)
        {
            return HasServer(configured) ? configured : throw new EmbeddedPostgresException($"no initdb/pg_ctl in Storage:PostgresBinDirectory '{configured}'. {InstallHint}");
        }

        var candidates = new List<string>();
        var pgConfig = FindOnPath("pg_config");
        if (pgConfig is not null)
        {
            try
            {
                var (exit, output) = await CommandRunner.RunAsync(pgConfig, ["--bindir"], null, TimeSpan.FromSeconds(10), cancellationToken);
                if (exit == 0)
                {
                    candidates.Add(output.Trim());
                }
            }
            catch (Exception e) when (e is IOException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // pg_config is only a hint; the other places are still tried.
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            candidates.AddRange(Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin")));
        }

        var initdb = FindOnPath("initdb");
        if (initdb is not null)
        {
            candidates.Add(Path.GetDirectoryName(initdb)!);
        }

        return candidates.FirstOrDefault(HasServer) ?? throw new EmbeddedPostgresException(InstallHint);
    }

    private static bool HasServer(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl")) && File.Exists(Path.Combine(directory, "postgres"));

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}

public sealed class EmbeddedPostgresException : Exception
{
    public EmbeddedPostgresException(string message)
        : base(message)
    {
    }

    public EmbeddedPostgresException()
    {
    }

    public EmbeddedPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
