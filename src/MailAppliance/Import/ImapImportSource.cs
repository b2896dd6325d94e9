using System.Runtime.CompilerServices;
using MailAppliance.Storage.Import;
using MailAppliance.Storage.Maildir;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace MailAppliance.Import;

/// <summary>
/// A live IMAP account read with MailKit's ImapClient: every selectable folder (the personal namespace), with its
/// UIDVALIDITY and UIDNEXT, each message's UID, flags, keywords and INTERNALDATE, the RFC 6154 special use, and the
/// subscriptions. Metadata comes in slices of <see cref="SummaryBatch"/> messages; a body is fetched whole only up to
/// <see cref="ChunkBytes"/>, larger ones as partial fetches (<c>BODY.PEEK[]&lt;offset.count&gt;</c>, RFC 3501
/// §6.4.5) of that size, so neither a mailbox nor a large message is ever held in memory.
/// </summary>
public sealed class ImapImportSource : IImportSource, IAsyncDisposable
{
    private const int SummaryBatch = 1000;
    private const int ChunkBytes = 1024 * 1024;

    private readonly RemoteAccount _account;
    private readonly ImapClient _client = new();

    private ImapImportSource(RemoteAccount account) => _account = account;

    public string Description => _account.Description;

    /// <summary>Only INBOX (a box poll), or every folder (an import).</summary>
    public bool InboxOnly { get; init; }

    public static async Task<ImapImportSource> ConnectAsync(RemoteAccount account, bool inboxOnly, CancellationToken cancellationToken)
    {
        var source = new ImapImportSource(account) { InboxOnly = inboxOnly };
        try
        {
            var options = account.Security switch
            {
                RemoteSecurity.Tls => SecureSocketOptions.SslOnConnect,
                RemoteSecurity.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await source._client.ConnectAsync(account.Host, account.Port, options, cancellationToken);
            await source._client.AuthenticateAsync(account.Login, account.Password, cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }

        return source;
    }

    public async IAsyncEnumerable<IImportFolder> FoldersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (InboxOnly)
        {
            yield return await OpenAsync(_client.Inbox, MailboxName.Inbox, cancellationToken);
            yield break;
        }

        var folders = await _client.GetFoldersAsync(_client.PersonalNamespaces[0], StatusItems.None, subscribedOnly: false, cancellationToken);
        foreach (var folder in folders.OrderBy(f => f == _client.Inbox ? 0 : 1).ThenBy(f => f.FullName, StringComparer.Ordinal))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent) || NameOf(folder) is not { } name)
            {
                // A \Noselect parent stays what it was: a name above its children, made by them.
                continue;
            }

            yield return await OpenAsync(folder, name, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        if (InboxOnly)
        {
            return [];
        }

        var subscribed = await _client.GetFoldersAsync(_client.PersonalNamespaces[0], StatusItems.None, subscribedOnly: true, cancellationToken);
        return subscribed.Select(NameOf).OfType<MailboxName>().Distinct().ToList();
    }

    /// <summary>The folder's name in our hierarchy (its own separator replaced by ours).</summary>
    private MailboxName? NameOf(IMailFolder folder)
    {
        if (folder == _client.Inbox || string.Equals(folder.FullName, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return MailboxName.Inbox;
        }

        var components = folder.DirectorySeparator == '\0' ? [folder.FullName] : folder.FullName.Split(folder.DirectorySeparator);
        var name = MailboxName.FromComponents(components);
        return name.Succeeded ? name.Value : null;
    }

    private static async Task<IImportFolder> OpenAsync(IMailFolder folder, MailboxName name, CancellationToken cancellationToken)
    {
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        return new ImapImportFolder(folder, name, SpecialUse(folder.Attributes));
    }

    private static string? SpecialUse(FolderAttributes attributes) =>
        attributes.HasFlag(FolderAttributes.Sent) ? "\\Sent"
        : attributes.HasFlag(FolderAttributes.Junk) ? "\\Junk"
        : attributes.HasFlag(FolderAttributes.Trash) ? "\\Trash"
        : attributes.HasFlag(FolderAttributes.Drafts) ? "\\Drafts"
        : attributes.HasFlag(FolderAttributes.Archive) ? "\\Archive"
        : null;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(quit: true);
            }
            catch (Exception e) when (e is IOException or ImapProtocolException or ImapCommandException)
            {
            }
        }

        _client.Dispose();
    }

    private sealed class ImapImportFolder(IMailFolder folder, MailboxName name, string? specialUse) : IImportFolder
    {
        public MailboxName Name => name;

        public string? SpecialUse => specialUse;

        public uint? UidValidity => folder.UidValidity == 0 ? null : folder.UidValidity;

        public uint UidNext => folder.UidNext?.Id ?? 1;

        public async IAsyncEnumerable<IImportMessage> MessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size);
            for (var first = 0; first < folder.Count; first += SummaryBatch)
            {
                var last = Math.Min(first + SummaryBatch, folder.Count) - 1;
                var summaries = await folder.FetchAsync(first, last, request, cancellationToken);
                foreach (var summary in summaries.OrderBy(s => s.UniqueId.Id))
                {
                    yield return new ImapImportMessage(folder, summary, $"{name.Name} {folder.UidValidity} {summary.UniqueId.Id}");
                }
            }
        }
    }

    private sealed class ImapImportMessage(IMailFolder folder, IMessageSummary summary, string remoteId) : IImportMessage
    {
        public uint? Uid => summary.UniqueId.Id;

        public MaildirFlags Flags
        {
            get
            {
                var flags = summary.Flags ?? MessageFlags.None;
                var result = MaildirFlags.None;
                result |= flags.HasFlag(MessageFlags.Seen) ? MaildirFlags.Seen : MaildirFlags.None;
                result |= flags.HasFlag(MessageFlags.Answered) ? MaildirFlags.Replied : MaildirFlags.None;
                result |= flags.HasFlag(MessageFlags.Flagged) ? MaildirFlags.Flagged : MaildirFlags.None;
                result |= flags.HasFlag(MessageFlags.Deleted) ? MaildirFlags.Trashed : MaildirFlags.None;
                result |= flags.HasFlag(MessageFlags.Draft) ? MaildirFlags.Draft : MaildirFlags.None;
                return result;
            }
        }

        public IReadOnlyList<string> Keywords => summary.Keywords?.ToList() ?? [];

        public DateTimeOffset? InternalDate => summary.InternalDate;

        public string? RemoteId => remoteId;

        public async Task WriteToAsync(Stream target, CancellationToken cancellationToken)
        {
            var size = (long?)summary.Size ?? long.MaxValue;
            try
            {
                if (size <= ChunkBytes)
                {
                    await using var whole = await folder.GetStreamAsync(summary.UniqueId, cancellationToken);
                    await whole.CopyToAsync(target, cancellationToken);
                    return;
                }

                for (var offset = 0; ; offset += ChunkBytes)
                {
                    await using var part = await folder.GetStreamAsync(summary.UniqueId, offset, ChunkBytes, cancellationToken);
                    var before = target.Position;
                    await part.CopyToAsync(target, cancellationToken);
                    if (target.Position - before < ChunkBytes)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is ImapCommandException or MessageNotFoundException)
            {
                throw new ImportReadException($"{folder.FullName} UID {summary.UniqueId.Id}: {e.Message}", e);
            }
        }
    }
}
