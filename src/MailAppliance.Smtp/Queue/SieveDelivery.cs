using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Sieve;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// A local delivery decided by the user's active Sieve script (docs/sieve.md): stores into folders with flags,
/// redirects as new recipients of the same queued message (so a redirect is sent exactly once and a loop back to a
/// recipient the message already had stops there), reject as a bounce (the DSN tells the sender, RFC 5429 §2.1),
/// discard, and vacation replies submitted with the null sender. The stores come first: when one must wait (quota,
/// storage outage) nothing else is done and the whole run is repeated later, the stores being no-ops the second
/// time. A script that fails never loses mail: its actions are dropped and the message is kept (RFC 5228 §2.10.6),
/// and the error is logged for the administrator with its line.
/// </summary>
public sealed class SieveDelivery
{
    private readonly SieveInterpreter _interpreter;
    private readonly SieveScriptStore _scripts;
    private readonly PostgresSieveMemory _memory;
    private readonly MessageQueue _queue;
    private readonly string _hostname;
    private readonly TimeProvider _time;
    private readonly ILogger<SieveDelivery> _logger;

    /// <summary>
    /// The envelope sender a redirect to <c>target</c> leaves from when it is not the message's own (SRS, as a forward:
    /// the receiver's SPF check sees our domain); null: the sender as it is. The host sets it; null: no rewriting.
    /// </summary>
    public Func<string, string, string?>? RedirectSender { get; init; }

    public SieveDelivery(SieveInterpreter interpreter, SieveScriptStore scripts, PostgresSieveMemory memory, MessageQueue queue, string hostname, TimeProvider time, ILogger<SieveDelivery> logger)
    {
        _interpreter = interpreter;
        _scripts = scripts;
        _memory = memory;
        _queue = queue;
        _hostname = hostname;
        _time = time;
        _logger = logger;
    }

    /// <summary>The user's active script, or null (none, or unreadable: then delivery goes on without it).</summary>
    public (string Name, byte[] Content)? ActiveScript(MailAddress user)
    {
        try
        {
            return _scripts.GetActive(user);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("The active Sieve script of {User} cannot be read ({Error}); delivered without it", user, e.Message);
            return null;
        }
    }

    internal async Task<TransportResult> DeliverAsync(LocalTransport transport, (string Name, byte[] Content) script, string queueId, string recipient, string deliveryKey,
        MailUser user, SpooledMessage message, RecipientVerdict? scored, CancellationToken cancellationToken)
    {
        var address = user.Address.ToString();
        SieveResult result;
        await using (var input = LocalTransport.Compose(message, address, scored))
        {
            var context = new SieveUserContext(user.Id, address, [address])
            {
                Duplicates = _memory,
                VacationResponses = _memory,
                Hostname = _hostname,
                Scripts = new UserScripts(_scripts, user.Address),
                Scores = new SieveScores(scored?.Score, 5.0),
            };
            result = await _interpreter.RunAsync(script.Name, Encoding.UTF8.GetString(script.Content),
                new SieveRunInput(new SieveEnvelope(message.Envelope.MailFrom, recipient, message.Envelope.AuthenticatedUser), input, context), cancellationToken);
        }

        if (result.Failed || result.Diagnostics.Any(d => d.Severity == SieveSeverity.Error))
        {
            var error = result.Diagnostics.FirstOrDefault(d => d.Severity == SieveSeverity.Error);
            _logger.LogWarning("Sieve script {Script} of {User} failed for {QueueId} at line {Line}: {Error}; the message is kept",
                script.Name, address, queueId, error?.Line, error?.Message);
        }

        var done = new List<string>();
        var folders = new List<string>();
        var stored = false;
        string? editedFile = null;
        try
        {
            if (result.EditedHeaders is not null && result.Stores.Any())
            {
                editedFile = await WriteEditedAsync(message, address, scored, result, cancellationToken);
            }

            foreach (var store in result.Stores)
            {
                var (mailbox, key) = Target(store, scored, deliveryKey);
                var (flags, keywords) = Flags(store.Flags);
                await using var content = editedFile is null ? LocalTransport.Compose(message, address, scored) : File.OpenRead(editedFile);
                var outcome = await transport.StoreAsync(user, mailbox, flags, keywords, key, content, cancellationToken);
                if (outcome.Status == RecipientStatus.Deferred)
                {
                    return outcome; // the whole run again later; the stores made so far are then no-ops
                }

                done.Add(outcome.Result);
                folders.AddRange(outcome.Folders);
                stored = true;
            }
        }
        finally
        {
            if (editedFile is not null)
            {
                File.Delete(editedFile);
            }
        }

        var redirected = false;
        foreach (var redirect in result.Actions.OfType<SieveRedirectAction>())
        {
            if (LocalTransport.HasDeliveredTo(message, redirect.Address))
            {
                _logger.LogWarning("Sieve redirect of {QueueId} from {User} to {Target} not made: the message was delivered there before (a loop)", queueId, address, redirect.Address);
                continue;
            }

            // A new recipient of the same message: sent once (ON CONFLICT DO NOTHING), and a recipient the message
            // already had (a → b → a) is not added again.
            await _queue.ExpandAsync(message.Envelope with { Recipients = [new SpoolRecipient(redirect.Address)] }, message.Message.Length, recipient,
                RedirectSender?.Invoke(message.Envelope.MailFrom, redirect.Address), cancellationToken);
            done.Add($"redirected to {redirect.Address}");
            redirected = true;
        }

        foreach (var vacation in result.Actions.OfType<SieveVacationAction>())
        {
            if (vacation.Reply is not { } reply)
            {
                continue;
            }

            var submitted = await _queue.SubmitAsync(new SpoolEnvelope
            {
                QueueId = _queue.NewQueueId(),
                ReceivedAt = _time.GetUtcNow(),
                MailFrom = reply.EnvelopeSender,
                Recipients = [new SpoolRecipient(reply.Recipient, "NEVER")],
                AuthenticatedUser = address,
            }, new MemoryStream(reply.Message), SpoolVerdict.None, cancellationToken);
            done.Add(submitted.IsAccepted ? $"vacation reply to {reply.Recipient} queued as {submitted.QueueId}" : $"vacation reply to {reply.Recipient} not queued");
        }

        await result.CommitAsync(cancellationToken);
        if (result.Actions.OfType<SieveRejectAction>().FirstOrDefault() is { } reject && !stored && !redirected)
        {
            // RFC 5429 §2.1: after acceptance a reject is a report to the sender; a null sender gets nothing.
            return string.IsNullOrEmpty(message.Envelope.MailFrom)
                ? new TransportResult(RecipientStatus.Discarded, $"{address}: rejected by the recipient's filter (null sender, no report)")
                : new TransportResult(RecipientStatus.Bounced, $"5.7.1 {address}: rejected by the recipient's filter: {reject.Reason.ReplaceLineEndings(" ")}") { StatusCode = "5.7.1" };
        }

        if (!stored && !redirected)
        {
            return new TransportResult(RecipientStatus.Discarded, string.Join("; ", [$"{address}: discarded by the recipient's filter", .. done]));
        }

        return new TransportResult(RecipientStatus.Delivered, string.Join("; ", done)) { Folders = folders };
    }

