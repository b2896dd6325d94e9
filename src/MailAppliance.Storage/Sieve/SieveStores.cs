namespace MailAppliance.Storage.Sieve;

/// <summary>
/// The duplicate extension's memory (RFC 7352 §3): a tracking id per user, remembered until it expires. Keys are
/// opaque to the store (the interpreter hashes handle and id).
/// </summary>
public interface ISieveDuplicateStore
{
    ValueTask<bool> IsTrackedAsync(long userId, string key, DateTimeOffset now, CancellationToken cancellationToken);

    ValueTask TrackAsync(long userId, string key, DateTimeOffset expires, CancellationToken cancellationToken);
}

/// <summary>
/// Vacation's response memory (RFC 5230 §4.2: one reply per sender per period and handle).
/// </summary>
public interface IVacationResponseStore
{
    ValueTask<bool> HasRespondedAsync(long userId, string sender, string handle, DateTimeOffset now, CancellationToken cancellationToken);

    ValueTask RecordAsync(long userId, string sender, string handle, DateTimeOffset expires, CancellationToken cancellationToken);
}
