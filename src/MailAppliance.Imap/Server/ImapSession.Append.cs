using System.Globalization;
using MailAppliance.Imap.Protocol;
using MailAppliance.Mime;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Queue;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

/// <summary>
/// APPEND (RFC 9051 §6.3.12) with RFC 4315 APPENDUID, RFC 3502 MULTIAPPEND (several messages, all or none),
/// RFC 4469 CATENATE (a message put together from literals and IMAP URLs of parts of stored messages) and RFC 3516
/// literal8 (binary content, stored with its binary parts in base64 so that BODY[] stays a valid message).
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>One message of an APPEND: its flags, date, and the pieces its bytes come from.</summary>
    private sealed record AppendMessage(MaildirFlags Flags, List<string> Keywords, DateTimeOffset? Date, List<AppendPiece> Pieces);

    /// <summary>A literal (TEXT, or the whole message) or a CATENATE URL.</summary>
    private sealed record AppendPiece(ImapValue? Literal, string? Url);

    private async Task AppendAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var args = command.Arguments;
        var error = "";
        List<AppendMessage> messages = [];
        if (args.Count < 2 || ParseAppendMessages(args, out messages, out error) is not { } mailboxArgument)
        {
            await BadAsync(command.Tag, error.Length > 0 ? error : "APPEND takes a mailbox, optional flags and date, and a message literal");
            return;
        }

        var user = User;
        var name = ParseMailboxName(mailboxArgument, out _);
        var target = name is null ? null : await _services.Store.FindMailboxAsync(user, name, cancellationToken);
        if (name is null || target is null)
        {
            // RFC 9051 §6.3.12: the client may create the mailbox and try again (checked before any URL).
            await NoAsync(command.Tag, ImapReplies.TryCreate);
            return;
        }

        // Every message is put together before any is stored: a bad URL or an empty message refuses them all.
        var assembled = new List<(AppendMessage Message, Stream Content)>();
        try
        {
            foreach (var message in messages)
            {
                var (content, refusal) = await AssembleAsync(user, message, cancellationToken);
                if (refusal is not null)
                {
                    await NoAsync(command.Tag, refusal);
                    return;
                }

                assembled.Add((message, content!));
            }

            var results = new List<DeliveryResult>();
            foreach (var (message, content) in assembled)
            {
                DeliveryResult result;
                try
                {
                    result = await _services.Store.AppendAsync(user, name, content, message.Flags, message.Keywords, message.Date, cancellationToken);
                }
                catch (IOException e)
                {
                    _logger.LogAppendFailed(e);
                    await UndoAppendsAsync(user, target, results, cancellationToken);
                    await NoAsync(command.Tag, MessageQueue.IsDiskFull(e) ? ImapReplies.DiskFull : ImapReplies.Unavailable);
                    return;
                }

                if (result.Status == DeliveryStatus.OverQuota)
                {
                    // RFC 3502 §6.3.11: a MULTIAPPEND that fails appends none of its messages.
                    await UndoAppendsAsync(user, target, results, cancellationToken);
                    await NoAsync(command.Tag, ImapReplies.OverQuota);
                    return;
                }

                results.Add(result);
            }

            // Appending to the selected mailbox: EXISTS before the tagged OK (RFC 9051 §6.3.12).
            await SyncSelectedAsync(allowExpunge: true, force: _state is ImapSessionState.Selected current && current.Mailbox.Info.Id == target.Id, cancellationToken);
            var uids = SequenceSet.Format(results.Select(r => r.Uid));
            await OkAsync(command, ImapReplies.AppendUid(results[0].UidValidity, uids), "APPEND completed");
        }
        finally
        {
            foreach (var (_, content) in assembled)
            {
                await content.DisposeAsync();
            }
        }
    }

    /// <summary>Takes back what a failed MULTIAPPEND had already stored.</summary>
    private async Task UndoAppendsAsync(MailUser user, MailboxInfo target, List<DeliveryResult> done, CancellationToken cancellationToken)
    {
        if (done.Count > 0)
        {
            await _services.Store.ExpungeAsync(user, target, done.Select(r => r.Uid).ToList(), cancellationToken);
        }
    }

    /// <summary>
    /// RFC 3502/4469 syntax: <c>mailbox 1*( [flags] [date-time] (literal / literal8 / CATENATE (parts)) )</c>.
    /// Returns the mailbox argument, or null with <paramref name="error"/>.
    /// </summary>
    private static ImapValue? ParseAppendMessages(IReadOnlyList<ImapValue> args, out List<AppendMessage> messages, out string error)
    {
        messages = [];
        error = "";
        var index = 1;
        while (index < args.Count)
        {
            var flags = MaildirFlags.None;
            List<string> keywords = [];
            DateTimeOffset? date = null;
            if (args[index] is ImapList flagList)
            {
                if (!ImapFlags.TryParse(flagList, out flags, out keywords, out error))
                {
                    return null;
                }

                index++;
            }

            if (index < args.Count && args[index] is ImapString { IsLiteral: false } dateText)
            {
                if (!SearchParser.TryParseDateTime(dateText.AsText(), out var parsed))
                {
                    error = "Invalid date-time";
                    return null;
                }

                date = parsed;
                index++;
            }

            if (index >= args.Count)
            {
                error = "APPEND needs the message as a literal";
                return null;
            }

            var pieces = new List<AppendPiece>();
            if (args[index] is ImapAtom catenate && catenate.Is("CATENATE"))
            {
                if (index + 1 >= args.Count || args[index + 1] is not ImapList parts || parts.Items.Count == 0 || parts.Items.Count % 2 != 0)
                {
                    error = "CATENATE takes a list of TEXT and URL parts";
                    return null;
                }

                for (var i = 0; i < parts.Items.Count; i += 2)
                {
                    var kind = parts.Items[i].AsText()?.ToUpperInvariant();
                    var value = parts.Items[i + 1];
                    if (kind == "TEXT" && value is ImapString { IsLiteral: true } or ImapFileLiteral)
                    {
                        pieces.Add(new AppendPiece(value, null));
                    }
                    else if (kind == "URL" && value.AsText() is { } url && value is not ImapList)
                    {
                        pieces.Add(new AppendPiece(null, url));
                    }
                    else
                    {
                        error = "CATENATE takes TEXT literals and URL strings";
                        return null;
                    }
                }

                index += 2;
            }
            else if (args[index] is ImapString { IsLiteral: true } or ImapFileLiteral)
            {
                pieces.Add(new AppendPiece(args[index], null));
                index++;
            }
            else
            {
                error = "APPEND needs the message as a literal";
                return null;
            }

            messages.Add(new AppendMessage(flags, keywords, date, pieces));
        }

        return messages.Count == 0 ? null : args[0];
    }

    /// <summary>
    /// The bytes of one message to append, in a temporary file (or memory when small); or the refusal: a URL that
    /// does not resolve (RFC 4469 §5: NO [BADURL]), an empty or too large message.
    /// </summary>
    private async Task<(Stream? Content, ImapReply? Refusal)> AssembleAsync(MailUser user, AppendMessage message, CancellationToken cancellationToken)
    {
        // A plain literal needs no copy.
        if (message.Pieces is [{ Literal: ImapString { IsBinary: false } only }])
        {
            return only.Bytes.Length == 0 ? (null, ImapReplies.EmptyMessage) : (new MemoryStream(only.Bytes, writable: false), null);
        }

        if (message.Pieces is [{ Literal: ImapFileLiteral { IsBinary: false } file }])
        {
            return (file.File.Open(), null);
        }

        Directory.CreateDirectory(_options.TempDirectory);
        var output = new FileStream(Path.Combine(_options.TempDirectory, $"append-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        try
        {
            var binary = false;
            foreach (var piece in message.Pieces)
            {
                switch (piece.Literal)
                {
                    case ImapString text:
                        binary |= text.IsBinary;
                        await output.WriteAsync(text.Bytes, cancellationToken);
                        break;
                    case ImapFileLiteral spooled:
                        binary |= spooled.IsBinary;
                        await using (var input = spooled.File.Open())
                        {
                            await input.CopyToAsync(output, cancellationToken);
                        }

                        break;
                    default:
                        if (!await CopyUrlAsync(user, piece.Url!, output, cancellationToken))
                        {
                            await output.DisposeAsync();
                            return (null, ImapReplies.BadUrl);
                        }

                        break;
                }

                if (output.Length > _options.MaxAppendSize)
                {
                    await output.DisposeAsync();
                    return (null, ImapReplies.TooBig);
                }
            }

            if (output.Length == 0)
            {
                await output.DisposeAsync();
                return (null, ImapReplies.EmptyMessage);
            }

            output.Position = 0;
            if (!binary)
            {
                return (output, null);
            }

            // RFC 3516 §4.2: content sent as literal8 is stored so that it can be served as a message again.
            var converted = await BinaryContent.EncodeBinaryPartsAsync(output, _options.TempDirectory, cancellationToken);
            await output.DisposeAsync();
            return (converted, null);
        }
        catch
        {
            await output.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Copies what an IMAP URL (RFC 5092, as CATENATE uses it: <c>/mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]</c>)
    /// names from one of the user's messages; false when it names nothing.
    /// </summary>
    private async Task<bool> CopyUrlAsync(MailUser user, string url, Stream output, CancellationToken cancellationToken)
    {
        if (ImapUrl.TryParse(url) is not { } parsed)
        {
            return false;
        }

        var nameResult = MailboxName.FromImap(parsed.Mailbox);
        if (!nameResult.Succeeded || await _services.Store.FindMailboxAsync(user, nameResult.Value, cancellationToken) is not { } mailbox
            || (parsed.UidValidity is { } validity && validity != mailbox.UidValidity))
        {
            return false;
        }

        var records = await _services.Store.FetchRecordsAsync(mailbox, [parsed.Uid], MessageViews.Structure, cancellationToken);
        var record = records.Count > 0 ? records[0] : null;
        if (record is null)
        {
            return false;
        }

        await using var file = _services.Store.OpenMessage(mailbox, record.Info);
        if (file is null)
        {
            return false;
        }

        var structure = record.Structure is { } bytes && MessageStructure.TryDeserialize(bytes, out var cached) && cached is not null
            ? cached
            : await MimeParser.ParseAsync(file, cancellationToken: cancellationToken);
        var spec = SectionSpec.Whole;
        if (parsed.Section is { } section && !SectionSpec.TryParse(section.ToUpperInvariant(), out spec))
        {
            return false;
        }

        var content = structure.Resolve(spec);
        if (content is null)
        {
            return false;
        }

        await using var stream = parsed.PartialStart is { } start
            ? content.OpenPartial(file, start, parsed.PartialLength ?? long.MaxValue)
            : content.Open(file);
        await stream.CopyToAsync(output, cancellationToken);
        return true;
    }
}

/// <summary>The parts of an IMAP URL (RFC 5092) that name a message or a part of one in the user's own mailboxes.</summary>
public sealed record ImapUrl(string Mailbox, uint? UidValidity, uint Uid, string? Section, long? PartialStart, long? PartialLength)
{
    /// <summary>
    /// Parses <c>[imap://[user@]host[:port]]/enc-mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]</c>
    /// (RFC 5092 §6, case-insensitive parameter names, %-encoded UTF-8 mailbox); null when it is not that.
    /// </summary>
    public static ImapUrl? TryParse(string url)
    {
        var path = url;
        if (path.StartsWith("imap://", StringComparison.OrdinalIgnoreCase))
        {
            var slash = path.IndexOf('/', 7);
            if (slash < 0)
            {
                return null;
            }

            path = path[slash..];
        }

        if (!path.StartsWith('/'))
        {
            return null;
        }

        var segments = path[1..].Split('/');
        if (segments.Length < 2)
        {
            return null;
        }

        var first = segments[0].Split(';');
        string mailbox;
        try
        {
            mailbox = Uri.UnescapeDataString(first[0]);
        }
        catch (UriFormatException)
        {
            return null;
        }

        uint? validity = null;
        foreach (var parameter in first.Skip(1))
        {
            if (!TryValue(";" + parameter, "UIDVALIDITY", out var text) || !uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                return null;
            }

            validity = v;
        }

        uint? uid = null;
        string? section = null;
        long? start = null;
        long? length = null;
        foreach (var segment in segments.Skip(1))
        {
            if (TryValue(segment, "UID", out var uidText) && uint.TryParse(uidText, NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u > 0)
            {
                uid = u;
            }
            else if (TryValue(segment, "SECTION", out var sectionText) && uid is not null)
            {
                section = Uri.UnescapeDataString(sectionText);
            }
            else if (TryValue(segment, "PARTIAL", out var partial) && uid is not null)
            {
                var pieces = partial.Split('.');
                if (!long.TryParse(pieces[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) || pieces.Length > 2)
                {
                    return null;
                }

                start = s;
                if (pieces.Length == 2)
                {
                    if (!long.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var l) || l == 0)
                    {
                        return null;
                    }

                    length = l;
                }
            }
            else
            {
                return null;
            }
        }

        return uid is null ? null : new ImapUrl(mailbox, validity, uid.Value, section, start, length);
    }

    private static bool TryValue(string segment, string name, out string value)
    {
        value = "";
        var prefix = ";" + name + "=";
        if (!segment.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        value = segment[prefix.Length..];
        return value.Length > 0;
    }
}
