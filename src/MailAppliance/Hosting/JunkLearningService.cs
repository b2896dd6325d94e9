using System.Threading.Channels;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>
/// Trains the classifier from what users do: a message copied or moved into Junk is spam, one moved out of Junk into
/// anything but Trash is ham (Junk → Trash is tidying, not a judgement), for that user's classifier and the global
/// one. Learning runs here, off the client's path: the MOVE is answered first, the next scored message sees it
/// (INTERFACE.md: within 10 s).
/// </summary>
public sealed class JunkLearningService : BackgroundService
{
    private static readonly string[] JunkNames = ["Junk", "Spam", "Junk E-mail", "Junk Email"];
    private static readonly string[] TrashNames = ["Trash", "Deleted Items", "Deleted Messages"];

    private readonly MailStore _store;
    private readonly SpamServices _spam;
    private readonly ILogger<JunkLearningService> _logger;
    private readonly Channel<MessagesCopied> _copies = Channel.CreateBounded<MessagesCopied>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });

    public JunkLearningService(MailStore store, SpamServices spam, ILogger<JunkLearningService> logger)
    {
        _store = store;
        _spam = spam;
        _logger = logger;
        _store.Copied += copied => _copies.Writer.TryWrite(copied);
    }

    public static bool IsJunk(MailboxName name) => JunkNames.Any(j => name.Name.Equals(j, StringComparison.OrdinalIgnoreCase));

    public static bool IsTrash(MailboxName name) => TrashNames.Any(t => name.Name.Equals(t, StringComparison.OrdinalIgnoreCase));

    /// <summary>Spam (true), ham (false), or nothing to learn (null).</summary>
    public static bool? Lesson(MailboxName source, MailboxName target) =>
        IsJunk(target) && !IsJunk(source) ? true
        : IsJunk(source) && !IsJunk(target) && !IsTrash(target) ? false
        : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var copied in _copies.Reader.ReadAllAsync(stoppingToken))
        {
            if (Lesson(copied.Source, copied.Target) is not { } spam)
            {
                continue;
            }

            var user = copied.User.Address.ToString().ToLowerInvariant();
            var learned = 0;
            foreach (var file in copied.Files)
            {
                try
                {
                    await using var message = File.OpenRead(file);
                    await _spam.Scanner.LearnAsync(message, spam, user, stoppingToken);
                    learned++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Renamed by a flag change or expunged since: one lesson fewer, nothing else.
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Learning from {File} failed", file);
                }
            }

            _logger.LogInformation("Learned {Count} message(s) as {Kind} for {User} ({Source} -> {Target})", learned, spam ? "spam" : "ham", user, copied.Source, copied.Target);
        }
    }
}
