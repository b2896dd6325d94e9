using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Import;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Import;

/// <summary>
/// Runs the box polls (<c>fetch add</c>): every few seconds it claims a due poll (any node may; a lease keeps the
/// others off), reads the remote INBOX, stores what it has not fetched before into the user's INBOX (new UIDs, as
/// deliveries get them), remembers each remote id after the batch holding it is committed, and with
/// <c>--delete</c> deletes those messages on the server (POP3 DELE, committed by QUIT).
/// </summary>
public sealed class BoxPoller(FetchAccountStore accounts, MailStore store, TimeProvider time, ILogger<BoxPoller> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            FetchAccount? account = null;
            try
            {
                account = await accounts.ClaimDueAsync(stoppingToken);
                if (account is null)
                {
                    await Task.Delay(Idle, time, stoppingToken);
                    continue;
                }

                var result = await RunAsync(account, stoppingToken);
                await accounts.FinishAsync(account.Id, result, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Box poll {Account} failed", account?.Host);
                if (account is not null)
                {
                    await accounts.FinishAsync(account.Id, "failed: " + e.Message.ReplaceLineEndings(" "), CancellationToken.None);
                }

                await Task.Delay(Idle, time, stoppingToken);
            }
        }
    }

    /// <summary>One poll of one account; returns the summary line it leaves in <c>fetch list</c>.</summary>
    public async Task<string> RunAsync(FetchAccount account, CancellationToken cancellationToken)
    {
        var protocol = account.Protocol == "pop3" ? RemoteProtocol.Pop3 : RemoteProtocol.Imap;
        var security = account.Security switch { "starttls" => RemoteSecurity.StartTls, "plain" => RemoteSecurity.Plain, _ => RemoteSecurity.Tls };
        var remote = new RemoteAccount(protocol, account.Host, account.Port, security, account.Login, account.Password);
        var user = new MailUser(account.UserId, MailAddress.Parse(account.User));
        var seen = await accounts.SeenAsync(account.Id, cancellationToken);
        var pop3 = protocol == RemoteProtocol.Pop3 ? await Pop3ImportSource.ConnectAsync(remote, cancellationToken) : null;
        await using var imap = pop3 is null ? await ImapImportSource.ConnectAsync(remote, inboxOnly: true, cancellationToken) : null;
        await using var pop3Owned = pop3;
        IImportSource source = (IImportSource?)pop3 ?? imap!;
        var toDelete = new List<int>();
        var importer = new MailImporter(store, time)
        {
            AfterCommit = async (done, ct) =>
            {
                var ids = done.Select(m => m.RemoteId).OfType<string>().ToList();
                await accounts.MarkSeenAsync(account.Id, ids, ct);
                if (!account.Keep)
                {
                    toDelete.AddRange(done.OfType<Pop3ImportSource.Pop3Message>().Select(m => m.Number));
                }
            },
        };
        var report = await importer.ImportAsync(new UnseenSource(source, seen, account.Keep), user, new ImportOptions { KeepSourceUids = false }, null, cancellationToken);
        if (pop3 is not null && toDelete.Count > 0)
        {
            await pop3.DeleteAsync(toDelete, cancellationToken);
        }

        var c = report.Counts;
        return $"fetched {c.Imported}, duplicates {c.Duplicates}, skipped {c.Skipped}, failed {c.Failed}";
    }

    /// <summary>The source without the messages fetched before (kept on the server with <c>--keep</c>).</summary>
    private sealed class UnseenSource(IImportSource inner, HashSet<string> seen, bool keep) : IImportSource
    {
        public string Description => inner.Description;

        public async IAsyncEnumerable<IImportFolder> FoldersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var folder in inner.FoldersAsync(cancellationToken))
            {
                yield return new UnseenFolder(folder, seen, keep);
            }
        }

        public Task<IReadOnlyList<Storage.Maildir.MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Storage.Maildir.MailboxName>>([]);
    }

    private sealed class UnseenFolder(IImportFolder inner, HashSet<string> seen, bool keep) : IImportFolder
    {
        public Storage.Maildir.MailboxName Name => inner.Name;

        public string? SpecialUse => null;

        public uint? UidValidity => null;

        public uint UidNext => 1;

        public async IAsyncEnumerable<IImportMessage> MessagesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var message in inner.MessagesAsync(cancellationToken))
            {
                // Seen before and still there: kept on purpose (--keep), or its DELE was lost; never stored twice.
                if (message.RemoteId is { } id && seen.Contains(id) && keep)
                {
                    continue;
                }

                yield return message;
            }
        }
    }
}
