using System.Text;
using MailAppliance.Mime;

namespace MailAppliance.Storage.Mailstore;

/// <summary>
/// What SORT (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO) and THREAD need of a message's header, extracted once when
/// the message is indexed: the sent date, the base subject, the first From/To/Cc mailbox and display names, and
/// the Message-ID with its references. Strings are as decoded; comparisons fold them (i;unicode-casemap).
/// </summary>
public sealed record SortKeys(
    DateTimeOffset? SentDate,
    string BaseSubject,
    bool IsReplyOrForward,
    string FromMailbox,
    string ToMailbox,
    string CcMailbox,
    string DisplayFrom,
    string DisplayTo,
    string? MessageId,
    IReadOnlyList<string> References)
{
    private const byte FormatVersion = 1;

    /// <summary>The keys of a message's top-level header.</summary>
    public static SortKeys Build(MessagePart root)
    {
        var (baseSubject, reply) = ExtractBaseSubject(root.GetHeader("Subject")?.Value ?? "");
        var from = FirstAddress(root, "From");
        var to = FirstAddress(root, "To");
        var cc = FirstAddress(root, "Cc");
        var messageId = MessageIds.Parse(root.GetHeader("Message-ID")?.Value);

        // RFC 5256 §3 REFERENCES step 1: the References field, or else the first message-id of In-Reply-To.
        var references = MessageIds.ParseList(root.GetHeader("References")?.Value);
        if (references.Count == 0 && MessageIds.Parse(root.GetHeader("In-Reply-To")?.Value) is { } inReplyTo)
        {
            references = [inReplyTo];
        }

        return new SortKeys(
            DateParser.Parse(root.GetHeader("Date")?.Value),
            baseSubject,
            reply,
            Mailbox(from),
            Mailbox(to),
            Mailbox(cc),
            Display(from),
            Display(to),
            messageId,
            references);
    }

    /// <summary>
    /// RFC 5256 §2.1: the subject with encoded-words decoded, white space compressed, and every "Re:", "Fwd:",
    /// "[blob]" leader, "(fwd)" trailer and "[fwd: …]" wrapper taken off; <c>reply</c> says whether any was.
    /// </summary>
    public static (string BaseSubject, bool Reply) ExtractBaseSubject(string subject)
    {
        // (1) decode, compress white space.
        var text = new StringBuilder();
        foreach (var c in EncodedWords.DecodeUnstructured(subject))
        {
            var ws = c is ' ' or '\t' or '\r' or '\n';
            if (ws && text.Length > 0 && text[^1] == ' ')
            {
                continue;
            }

            text.Append(ws ? ' ' : c);
        }

        var s = text.ToString();
        var reply = false;
        while (true)
        {
            // (2) trailers: "(fwd)" and white space at the end.
            while (true)
            {
                var trimmed = s.TrimEnd(' ');
                if (trimmed.EndsWith("(fwd)", StringComparison.OrdinalIgnoreCase))
                {
                    s = trimmed[..^5];
                    reply = true;
                    continue;
                }

                s = trimmed;
                break;
            }

            // (3)-(5) leaders, and a leading blob if something remains after it.
            while (true)
            {
                var before = s;
                s = s.TrimStart(' ');
                if (TryRemoveLeader(s, out var rest))
                {
                    s = rest;
                    reply = true;
                }
                else if (TryRemoveBlob(s, out rest) && rest.Trim().Length > 0)
                {
                    s = rest;
                }

                if (s == before)
                {
                    break;
                }
            }

            // (6) "[fwd: ...]".
            if (s.StartsWith("[fwd:", StringComparison.OrdinalIgnoreCase) && s.EndsWith(']'))
            {
                s = s[5..^1];
                reply = true;
                continue;
            }

            return (s, reply);
        }
    }

    // subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
    private static bool TryRemoveLeader(string s, out string rest)
    {
        rest = s;
        var i = 0;
        while (TryRemoveBlob(s[i..], out var afterBlob))
        {
            i = s.Length - afterBlob.Length;
        }

        int word;
        if (StartsWith(s, i, "re"))
        {
            word = 2;
        }
        else if (StartsWith(s, i, "fwd"))
        {
            word = 3;
        }
        else if (StartsWith(s, i, "fw"))
        {
            word = 2;
        }
        else
        {
            return false;
        }

        var j = i + word;
        while (j < s.Length && s[j] == ' ')
        {
            j++;
        }

        if (TryRemoveBlob(s[j..], out var afterTag))
        {
            j = s.Length - afterTag.Length;
        }

        if (j >= s.Length || s[j] != ':')
        {
            return false;
        }

        rest = s[(j + 1)..];
        return true;
    }

    // subj-blob = "[" *BLOBCHAR "]" *WSP; BLOBCHAR = any CHAR except "[" and "]"
    private static bool TryRemoveBlob(string s, out string rest)
    {
        rest = s;
        if (s.Length == 0 || s[0] != '[')
        {
            return false;
        }

        var close = s.IndexOf(']', 1);
        if (close < 0 || s.AsSpan(1, close - 1).Contains('['))
        {
            return false;
        }

        rest = s[(close + 1)..].TrimStart(' ');
        return true;
    }

    private static bool StartsWith(string s, int at, string word) => s.Length - at >= word.Length && string.Compare(s, at, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

    /// <summary>The first address of a field as IMAP ENVELOPE sees it: a group's start counts, its name as the mailbox.</summary>
    private static (string? Name, string Mailbox, string Spec)? FirstAddress(MessagePart root, string field)
    {
        if (root.GetHeader(field) is not { } header || AddressParser.ParseList(header.Value) is not { Count: > 0 } list)
        {
            return null;
        }

        return list[0] switch
        {
            MailboxAddress m => (m.DecodedDisplayName, m.LocalPart ?? "", m.AddrSpec),
            GroupAddress g => (null, g.DecodedName, g.DecodedName),
            _ => null,
        };
    }

    // RFC 5256 §3: FROM/TO/CC sort by the addr-mailbox of the first address.
    private static string Mailbox((string? Name, string Mailbox, string Spec)? address) => address?.Mailbox ?? "";

    // RFC 5957 §4: the display name if there is one, else the addr-spec.
    private static string Display((string? Name, string Mailbox, string Spec)? address) =>
        address is null ? "" : string.IsNullOrWhiteSpace(address.Value.Name) ? address.Value.Spec : address.Value.Name;

    /// <summary>A compact binary form for the index.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(SentDate is { } d);
            if (SentDate is { } date)
            {
                writer.Write(date.UtcTicks);
                writer.Write((short)date.Offset.TotalMinutes);
            }

            writer.Write(BaseSubject);
            writer.Write(IsReplyOrForward);
            writer.Write(FromMailbox);
            writer.Write(ToMailbox);
            writer.Write(CcMailbox);
            writer.Write(DisplayFrom);
            writer.Write(DisplayTo);
            writer.Write(MessageId ?? "");
            writer.Write(References.Count);
            foreach (var reference in References)
            {
                writer.Write(reference);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads <see cref="Serialize"/>'s form; null when it is not that (an older format: read the file again).</summary>
    public static SortKeys? Deserialize(byte[]? bytes)
    {
        if (bytes is not { Length: > 0 } || bytes[0] != FormatVersion)
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 1, bytes.Length - 1), Encoding.UTF8);
            DateTimeOffset? date = null;
            if (reader.ReadBoolean())
            {
                var ticks = reader.ReadInt64();
                var offset = TimeSpan.FromMinutes(reader.ReadInt16());
                date = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset);
            }

            var subject = reader.ReadString();
            var reply = reader.ReadBoolean();
            var from = reader.ReadString();
            var to = reader.ReadString();
            var cc = reader.ReadString();
            var displayFrom = reader.ReadString();
            var displayTo = reader.ReadString();
            var messageId = reader.ReadString();
            var count = reader.ReadInt32();
            var references = new List<string>(Math.Min(count, 1000));
            for (var i = 0; i < count; i++)
            {
                references.Add(reader.ReadString());
            }

            return new SortKeys(date, subject, reply, from, to, cc, displayFrom, displayTo, messageId.Length == 0 ? null : messageId, references);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }
}
