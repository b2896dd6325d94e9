using System.Buffers;
using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Net;
using MailAppliance.Core.Sasl;
using MailAppliance.Imap.Protocol;
using MailAppliance.Mime;
using MailAppliance.Mime.Imap;
using MailAppliance.Pop3.Protocol;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Fuzz;

/// <summary>
/// Every parser that reads bytes from a client or from a file, as a target taking arbitrary bytes. A target calls
/// the parser the way its caller does (line framing and limits first, as the session or the reader applies them)
/// and checks what the parser promises of its result. A parser may refuse input only with its own failure value;
/// any exception escaping a target is a finding (SharpFuzz reports it as a crash, the FsCheck properties as a
/// failing case). Targets keep no state between calls.
/// </summary>
public static class ParserTargets
{
    /// <summary>The targets by name (the name scripts/fuzz.sh takes).</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["smtp-command"] = SmtpCommand,
        ["smtp-data"] = SmtpData,
        ["imap-command"] = ImapCommand,
        ["imap-section"] = ImapSection,
        ["pop3-command"] = Pop3Command,
        ["sasl"] = Sasl,
        ["mime"] = Mime,
        ["address"] = Address,
        ["date"] = Date,
        ["line-reader"] = LineReader,
        ["spool"] = Spool,
        ["uidlist"] = UidListFile,
        ["maildir-names"] = MaildirNames,
        ["sieve"] = SieveTargets.Sieve,
        ["managesieve-command"] = SieveTargets.ManageSieveCommand,
    };

    /// <summary>An invariant a parser promised did not hold: always a bug, never an input problem.</summary>
    public sealed class InvariantException(string message) : Exception(message);

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantException(what);
        }
    }

    /// <summary>Splits input into lines the way a CRLF line reader would (the last one may lack its end).</summary>
    private static IEnumerable<byte[]> Lines(byte[] input, int maxLines = 4096)
    {
        var start = 0;
        var count = 0;
        while (start < input.Length && count++ < maxLines)
        {
            var lf = Array.IndexOf(input, (byte)'\n', start);
            var end = lf < 0 ? input.Length : lf;
            var lineEnd = end > start && input[end - 1] == '\r' ? end - 1 : end;
            yield return input[start..lineEnd];
            start = lf < 0 ? input.Length : lf + 1;
        }
    }

    // ---- SMTP -------------------------------------------------------------------------------------------------

    public static void SmtpCommand(byte[] input)
    {
        foreach (var line in Lines(input))
        {
            var result = SmtpCommandParser.Parse(line);
            Require((result.Command is null) != (result.Error is null), "exactly one of command and error");
            if (result.Error is { } error)
            {
                Require(error.Code is >= 400 and < 600, "an error is a 4xx or 5xx reply");
            }
        }
    }

    /// <summary>
    /// The DATA decoder over input cut into pieces (the first byte chooses their size): the pieces must give what
    /// the whole gives, and the content never grows.
    /// </summary>
    public static void SmtpData(byte[] input)
    {
        var whole = new ArrayBufferWriter<byte>();
        var decoder = new DataDecoder();
        var consumed = decoder.Decode(input, whole);
        Require(consumed <= input.Length, "consumed within the input");
        Require(whole.WrittenCount <= consumed, "unstuffing never adds bytes");
        Require(decoder.ContentLength == whole.WrittenCount, "ContentLength counts what was written");
        Require(!decoder.IsComplete || consumed >= 3, "the end marker is at least .CRLF after a line start");

        var piece = input.Length == 0 ? 1 : 1 + (input[0] % 7);
        var chunked = new ArrayBufferWriter<byte>();
        var again = new DataDecoder();
        var offset = 0;
        while (offset < input.Length && !again.IsComplete)
        {
            var take = Math.Min(piece, input.Length - offset);
            var used = again.Decode(input.AsSpan(offset, take), chunked);
            Require(used <= take, "consumed within the piece");
            offset += used;
            if (used < take)
            {
                break; // complete: the rest belongs to the next command
            }
        }

        Require(again.IsComplete == decoder.IsComplete && offset == consumed, "pieces end where the whole ends");
        Require(chunked.WrittenSpan.SequenceEqual(whole.WrittenSpan), "pieces decode to what the whole decodes to");

        var counting = new DataDecoder();
        counting.Decode(input, null);
        Require(counting.ContentLength == decoder.ContentLength, "counting without output counts the same");
    }

    // ---- IMAP -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Command reading as the session does it (lines, literal announcements, literal bytes taken from the input,
    /// the 64 KiB literal limit), then the parsers of what the arguments become: sequence sets, FETCH items, SEARCH
    /// programs, flag lists and mailbox names.
    /// </summary>
    public static void ImapCommand(byte[] input)
    {
        var segments = new List<CommandSegment>();
        var position = 0;
        var commands = 0;
        while (position < input.Length && commands < 64)
        {
            var lf = Array.IndexOf(input, (byte)'\n', position);
            var end = lf < 0 ? input.Length : lf;
            var line = input[position..(end > position && input[end - 1] == '\r' ? end - 1 : end)];
            position = lf < 0 ? input.Length : lf + 1;
            _ = ImapCommandParser.PeekTagAndName(line);
            if (ImapCommandParser.TryGetLiteralMarker(line, out var marker, out var textLength))
            {
                Require(textLength >= 0 && textLength < line.Length, "a literal marker lies inside its line");
                Require(marker.Size >= 0, "a literal size is not negative");
                segments.Add(new TextSegment(line[..textLength]));
                if (marker.Size > 64 * 1024)
                {
                    segments.Clear(); // the session refuses it before reading
                    commands++;
                    continue;
                }

                var size = (int)Math.Min(marker.Size, input.Length - position);
                segments.Add(new LiteralSegment(new ImapString(input[position..(position + size)], true)));
                position += size;
                continue;
            }

            segments.Add(new TextSegment(line));
            Command(segments);
            segments.Clear();
            commands++;
        }
    }

    private static void Command(List<CommandSegment> segments)
    {
        if (!ImapCommandParser.TryParse(segments, [], out var command, out var tag, out var error))
        {
            Require(command is null && error.Length > 0 && tag.Length > 0, "a refusal names its reason and a tag");
            return;
        }

        Require(command is not null && command.Tag.Length > 0 && command.Name.Length > 0, "a command has a tag and a name");
        var arguments = command!.Arguments;
        foreach (var argument in arguments)
        {
            Values(argument, 0);
        }

        _ = SearchParser.TryParse(arguments, out _, out _);
        if (arguments.Count > 1)
        {
            _ = SearchParser.TryParse(arguments.Skip(1).ToList(), out _, out _);
            _ = FetchItemParser.TryParse(arguments[1], out _, out _);
            _ = ImapFlags.TryParse(arguments[^1], out _, out _, out _);
        }
    }

    private static void Values(ImapValue value, int depth)
    {
        Require(depth <= ImapCommandParser.MaxDepth + 1, "lists nest no deeper than the parser's limit");
        switch (value)
        {
            case ImapList list:
                foreach (var item in list.Items)
                {
                    Values(item, depth + 1);
                }

                break;
            case ImapAtom atom:
                _ = SequenceSet.TryParse(atom.Text, out _);
                _ = FetchItemParser.ParseOne(atom.Text);
                _ = MailboxName.FromModifiedUtf7(atom.Text);
                _ = SearchParser.TryParseDate(atom.Text, out _);
                break;
            case ImapString text:
                _ = MailboxName.FromModifiedUtf7(text.AsText());
                _ = MailboxName.FromImap(text.AsText());
                _ = SearchParser.TryParseDateTime(text.AsText(), out _);
                break;
        }
    }

    /// <summary>A section spec (BODY[...]) parsed and resolved against a message parsed from the same bytes.</summary>
    public static void ImapSection(byte[] input)
    {
        var split = Array.IndexOf(input, (byte)'\n');
        var spec = Encoding.Latin1.GetString(split < 0 ? input : input[..split]);
        var message = split < 0 ? [] : input[(split + 1)..];
        if (!SectionSpec.TryParse(spec, out var section))
        {
            return;
        }

        var structure = MimeParser.Parse(message);
        if (structure.Resolve(section) is { } content)
        {
            foreach (var range in content.Ranges)
            {
                Require(range.Offset >= 0 && range.Length >= 0 && range.Offset + range.Length <= message.Length, "a section lies inside the message");
            }
        }
    }

    // ---- POP3 and SASL ----------------------------------------------------------------------------------------

    public static void Pop3Command(byte[] input)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        var guard = 0;
        while (guard++ < 4096)
        {
            var status = Pop3CommandParser.TryParse(ref reader, out var command, out var error);
            if (status == Pop3ParseStatus.NeedMoreData)
            {
                break;
            }

            Require(status == Pop3ParseStatus.Complete ? command is not null : error is not null, "a result or a reply");
            foreach (var argument in command?.Arguments ?? [])
            {
                _ = Pop3CommandParser.MessageNumber(argument);
                _ = Pop3CommandParser.LineCount(argument);
            }
        }
    }

    /// <summary>SASL PLAIN and LOGIN exchanges driven by the input's lines (as AUTH initial responses and replies).</summary>
    public static void Sasl(byte[] input)
    {
        _ = SaslPlain.Parse(input, SaslLimits.Default);
        var lines = Lines(input, 16).Select(l => Encoding.Latin1.GetString(l)).ToList();
        foreach (var mechanism in SaslExchange.SupportedMechanisms)
        {
            var exchange = SaslExchange.Create(mechanism, SaslLimits.Default)!;
            var step = exchange.Start(lines.Count > 0 ? lines[0] : null);
            foreach (var line in lines.Skip(1))
            {
                if (exchange.IsFinished)
                {
                    break;
                }

                step = exchange.Respond(line);
            }

            _ = step;
        }

        foreach (var line in lines)
        {
            _ = SaslBase64.TryDecode(line, 1024, out _, out _);
        }
    }

    // ---- MIME, addresses, dates -------------------------------------------------------------------------------

    public static void Mime(byte[] input)
    {
        var structure = MimeParser.Parse(input);
        Require(structure.Length == input.Length, "the structure covers every byte");
        _ = ImapViews.BodyStructure(structure);
        _ = ImapViews.Body(structure);
        _ = ImapViews.Envelope(structure, utf8Accept: true);
        var serialized = structure.Serialize();
        Require(MessageStructure.TryDeserialize(serialized, out _), "a serialized structure reads back");
        _ = MessageStructure.TryDeserialize(input, out _); // cached views come back from the database as bytes

        foreach (var encoding in new[] { "base64", "quoted-printable", "7bit" })
        {
            using var decoding = new TransferDecodingStream(new MemoryStream(input), encoding);
            decoding.CopyTo(Stream.Null);
        }
    }

    public static void Address(byte[] input)
    {
        foreach (var text in new[] { Encoding.UTF8.GetString(input), Encoding.Latin1.GetString(input) })
        {
            _ = AddressParser.ParseList(text);
            _ = AddressParser.ParseMailboxes(text);
            _ = EncodedWords.DecodeUnstructured(text);
            if (MailAddress.TryParse(text, out var address, out var error))
            {
                Require(MailAddress.TryParse(address.ToString(), out var again, out _) && again.ToString() == address.ToString(), "a parsed address parses again to itself");
            }
            else
            {
                Require(error.Length > 0, "a refused address says why");
            }

            _ = DomainName.TryParse(text, out _, out _);
        }
    }

    public static void Date(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        _ = DateParser.Parse(text);
        _ = SearchParser.TryParseDate(text, out _);
        _ = SearchParser.TryParseDateTime(text, out _);
    }

    /// <summary>The bounded line reader every protocol frames its commands with, over input cut into pieces.</summary>
    public static void LineReader(byte[] input)
    {
        var max = input.Length == 0 ? 8 : 3 + (input[0] % 64);
        var reader = new BoundedLineReader(max, requireCrlf: input.Length > 1 && (input[1] & 1) == 1);
        var pending = new List<byte>();
        foreach (var chunk in input.Chunk(input.Length > 2 ? 1 + (input[2] % 5) : 1))
        {
            pending.AddRange(chunk);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (true)
            {
                var before = buffer.Length;
                var result = reader.TryReadLine(ref buffer, out var line);
                Require(line.Length <= max, "no line is longer than the limit");
                if (buffer.Length == before)
                {
                    break;
                }

                _ = result;
            }

            pending = [.. buffer.ToArray()];
        }
    }

    // ---- files on disk ----------------------------------------------------------------------------------------

    /// <summary>A spool file: header, then the trailer and footer found from the end, as recovery reads them.</summary>
    public static void Spool(byte[] input)
    {
        using var stream = new MemoryStream(input, writable: false);
        var envelope = SpoolFormat.ReadHeader(stream, out var version);
        var messageStart = stream.Position;
        Require(envelope is null || version is 1 or 2, "a read header has a known version");
        _ = SpoolFormat.ReadTrailer(stream, Math.Min(messageStart, input.Length), input.Length);
        _ = SpoolFormat.ReadTrailer(stream, 0, input.Length);
    }

    /// <summary>dovecot-uidlist, dovecot-keywords and subscriptions files as another program may have left them.</summary>
    public static void UidListFile(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var list = UidList.Parse(text);
        if (list.Succeeded)
        {
            var formatted = list.Value!.Format();
            var again = UidList.Parse(formatted);
            Require(again.Succeeded && again.Value!.Records.Count == list.Value.Records.Count, "a parsed uidlist formats and parses to itself");
        }

        _ = MaildirKeywords.Parse(text);
        _ = SubscriptionsFile.Parse(text);
    }

    /// <summary>Maildir file names and folder directory names found on disk.</summary>
    public static void MaildirNames(byte[] input)
    {
        foreach (var line in Lines(input, 64))
        {
            var text = Encoding.UTF8.GetString(line);
            var name = MaildirFileName.Parse(text);
            if (name.Succeeded)
            {
                Require(MaildirFileName.Parse(name.Value!.FullName).Succeeded, "a parsed file name parses again");
            }

            _ = MailboxName.FromFolderDirectoryName(text);
            _ = ModifiedUtf7.Decode(text);
        }
    }
}