    /// <summary>
    /// The folder of a store and its delivery key: a keep (INBOX) goes to Junk when the message was scored as spam for
    /// this recipient; each folder has a key of its own, so a retry stores each once.
    /// </summary>
    private (MailboxName Mailbox, string Key) Target(SieveStoreAction store, RecipientVerdict? scored, string deliveryKey)
    {
        if (store.IsInbox)
        {
            return scored is { Junk: true } ? (LocalTransport.JunkMailbox, deliveryKey + ":Junk") : (MailboxName.Inbox, deliveryKey);
        }

        var name = MailboxName.FromImap(store.Folder);
        if (!name.Succeeded)
        {
            _logger.LogWarning("Sieve fileinto {Folder} is not a valid mailbox name; kept in INBOX instead", store.Folder);
            return (MailboxName.Inbox, deliveryKey);
        }

        return (name.Value, deliveryKey + ":" + name.Value.Name);
    }

    /// <summary>imap4flags (RFC 5232): system flags to maildir flags, the rest as keywords.</summary>
    internal static (MaildirFlags Flags, IReadOnlyList<string> Keywords) Flags(IReadOnlyList<string> flags)
    {
        var result = MaildirFlags.None;
        var keywords = new List<string>();
        foreach (var flag in flags)
        {
            switch (flag.ToLowerInvariant())
            {
                case "\\seen": result |= MaildirFlags.Seen; break;
                case "\\flagged": result |= MaildirFlags.Flagged; break;
                case "\\answered": result |= MaildirFlags.Replied; break;
                case "\\draft": result |= MaildirFlags.Draft; break;
                case "\\deleted": result |= MaildirFlags.Trashed; break;
                default:
                    if (!flag.StartsWith('\\') && flag.Length > 0 && !keywords.Contains(flag, StringComparer.OrdinalIgnoreCase))
                    {
                        keywords.Add(flag);
                    }

                    break;
            }
        }

        return (result, keywords);
    }

    /// <summary>The message with editheader's changes (RFC 5293), written once to a scratch file for every store.</summary>
    private static async Task<string> WriteEditedAsync(SpooledMessage message, string address, RecipientVerdict? scored, SieveResult result, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mailappliance-sieve-{Guid.NewGuid():N}.eml");
        await using var input = LocalTransport.Compose(message, address, scored);
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.None);
        SieveHeaderRewriter.Write(input, result, output);
        await output.FlushAsync(cancellationToken);
        return path;
    }

    /// <summary>include (RFC 6609): the user's own scripts; there are no global ones yet.</summary>
    private sealed class UserScripts(SieveScriptStore store, MailAddress user) : ISieveScriptSource
    {
        public ValueTask<string?> GetScriptAsync(bool global, string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(global ? null : store.Get(user, name) is { } bytes ? Encoding.UTF8.GetString(bytes) : null);
    }
}
