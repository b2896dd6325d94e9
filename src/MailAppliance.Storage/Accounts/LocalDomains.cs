using MailAppliance.Storage.Database;

namespace MailAppliance.Storage.Accounts;

/// <summary>
/// The domains we receive for, for checks that must answer without waiting (the scorer's "is this ours", SRS's "do
/// not rewrite our own senders"): a copy read at start and again in the background when it is older than
/// <see cref="MaxAge"/>. A domain added a moment ago may be unknown to it for that long; nothing that decides
/// delivery relies on it (RCPT and routing ask the directory).
/// </summary>
public sealed class LocalDomains
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly AccountDirectory _directory;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _extra;
    private volatile HashSet<string> _domains = new(StringComparer.OrdinalIgnoreCase);
    private long _readAt;
    private int _refreshing;

    /// <param name="extra">Names that are always ours (the host name, the SRS domain).</param>
    public LocalDomains(AccountDirectory directory, TimeProvider time, IEnumerable<string> extra)
    {
        _directory = directory;
        _time = time;
        _extra = new HashSet<string>(extra.Select(e => e.TrimEnd('.')), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether <paramref name="domain"/> is one of ours (ASCII or Unicode form, any case).</summary>
    public bool Contains(string domain)
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _readAt)) > MaxAge && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshInBackgroundAsync();
        }

        var name = domain.TrimEnd('.');
        return _extra.Contains(name) || _domains.Contains(name);
    }

    /// <summary>Reads the domains now (at start, so the first message already sees them).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var domains = await _directory.ListDomainsAsync(cancellationToken);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in domains)
        {
            set.Add(d.Name);
            set.Add(d.UnicodeName);
        }

        _domains = set;
        Interlocked.Exchange(ref _readAt, _time.GetTimestamp());
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // The old copy stays; the next question tries again.
        }
        finally
        {
            Interlocked.Exchange(ref _refreshing, 0);
        }
    }
}
