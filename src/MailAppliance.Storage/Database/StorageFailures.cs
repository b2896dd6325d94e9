using System.Data.Common;
using Npgsql;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Storage.Database;

/// <summary>
/// How callers above Storage tell a temporary storage failure (the database unreachable or restarting, a time-out,
/// disk trouble) from a bug, without knowing which driver Storage uses: they answer 4xx / <c>[UNAVAILABLE]</c> /
/// <c>-ERR [SYS/TEMP]</c> for the former and never see a driver type.
/// </summary>
public static class StorageFailures
{
    /// <summary>True for a failure that should be answered "try again later".</summary>
    public static bool IsTemporary(Exception e) => e switch
    {
        DbException => true,
        TimeoutException => true,
        IOException => true,
        UnauthorizedAccessException => true,
        MailstoreException => true,
        InvalidOperationException { InnerException: DbException or TimeoutException or IOException } => true,
        _ => false,
    };

    /// <summary>True when the failure is the database (not the disk): what readiness and outage logs care about.</summary>
    public static bool IsDatabase(Exception e) => e is DbException or TimeoutException || e.InnerException is DbException;

    /// <summary>True when the database could not be reached at all (not an error it answered with).</summary>
    public static bool IsUnreachable(Exception e) => e is NpgsqlException and not PostgresException || e is TimeoutException;
}
