using System.Globalization;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// METADATA and METADATA-SERVER (RFC 5464): annotations of the user's mailboxes and of the server (mailbox ""),
/// entries under /private/ and /shared/; and COMPRESS=DEFLATE (RFC 4978).
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>RFC 5464 §4.3: the largest value a client may store.</summary>
    private const int MaxMetadataValue = 32 * 1024;

    /// <summary>RFC 5464 §4.3: how many annotations a user may have.</summary>
    private const int MaxMetadataEntries = 1000;

    /// <summary>Entry names longer than this are refused (they travel in notifications, RFC 5465).</summary>
    private const int MaxEntryName = 1024;

    private static readonly string[] SpecialUseAttributes = ["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"];

    private const string SpecialUseEntry = MailStore.SpecialUseEntry;

    /// <summary><c>GETMETADATA [(MAXSIZE n DEPTH d)] mailbox (entry ...)</c> or with a single entry.</summary>
    private async Task GetMetadataAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        var index = 0;
        long? maxSize = null;
        var depth = 0;
        if (args.Count > 0 && args[0] is ImapList options)
        {
            for (var i = 0; i < options.Items.Count; i += 2)
            {
                var name = options.Items[i].AsText()?.ToUpperInvariant();
                var value = i + 1 < options.Items.Count ? options.Items[i + 1].AsText() : null;
                if (name == "MAXSIZE" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                {
                    maxSize = size;
                }
                else if (name == "DEPTH" && value is "0" or "1" || (name == "DEPTH" && value?.Equals("infinity", StringComparison.OrdinalIgnoreCase) == true))
                {
                    depth = value == "0" ? 0 : value == "1" ? 1 : -1;
                }
                else
                {
                    await BadAsync(command.Tag, "Unknown GETMETADATA option");
                    return;
                }
            }

            index = 1;
        }

        if (args.Count != index + 2 || args[index].AsText() is not { } mailboxText)
        {
            await BadAsync(command.Tag, "GETMETADATA takes a mailbox and entries");
            return;
        }

        var entries = (args[index + 1] is ImapList list ? list.Items : [args[index + 1]]).Select(e => e.AsText()).ToList();
        if (entries.Count == 0 || entries.Any(e => e is null || !IsEntryName(e)))
        {
            await BadAsync(command.Tag, "Invalid entry name");
            return;
        }

        var (found, mailbox) = await FindMetadataMailboxAsync(args[index], mailboxText, cancellationToken);
        if (!found)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        var values = await _services.Store.GetMetadataAsync(User, mailbox?.Id, entries!, depth, cancellationToken);
        var longest = 0L;
        var shown = new List<MetadataEntry>();
        foreach (var value in values)
        {
            if (maxSize is { } max && value.Value.Length > max)
            {
                longest = Math.Max(longest, value.Value.Length);
                continue;
            }

            shown.Add(value);
        }

        if (shown.Count > 0)
        {
            _out.Raw("* METADATA ");
            if (mailbox is null)
            {
                _out.Raw("\"\"");
            }
            else
            {
                WriteMailboxName(mailbox.Name);
            }

            _out.Raw(" (");
            for (var i = 0; i < shown.Count; i++)
            {
                if (i > 0)
                {
                    _out.Space();
                }

                _out.AString(shown[i].Entry).Space().String(shown[i].Value);
            }

            _out.Raw(")").Crlf();
        }

        if (longest > 0)
        {
            // RFC 5464 §4.2.1: entries left out for MAXSIZE are counted in LONGENTRIES.
            await OkAsync(command, ImapReplies.MetadataLongEntries(longest), "GETMETADATA completed");
            return;
        }

        await OkAsync(command, "GETMETADATA completed");
    }

    /// <summary><c>SETMETADATA mailbox (entry value ...)</c>; a NIL value removes the entry.</summary>
    private async Task SetMetadataAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        if (args.Count != 2 || args[0].AsText() is not { } mailboxText || args[1] is not ImapList pairs || pairs.Items.Count == 0 || pairs.Items.Count % 2 != 0)
        {
            await BadAsync(command.Tag, "SETMETADATA takes a mailbox and entry-value pairs");
            return;
        }

        var changes = new List<(string Entry, byte[]? Value)>();
        for (var i = 0; i < pairs.Items.Count; i += 2)
        {
            var entry = pairs.Items[i].AsText();
            var value = pairs.Items[i + 1] switch
            {
                ImapAtom nil when nil.Is("NIL") => null,
                ImapString s => s.Bytes,
                _ => Array.Empty<byte>(),
            };
            if (entry is null || !IsEntryName(entry) || entry.Count(c => c == '/') < 2 || pairs.Items[i + 1] is ImapList or ImapFileLiteral || (pairs.Items[i + 1] is ImapAtom a && !a.Is("NIL")))
            {
                await BadAsync(command.Tag, "Invalid entry or value");
                return;
            }

            if (value is { Length: > MaxMetadataValue })
            {
                await NoAsync(command.Tag, ImapReplies.No(ImapReplies.MetadataMaxSize(MaxMetadataValue), "Value too large"));
                return;
            }

            changes.Add((entry, value));
        }

        var (found, mailbox) = await FindMetadataMailboxAsync(args[0], mailboxText, cancellationToken);
        if (!found)
        {
            await NoAsync(command.Tag, ImapReplies.NoSuchMailbox);
            return;
        }

        if (await _services.Store.CountMetadataAsync(User, cancellationToken) + changes.Count(c => c.Value is not null) > MaxMetadataEntries)
        {
            await NoAsync(command.Tag, ImapReplies.MetadataTooMany);
            return;
        }

        foreach (var (entry, value) in changes)
        {
            if (entry.Equals(SpecialUseEntry, StringComparison.OrdinalIgnoreCase) && (mailbox is null || value is not null && !IsSpecialUseList(value)))
            {
                // RFC 6154 §4: /private/specialuse holds special-use attributes of a mailbox.
                await NoAsync(command.Tag, ImapReplies.UnknownSpecialUse);
                return;
            }

            await _services.Store.SetMetadataAsync(User, mailbox?.Id, entry, value, cancellationToken);
        }

        await OkAsync(command, "SETMETADATA completed");
    }

    /// <summary>The mailbox an annotation command names: "" is the server (null), else one of the user's mailboxes.</summary>
    private async Task<(bool Found, MailboxInfo? Mailbox)> FindMetadataMailboxAsync(ImapValue argument, string text, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return (true, null);
        }

        var name = ParseMailboxName(argument, out _);
        var mailbox = name is null ? null : await _services.Store.FindMailboxAsync(User, name, cancellationToken);
        return (mailbox is not null, mailbox);
    }

    // RFC 5464 §3.2: entries start with /private or /shared, have no "//", no trailing "/", no "*" or "%".
    private static bool IsEntryName(string entry) =>
        entry.Length <= MaxEntryName
        && (entry.StartsWith("/private/", StringComparison.OrdinalIgnoreCase) || entry.StartsWith("/shared/", StringComparison.OrdinalIgnoreCase)
            || entry.Equals("/private", StringComparison.OrdinalIgnoreCase) || entry.Equals("/shared", StringComparison.OrdinalIgnoreCase))
        && !entry.Contains("//", StringComparison.Ordinal) && !entry.EndsWith('/') && !entry.Any(c => c is '*' or '%' || char.IsControl(c));

    private static bool IsSpecialUseList(byte[] value) =>
        System.Text.Encoding.UTF8.GetString(value).Split(' ', StringSplitOptions.RemoveEmptyEntries).All(a => SpecialUseAttributes.Contains(a, StringComparer.OrdinalIgnoreCase));

    /// <summary>RFC 4978 COMPRESS DEFLATE: the OK goes out uncompressed, everything after it compressed.</summary>
    private async Task CompressAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 1 || !(command.Arguments[0] is ImapAtom mechanism && mechanism.Is("DEFLATE")))
        {
            await BadAsync(command.Tag, "COMPRESS takes DEFLATE");
            return;
        }

        if (_compressed)
        {
            await NoAsync(command.Tag, ImapReplies.CompressionActive);
            return;
        }

        Tagged(command.Tag, "OK", "DEFLATE active");
        await _out.FlushAsync(cancellationToken);
        await _connection.StartCompressionAsync(cancellationToken);
        _compressed = true;
        _lines.Reset();
        _out = new ImapResponseWriter(_connection.Output) { Utf8 = _modes.Utf8 };
    }
}
