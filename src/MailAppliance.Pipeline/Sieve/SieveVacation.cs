using System.Security.Cryptography;
using MailAppliance.Core.Addresses;
using MailAppliance.Mime;
using MailAppliance.Mime.Builder;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// The checks that decide whether a vacation response goes out (RFC 5230 §4.5, RFC 3834 §2) and the reply itself
/// (RFC 5230 §5, RFC 3834 §3): never to the null sender, to mailer daemons or list owners, to mail from lists or
/// bulk senders, to auto-submitted mail, or to the user's own addresses; only when one of the user's addresses is
/// among the recipient headers; at most once per sender and handle per period (the response memory).
/// </summary>
internal static class SieveVacation
{
    private static readonly string[] ListHeaders =
    [
        // RFC 2369 and RFC 2919 list headers.
        "List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner", "List-Archive",
    ];

    private static readonly string[] RecipientHeaders = ["To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"];

    public static bool TryParseFrom(string text, out MailboxAddress? address)
    {
        var all = AddressParser.ParseMailboxes(text);
        address = all.Count > 0 ? all[0] : null;
        return address is { LocalPart: not null, Domain: not null };
    }

    public static async Task<List<(SieveVacationAction Action, string? Sender)>> DecideAllAsync(SieveRun run, CancellationToken cancellationToken)
    {
        var list = new List<(SieveVacationAction, string?)>();
        foreach (var action in run.Actions.OfType<SieveVacationAction>())
        {
            if (run.Input.DryRun)
            {
                list.Add((action, null));
                continue;
            }

            var (decided, sender) = await DecideAsync(run, action, cancellationToken);
            list.Add((decided, sender));
        }

        return list;
    }

