using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Pipeline.Checks;

/// <summary>
/// The DATA stage's verdict on a message from outside: SPF, DKIM, ARC and DMARC (one Authentication-Results field
/// naming us; fields that arrive claiming our name are removed), then the spam scanner per recipient (their own
/// thresholds, lists and classifier: Junk or not, X-Spam-* fields). Refuses at the end of DATA only for a virus
/// (554) or when every recipient's policy says reject (550 5.7.1); otherwise accepts and lets each recipient's verdict
/// travel with the message. Each part has its share of <c>Spam:TimeBudget</c>: what has not answered in time is a
/// temperror, never a delay past the budget, never a lost message.
/// </summary>
public sealed class SpamCheck : ISmtpCheck
{
    private readonly SpamScanner _scanner;
    private readonly MessageAuthenticator? _authenticator;
    private readonly Func<MailAddress, CancellationToken, Task<string?>> _userOf;
    private readonly string _hostname;
    private readonly TimeSpan _authenticationBudget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="authenticationBudget">How long SPF/DKIM/DMARC may take before the scan (a share of the stage's budget).</param>
    /// <summary>
    /// Whether a loopback client's mail is checked against DNS (SPF, DKIM, DMARC). Off, a loopback client is a local
    /// injection (a local relay, a content filter's reinjection) and gets <c>Authentication-Results: HOST; none</c>,
    /// as rspamd's <c>check_local = false</c> does; serve turns it on when <c>Dns:Servers</c> names the servers to ask.
    /// </summary>
    public bool CheckLoopbackClients { get; init; } = true;

    /// <param name="userOf">The local user (address, lower case) whose policy applies to a recipient, or null: see <see cref="FirstUser"/>.</param>
    public SpamCheck(SpamScanner scanner, MessageAuthenticator? authenticator, Func<MailAddress, CancellationToken, Task<string?>> userOf, string hostname, TimeSpan authenticationBudget, TimeProvider time, ILogger logger)
    {
        _scanner = scanner;
        _authenticator = authenticator;
        _userOf = userOf;
        _hostname = hostname;
        _authenticationBudget = authenticationBudget;
        _time = time;
        _logger = logger;
    }

    public string Name => "SPAM";

    public IReadOnlySet<SmtpStage> Stages { get; } = new HashSet<SmtpStage> { SmtpStage.Data };

    public async Task<CheckResult> CheckAsync(SmtpStage stage, CheckContext context, CancellationToken cancellationToken)
    {
        if (context.OpenMessage is null || context.AuthenticatedUser is not null)
        {
            // Our own users' submissions are not scored as inbound mail (they are signed on the way out instead).
            return CheckResult.Nothing;
        }

        var removed = ForgedFields(await context.ReadHeaderAsync(cancellationToken), _hostname);
        var (report, authHeader) = await AuthenticateAsync(context, cancellationToken);
        var users = await UserKeysAsync(context.Recipients, cancellationToken);

        MessageScan scan;
        await using (var message = await context.OpenMessage(cancellationToken))
        {
            scan = await _scanner.ScanAsync(message,
                new ScanEnvelope(context.ClientAddress, context.Helo, context.MailFrom ?? "", context.Recipients, context.AuthenticatedUser),
                report is null ? null : SenderAuthentication.From(report), users, ScanMode.Intake, cancellationToken);
        }

        var recipients = new List<RecipientVerdict>(context.Recipients.Count);
        for (var i = 0; i < context.Recipients.Count; i++)
        {
            var r = scan.Recipients[Math.Min(i, scan.Recipients.Count - 1)];
            recipients.Add(new RecipientVerdict(context.Recipients[i], r.Score, r.IsSpam, r.DiscardForwardThreshold,
                r.Headers.Select(h => Fold($"{h.Key}: {h.Value}")).ToList()));
        }

        var first = scan.Recipients.Count > 0 ? scan.Recipients[0] : null;
        var result = new CheckResult
        {
            Symbols = first?.Symbols.Select(s => new VerdictSymbol(s.Name, s.Score)).ToList() ?? [],
            Headers = authHeader is null ? [] : [authHeader],
            Recipients = recipients,
            Removed = removed,
        };
        if (scan.IsVirus)
        {
            return result with { Action = CheckAction.Reject, Code = 554, Reason = $"virus found: {scan.Virus}" };
        }

        return scan.RejectAll ? result with { Action = CheckAction.Reject, Reason = "message refused as spam" } : result;
    }

    /// <summary>
    /// SPF of the envelope sender (or HELO for the null sender), then DKIM/ARC/DMARC over the message; what has not
    /// answered within the budget is temperror (RFC 8601 §2.7.1), the message is scored without it.
    /// </summary>
    private async Task<(AuthenticationReport? Report, string? Header)> AuthenticateAsync(CheckContext context, CancellationToken cancellationToken)
    {
        if (_authenticator is null)
        {
            return (null, null);
        }

        if (!CheckLoopbackClients && System.Net.IPAddress.IsLoopback(context.ClientAddress))
        {
            return (null, $"{AuthenticationResultsHeader.FieldName}: {_hostname}; none");
        }

        using var timer = new CancellationTokenSource(_authenticationBudget, _time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        SpfResult? spf = null;
        var helo = context.Helo ?? context.ClientAddress.ToString();
        try
        {
            spf = await _authenticator.Spf.CheckMailFromAsync(context.ClientAddress, context.MailFrom ?? "", helo, budget.Token);
            await using var message = await context.OpenMessage!(budget.Token);
            var report = await _authenticator.AuthenticateAsync(message, spf, budget.Token);
            return (report, AuthenticationResultsHeader.Format(_hostname, report).TrimEnd('\r', '\n'));
        }
        catch (Exception e) when (e is OperationCanceledException && !cancellationToken.IsCancellationRequested || e is not OperationCanceledException)
        {
            if (e is not OperationCanceledException)
            {
                _logger.LogWarning(e, "Authentication of {QueueId} failed; scored without it", context.QueueId);
            }

            var domain = (context.MailFrom ?? "") is { Length: > 0 } from && from.LastIndexOf('@') is var at and >= 0 ? from[(at + 1)..] : helo;
            var report = new AuthenticationReport(
                spf ?? new SpfResult(SpfResultCode.TempError, string.IsNullOrEmpty(context.MailFrom) ? SpfIdentity.Helo : SpfIdentity.MailFrom, domain, context.MailFrom ?? ""),
                [], new ArcResult(ArcResultCode.None, 0), new DmarcResult(DmarcResultCode.TempError, "") { Reason = "timed out" });
            return (report, AuthenticationResultsHeader.Format(_hostname, report).TrimEnd('\r', '\n'));
        }
    }

    /// <summary>The user whose policy applies to each recipient: the first local user it reaches, else the domain/global policy.</summary>
    private async Task<IReadOnlyList<string?>> UserKeysAsync(IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var keys = new List<string?>(recipients.Count);
        foreach (var recipient in recipients)
        {
            string? key = null;
            if (MailAddress.TryParse(recipient, out var address, out _))
            {
                try
                {
                    key = await _userOf(address, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The directory answered at RCPT a moment ago; without it now the global policy applies.
                    _logger.LogWarning(e, "No user policy for {Recipient}: the directory did not answer", recipient);
                }
            }

            keys.Add(key);
        }

        return keys;
    }

    /// <summary>
    /// RFC 5322 §2.1.1: lines SHOULD stay within 78 characters. A long field (X-Spam-Status with many tests) is folded
    /// after a comma of its list, as SpamAssassin folds it; the text up to the first test stays on the first line.
    /// </summary>
    internal static string Fold(string field, int width = 78)
    {
        if (field.Length <= width)
        {
            return field;
        }

        var tests = field.IndexOf("tests=", StringComparison.Ordinal);
        var firstComma = field.IndexOf(',', tests < 0 ? 0 : tests);
        if (firstComma < 0)
        {
            return field;
        }

        var sb = new System.Text.StringBuilder(field.Length + 16);
        var lineStart = 0;
        var cursor = firstComma + 1;
        sb.Append(field, 0, cursor);
        while (cursor < field.Length)
        {
            var next = field.IndexOf(',', cursor);
            var end = next < 0 ? field.Length : next + 1;
            if (sb.Length - lineStart + (end - cursor) > width)
            {
                sb.Append("\r\n\t");
                lineStart = sb.Length - 1;
            }

            sb.Append(field, cursor, end - cursor);
            cursor = end;
        }

        return sb.ToString();
    }

    /// <summary>The first local user a recipient reaches through the directory (an alias's first user), else null.</summary>
    public static Func<MailAddress, CancellationToken, Task<string?>> FirstUser(RecipientCache directory) => async (address, cancellationToken) =>
        await directory.ResolveAsync(address, cancellationToken) is Resolution.Recipients { Users.Count: > 0 } found ? found.Users[0].Address.ToLowerInvariant() : null;

    /// <summary>
    /// Authentication-Results fields that arrive naming us as their authserv-id (RFC 8601 §5: a receiver removes or
    /// renames such fields, since only we may write them): the ranges of the header block's fields that claim
    /// <paramref name="hostname"/> (each with its line ending), to leave out on delivery.
    /// </summary>
    internal static IReadOnlyList<MessageRange> ForgedFields(ReadOnlySpan<byte> block, string hostname)
    {
        var ranges = new List<MessageRange>();
        var start = 0;
        while (start < block.Length)
        {
            // A field runs from its name to the line end that is not followed by whitespace (folding, RFC 5322 §2.2.3).
            var end = start;
            while (true)
            {
                var newline = block[end..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    end = block.Length;
                    break;
                }

                end += newline + 1;
                if (end >= block.Length || (block[end] != (byte)' ' && block[end] != (byte)'\t'))
                {
                    break;
                }
            }

            var field = block[start..end];
            if (field.TrimEnd("\r\n"u8).Length == 0)
            {
                break; // the empty line: the body starts
            }

            if (StartsWithIgnoringCase(field, "Authentication-Results:") && AuthenticationResultsHeader.IsClaimedField(Encoding.Latin1.GetString(field), hostname))
            {
                ranges.Add(new MessageRange(start, end - start));
            }

            start = end;
        }

        return ranges;
    }

    private static bool StartsWithIgnoringCase(ReadOnlySpan<byte> field, string name) =>
        field.Length >= name.Length && Encoding.ASCII.GetString(field[..name.Length]).Equals(name, StringComparison.OrdinalIgnoreCase);
}
