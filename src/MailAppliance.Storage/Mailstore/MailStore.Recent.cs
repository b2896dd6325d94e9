using Dapper;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    /// <summary>
    /// RFC 3501 §2.3.2 \Recent: claims the messages below <paramref name="upTo"/> for the calling (read-write)
    /// session and returns the first UID of its claim; the session's recent messages are those from it up to
    /// <paramref name="upTo"/>. A later claim by any session starts where this one ended, so each message is recent
    /// in one session only.
    /// </summary>
    public async Task<uint> ClaimRecentAsync(MailboxInfo mailbox, uint upTo, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var previous = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT claim_recent(@id, @upTo)", new { id = mailbox.Id, upTo = (long)upTo }, cancellationToken: cancellationToken));
        return previous is { } p ? (uint)Math.Min(p, uint.MaxValue) : upTo;
    }

    /// <summary>The first UID no read-write session has claimed (a read-only session shows those from it as \Recent).</summary>
    public async Task<uint> GetFirstRecentUidAsync(MailboxInfo mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var first = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT first_recent_uid FROM mailboxes WHERE id = @id", new { id = mailbox.Id }, cancellationToken: cancellationToken));
        return first is { } f ? (uint)Math.Min(f, uint.MaxValue) : uint.MaxValue;
    }
}