    private static async Task<(SieveVacationAction, string?)> DecideAsync(SieveRun run, SieveVacationAction action, CancellationToken cancellationToken)
    {
        var sender = run.Input.Envelope.From;
        var user = run.Input.User;
        var own = user.Addresses.Append(user.User).Append(run.Input.Envelope.To).Concat(action.Addresses)
            .Select(Normalize).Where(a => a.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
        string? Suppress()
        {
            if (sender.Length == 0)
            {
                return "the envelope sender is null";
            }

            if (own.Contains(Normalize(sender)))
            {
                return "the sender is one of the user's own addresses";
            }

            var at = sender.LastIndexOf('@');
            var local = at < 0 ? sender : sender[..at];
            // RFC 3834 §2: never answer mailer daemons, list servers and their owners.
            if (local.Equals("MAILER-DAEMON", StringComparison.OrdinalIgnoreCase) || local.Equals("LISTSERV", StringComparison.OrdinalIgnoreCase)
                || local.Equals("majordomo", StringComparison.OrdinalIgnoreCase) || local.StartsWith("owner-", StringComparison.OrdinalIgnoreCase)
                || local.EndsWith("-request", StringComparison.OrdinalIgnoreCase) || local.EndsWith("-owner", StringComparison.OrdinalIgnoreCase))
            {
                return "the sender is a system address";
            }

            var headers = run.Message.Headers;
            string? Value(string name) => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.Trim();
            // RFC 3834 §2 / RFC 5230 §4.5: no answer to automatic mail.
            if (Value("Auto-Submitted") is { } auto && !auto.Split(';')[0].Trim().Equals("no", StringComparison.OrdinalIgnoreCase))
            {
                return "the message is auto-submitted";
            }

            if (Value("Precedence") is { } precedence && precedence.ToLowerInvariant() is "bulk" or "junk" or "list")
            {
                return $"the message has Precedence: {precedence}";
            }

            if (ListHeaders.FirstOrDefault(h => Value(h) is not null) is { } list)
            {
                return $"the message comes from a mailing list ({list})";
            }

            if (Value("X-Auto-Response-Suppress") is { } suppress && suppress.Split(',').Any(s => s.Trim().ToLowerInvariant() is "all" or "oof"))
            {
                return "the message asks for no automatic responses";
            }

            return null;
        }

        var reason = Suppress();
        string? matched = null;
        if (reason is null)
        {
            // RFC 5230 §4.5: answer only mail where one of the user's addresses is an explicit recipient.
            foreach (var name in RecipientHeaders)
            {
                foreach (var value in run.RawHeaderValues(name))
                {
                    matched ??= AddressParser.ParseMailboxes(value).Select(m => m.AddrSpec).FirstOrDefault(a => own.Contains(Normalize(a)));
                }
            }

            if (matched is null)
            {
                reason = "none of the user's addresses is among the message's recipients";
            }
        }

        if (reason is null && user.VacationResponses is { } memory
            && await memory.HasRespondedAsync(user.UserId, Normalize(sender), action.Handle, run.Now, cancellationToken))
        {
            reason = "a response was already sent to this sender within the period";
        }

        if (reason is not null)
        {
            return (action with { SuppressedBecause = reason }, null);
        }

        return (action with { Reply = new SieveVacationReply(sender, BuildReply(run, action, matched!)) }, Normalize(sender));
    }

    private static string Normalize(string address)
    {
        var a = address.Trim().Trim('<', '>');
        return MailAddress.TryParse(a, out var parsed, out _) ? parsed.Key : a.ToLowerInvariant();
    }

    /// <summary>RFC 5230 §5 and RFC 3834 §3: the reply's header fields and body.</summary>
    private static byte[] BuildReply(SieveRun run, SieveVacationAction action, string recipientAddress)
    {
        var original = run.Message.Headers;
        string? Value(string name) => original.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;
        var builder = new MessageBuilder { Utf8Headers = false, BoundarySeed = "vacation" };
        var from = action.From is { } f && TryParseFrom(f, out var parsedFrom) ? parsedFrom! : MailboxFromAddress(recipientAddress);
        builder.From(from);
        builder.To(MailboxFromAddress(run.Input.Envelope.From));
        // RFC 5230 §5.2: the default subject is built from the original's ("Auto: " as Pigeonhole).
        var subject = action.Subject ?? "Auto: " + (Value("Subject") is { } s ? EncodedWords.DecodeUnstructured(s) : string.Empty);
        builder.Subject(subject);
        builder.Date(run.Now);
        builder.MessageId(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) + "@" + run.Input.User.Hostname);
        // RFC 5230 §5.4 / RFC 3834 §3.1.5: In-Reply-To and References point at the original.
        if (MessageIds.Parse(Value("Message-ID")) is { } id)
        {
            builder.InReplyTo(id);
            builder.References(MessageIds.ParseList(Value("References")).Append(id));
        }

        // RFC 5230 §5.1 / RFC 3834 §5: Auto-Submitted: auto-replied.
        builder.Header("Auto-Submitted", "auto-replied (vacation)");
        if (action.Mime)
        {
            // RFC 5230 §4.4 :mime: the reason is a MIME entity (its own header, a blank line, its body).
            var text = action.Reason.ReplaceLineEndings("\r\n");
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var headerPart = split < 0 ? text : text[..split];
            var bodyPart = split < 0 ? string.Empty : text[(split + 4)..];
            var contentType = headerPart.Split("\r\n").Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("Content-Type", StringComparison.OrdinalIgnoreCase))?[1].Trim() ?? "text/plain; charset=utf-8";
            var parsedType = ContentType.TryParse(contentType, out var t) ? t : null;
            builder.Body(MimeEntity.Raw(parsedType?.MediaType ?? "text", parsedType?.SubType ?? "plain", System.Text.Encoding.UTF8.GetBytes(bodyPart), "8bit"));
        }
        else
        {
            builder.Body(MimeEntity.Text(action.Reason));
        }

        return builder.ToArray();
    }

    private static MailboxAddress MailboxFromAddress(string address)
    {
        var a = address.Trim().Trim('<', '>');
        var at = a.LastIndexOf('@');
        return at < 0 ? new MailboxAddress(null, null, a, null) : new MailboxAddress(null, null, a[..at], a[(at + 1)..]);
    }
}
