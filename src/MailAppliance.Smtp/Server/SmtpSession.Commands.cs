using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Net;
using MailAppliance.Core.Sasl;
using MailAppliance.Pipeline.Srs;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Reports;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Server;

public sealed partial class SmtpSession
{
    /// <summary>
    /// Every command, the states it may run in, and what a client hears when it sends it in another state (STYLE.md
    /// rule 2). BDAT runs in every state because its chunk must be read (and discarded) whatever the answer.
    /// </summary>
    private static readonly Dictionary<Type, CommandRule> Commands = new()
    {
        [typeof(SmtpCommand.Ehlo)] = new(AllowedIn.Any, (s, c, t) => s.EhloAsync(((SmtpCommand.Ehlo)c).Domain, esmtp: true, t)),
        [typeof(SmtpCommand.Helo)] = new(AllowedIn.Any, (s, c, t) => s.EhloAsync(((SmtpCommand.Helo)c).Domain, esmtp: false, t)),
        [typeof(SmtpCommand.StartTls)] = new(AllowedIn.Any, (s, _, t) => s.StartTlsAsync(t)),
        [typeof(SmtpCommand.Auth)] = new(AllowedIn.Greeted, (s, c, t) => s.AuthAsync((SmtpCommand.Auth)c, t), Refused: NotInGreeted),
        [typeof(SmtpCommand.Mail)] = new(AllowedIn.Greeted, (s, c, t) => s.MailAsync((SmtpCommand.Mail)c, t),
            Refused: state => state is SessionState.InTransaction ? SmtpReplies.BadSequence.WithText("Nested MAIL command") : SmtpReplies.NeedHelo),
        [typeof(SmtpCommand.Rcpt)] = new(AllowedIn.InTransaction, (s, c, t) => s.RcptAsync((SmtpCommand.Rcpt)c, t), Refused: _ => SmtpReplies.NeedMail),
        [typeof(SmtpCommand.Data)] = new(AllowedIn.InTransaction, (s, _, t) => s.DataAsync(t), Refused: _ => SmtpReplies.NeedMail),
        [typeof(SmtpCommand.Bdat)] = new(AllowedIn.Any, (s, c, t) => s.BdatAsync((SmtpCommand.Bdat)c, t)),
        [typeof(SmtpCommand.Rset)] = new(AllowedIn.Any, (s, _, _) => s.RsetAsync()),
        [typeof(SmtpCommand.Noop)] = new(AllowedIn.Any, (s, _, _) => s.ReplyAsync(SmtpReplies.Ok)),
        [typeof(SmtpCommand.Quit)] = new(AllowedIn.Any, (s, _, _) => s.QuitAsync()),
        [typeof(SmtpCommand.Vrfy)] = new(AllowedIn.Any, (s, _, _) => s.ReplyAsync(SmtpReplies.CannotVerify)), // RFC 5321 §3.5.3: VRFY disabled, 252
        [typeof(SmtpCommand.Expn)] = new(AllowedIn.Any, (s, _, _) => s.ErrorAsync(SmtpReplies.NotImplemented)),
        [typeof(SmtpCommand.Help)] = new(AllowedIn.Any, (s, _, _) => s.ReplyAsync(SmtpReplies.Help)),
    };

    // The RCPT checks' outcome when they refused the recipient (its symbols and reason go into the report event).
    private StageOutcome? _rcptChecks;

    private static SmtpReply NotInGreeted(SessionState state) => state is SessionState.Connected ? SmtpReplies.NeedHelo : SmtpReplies.BadSequence;

    private Task HandleAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (!Commands.TryGetValue(command.GetType(), out var rule))
        {
            return ErrorAsync(SmtpReplies.CommandUnrecognized);
        }

        var current = _state switch
        {
            SessionState.Connected => AllowedIn.Connected,
            SessionState.Greeted => AllowedIn.Greeted,
            _ => AllowedIn.InTransaction,
        };
        return (rule.Allowed & current) != 0 ? rule.Handler(this, command, cancellationToken) : ErrorAsync(rule.Refused!(_state));
    }

    private async Task EhloAsync(string domain, bool esmtp, CancellationToken cancellationToken)
    {
        var helo = Printable(domain);
        var user = AuthenticatedUser;
        await EndTransactionAsync(); // RFC 5321 §4.1.4: EHLO resets the transaction
        var checks = await _services.Checks.RunAsync(SmtpStage.Helo, Context() with { Helo = helo, AuthenticatedUser = user }, cancellationToken);
        if (checks.Action != CheckAction.Accept)
        {
            var refusal = PolicyReply(checks);
            ReportRejected(ReportStage.Helo, refusal, "policy", checks: checks);
            await ErrorAsync(refusal);
            return;
        }

        _state = new SessionState.Greeted(helo, esmtp, user, checks);
        if (!esmtp)
        {
            await ReplyAsync(new SmtpReply(250, null, $"{_options.Hostname}"));
            return;
        }

        var lines = new List<string>
        {
            $"{_options.Hostname} greets {helo}",
            "PIPELINING",
            $"SIZE {_options.MaxMessageSize.ToString(CultureInfo.InvariantCulture)}",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
        };
        if (!_connection.IsTls && _services.Tls is not null)
        {
            lines.Add("STARTTLS");
        }

        if (_connection.IsTls)
        {
            lines.Add("REQUIRETLS"); // RFC 8689 §2: offered only once the session is under TLS
        }

        if (AuthOffered && user is null)
        {
            lines.Add("AUTH " + string.Join(' ', SaslExchange.SupportedMechanisms));
        }

        lines.Add("HELP");
        await ReplyAsync(new SmtpReply(250, null, lines));
    }

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        if (_state is SessionState.InTransaction)
        {
            // INTERFACE.md: refused inside a transaction, and whatever the transaction received goes with it.
            await EndTransactionAsync();
            await ErrorAsync(SmtpReplies.TransactionOpen);
            return;
        }

        if (_connection.IsTls || _services.Tls is null)
        {
            await ErrorAsync(_connection.IsTls ? SmtpReplies.BadSequence : SmtpReplies.TlsNotAvailable);
            return;
        }

        await ReplyAsync(SmtpReplies.ReadyForTls);
        await FlushAsync(cancellationToken);
        // Anything the client pipelined after STARTTLS is dropped by the upgrade (CVE-2011-0411).
        await _connection.UpgradeToTlsAsync(_services.Tls.CreateServerOptions(), cancellationToken);
        _lines = new BoundedLineReader(_options.MaxCommandLength);

        // RFC 3207 §4.2: forget everything learned before TLS; the client starts again with EHLO.
        _state = SessionState.Connected.Instance;
    }

    private async Task AuthAsync(SmtpCommand.Auth auth, CancellationToken cancellationToken)
    {
        var greeting = (SessionState.Greeted)_state;
        if (!_connection.IsTls && !_options.AllowPlaintextAuth)
        {
            await ErrorAsync(SmtpReplies.EncryptionRequiredForAuth);
            return;
        }

        if (!greeting.Esmtp || greeting.AuthenticatedUser is not null)
        {
            await ErrorAsync(greeting.AuthenticatedUser is not null ? SmtpReplies.AlreadyAuthenticated : SmtpReplies.BadSequence);
            return;
        }

        var exchange = SaslExchange.Create(auth.Mechanism);
        if (exchange is null)
        {
            await ErrorAsync(SmtpReplies.MechanismNotSupported);
            return;
        }

        var step = exchange.Start(auth.InitialResponse);
        while (step.Kind == SaslStepKind.Challenge)
        {
            await ReplyAsync(new SmtpReply(334, null, step.Challenge ?? ""));
            var (status, line) = await ReadLineAsync(_options.CommandTimeout, cancellationToken);
            if (status != CommandLineStatus.Line)
            {
                _closing = status != CommandLineStatus.TooLong;
                await ErrorAsync(status == CommandLineStatus.TooLong ? SmtpReplies.LineTooLong : SmtpReplies.Timeout);
                return;
            }

            step = exchange.Respond(System.Text.Encoding.UTF8.GetString(line));
        }

        if (step.Kind == SaslStepKind.Failed || step.Credentials is null)
        {
            await ErrorAsync(step.Error == SaslError.Cancelled ? SmtpReplies.AuthCancelled : SmtpReplies.SyntaxError.WithText("Invalid authentication data"));
            return;
        }

        var credentials = step.Credentials;
        var result = await _services.Authenticator.LoginAsync(_connection.RemoteEndPoint.Address, credentials, _services.Throttle, _services.Time, cancellationToken);
        if (result.Status == AuthenticationStatus.Unavailable)
        {
            _logger.LogWarning(result.Error, "Authentication unavailable");
            await ReplyAsync(SmtpReplies.AuthTemporaryFailure);
            return;
        }

        if (result.Status != AuthenticationStatus.Succeeded)
        {
            _logger.LogWarning("Authentication failed for {User}", credentials.AuthenticationId);
            await ErrorAsync(SmtpReplies.AuthFailed);
            return;
        }

        _state = greeting with { AuthenticatedUser = result.Address!.ToString() };
        await ReplyAsync(SmtpReplies.AuthSucceeded);
    }

    private async Task MailAsync(SmtpCommand.Mail mail, CancellationToken cancellationToken)
    {
        var greeting = (SessionState.Greeted)_state;
        var sender = mail.From.Address?.ToString() ?? "";
        var (refusal, checks) = await DecideSenderAsync(greeting, mail, sender, cancellationToken);
        if (refusal == SmtpReplies.InsufficientStorage)
        {
            await ReplyAsync(refusal); // the server's shortage, not the client's error
            return;
        }

        if (refusal is not null)
        {
            await ErrorAsync(refusal);
            return;
        }

        _state = new SessionState.InTransaction(greeting, new SmtpTransaction(mail.From, mail.Parameters, checks!.After(greeting.HeloChecks)));
        await ReplyAsync(SmtpReplies.SenderOk);
    }

    /// <summary>The MAIL decision: the refusal (reported), or null with what the checks found.</summary>
    private async Task<(SmtpReply? Refusal, StageOutcome? Checks)> DecideSenderAsync(SessionState.Greeted greeting, SmtpCommand.Mail mail, string sender, CancellationToken cancellationToken)
    {
        SmtpReply? refusal = null;
        string reason = "policy";
        StageOutcome? checks = null;
        if (_role != SmtpRole.Mx && greeting.AuthenticatedUser is null)
        {
            refusal = _connection.IsTls || _options.AllowPlaintextAuth ? SmtpReplies.AuthRequired : SmtpReplies.MustUseTls;
            reason = "auth_required";
        }
        else if (mail.Parameters.RequireTls && !_connection.IsTls)
        {
            // RFC 8689 §2: REQUIRETLS may only be given in a session that is itself under TLS.
            (refusal, reason) = (SmtpReplies.RequireTlsNeedsTls, "requiretls_without_tls");
        }
        else if (mail.Parameters.Size is { } declared && declared > _options.MaxMessageSize)
        {
            (refusal, reason) = (SmtpReplies.MessageTooBig, "size");
        }
        else if (mail.From.Address is { RequiresSmtpUtf8: true } && !mail.Parameters.SmtpUtf8)
        {
            (refusal, reason) = (SmtpReplies.SmtpUtf8Required, "smtputf8_required");
        }
        else if (!_services.Queue.HasRoomFor(mail.Parameters.Size ?? 0))
        {
            // INTERFACE.md: a full disk answers 452 4.3.1 at MAIL, checked per transaction and not counted as an error
            // of the client (RFC 5321 §4.5.3.1.10: the server is short of storage, the client did nothing wrong).
            (refusal, reason) = (SmtpReplies.InsufficientStorage, "disk_full");
        }
        else if (greeting.AuthenticatedUser is { } user && mail.From.Address is { } from && await SenderOwnedAsync(user, from, cancellationToken) is { } owned)
        {
            (refusal, reason) = (owned, owned == SmtpReplies.TemporaryFailure ? "directory_unavailable" : "sender_not_owned");
        }
        else
        {
            checks = await _services.Checks.RunAsync(SmtpStage.Mail, Context() with { MailFrom = sender }, cancellationToken);
            if (checks.Action != CheckAction.Accept)
            {
                refusal = PolicyReply(checks);
            }
        }

        if (refusal is not null)
        {
            ReportRejected(ReportStage.Mail, refusal, reason, sender: sender, checks: checks);
            return (refusal, null);
        }

        return (null, checks);
    }

    /// <summary>
    /// Submission rule (as Postfix's reject_sender_login_mismatch): an authenticated user sends only as their own
    /// address or an alias that leads to them; null when <paramref name="from"/> is theirs, else the reply.
    /// The null reverse-path is not an identity and stays allowed.
    /// </summary>
    private async Task<SmtpReply?> SenderOwnedAsync(string user, MailAddress from, CancellationToken cancellationToken)
    {
        var login = MailAddress.TryParse(user, out var parsed, out _) ? parsed.Key : user.ToLowerInvariant();
        if (login == from.Key)
        {
            return null;
        }

        Resolution resolution;
        try
        {
            resolution = await _services.Recipients.ResolveAsync(from, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            _logger.LogWarning(e, "Directory unavailable at MAIL");
            return SmtpReplies.TemporaryFailure;
        }

        var mine = resolution is Resolution.Recipients { Users: var users } && users.Any(u => MailAddress.TryParse(u.Address, out var a, out _) && a.Key == login);
        if (!mine)
        {
            _logger.LogInformation("MAIL FROM <{From}> refused: not an address of {User}", from, user);
        }

        return mine ? null : SmtpReplies.SenderNotOwned;
    }

    private async Task RcptAsync(SmtpCommand.Rcpt rcpt, CancellationToken cancellationToken)
    {
        var transaction = ((SessionState.InTransaction)_state).Transaction;
        var reply = await DecideRecipientAsync(transaction, rcpt, cancellationToken);
        transaction.RecipientResults.Add($"{rcpt.To} {reply.Code} {reply.Enhanced}");
        if (reply.IsPositive)
        {
            await ReplyAsync(reply);
        }
        else
        {
            ReportRejected(ReportStage.Rcpt, reply, ReasonOf(reply), sender: transaction.From.Address?.ToString() ?? "", recipient: rcpt.To.Address?.ToString() ?? rcpt.To.ToString(), checks: _rcptChecks);
            await ErrorAsync(reply);
        }

        _rcptChecks = null;
    }

    /// <summary>The RCPT decision: relay rules first, then the directory (RFC 5321 §3.6; no catch-all, ever), then the checks.</summary>
    private async Task<SmtpReply> DecideRecipientAsync(SmtpTransaction transaction, SmtpCommand.Rcpt rcpt, CancellationToken cancellationToken)
    {
        var to = rcpt.To;
        if (transaction.AcceptedRecipients >= _options.MaxRecipients)
        {
            return SmtpReplies.TooManyRecipients;
        }

        MailAddress? address = to.Address;
        if (to.IsPostmaster)
        {
            address = await PostmasterAsync(cancellationToken);
        }

        // %-hacks, !-paths, quoted "x@y"@local, source routes and address literals: only trusted senders may use them.
        var looksLikeRelayHack = to.HasSourceRoute || to.AddressLiteral is not null
            || (address is not null && address.LocalPart.IndexOfAny(['%', '!', '@']) >= 0);
        if (address is null || (looksLikeRelayHack && !MayRelay))
        {
            return to.AddressLiteral is not null || looksLikeRelayHack ? SmtpReplies.RelayDenied : SmtpReplies.BadAddressSyntax;
        }

        if (address.RequiresSmtpUtf8 && !transaction.Parameters.SmtpUtf8)
        {
            return SmtpReplies.SmtpUtf8Required;
        }

        // An SRS address of ours (the way back to a forwarded message's sender): a valid one is relayed to the
        // original sender; a forged, expired or malformed one is refused like an unknown user and never relayed.
        var srs = _services.Srs?.Reverse(address.ToString());
        if (srs is { Status: not SrsStatus.NotSrs and not SrsStatus.Valid })
        {
            return SmtpReplies.UnknownUser;
        }

        Resolution resolution;
        try
        {
            resolution = srs is { Status: SrsStatus.Valid } ? new Resolution.Recipients([], [srs.Value.Address!]) : await _services.Recipients.ResolveAsync(address, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // RFC 5321 §4.2.5: a temporary condition answers 4xx, so the sender retries; never 5xx for an outage.
            _logger.LogWarning(e, "Directory unavailable at RCPT");
            return SmtpReplies.TemporaryFailure;
        }

        switch (resolution)
        {
            case Resolution.NotLocal when !MayRelay:
                return SmtpReplies.RelayDenied;
            case Resolution.Unknown:
                return SmtpReplies.UnknownUser;
            case Resolution.Recipients { Users: var users } when users.Any(u => IsFull(u, transaction.Parameters.Size ?? 1)):
                return SmtpReplies.MailboxFull;
        }

        var text = address.ToString();
        var checks = await _services.Checks.RunAsync(SmtpStage.Rcpt, Context() with { MailFrom = transaction.From.Address?.ToString() ?? "", Recipient = text }, cancellationToken);
        if (checks.Action != CheckAction.Accept)
        {
            _rcptChecks = checks;
            return PolicyReply(checks);
        }

        transaction.Checks = checks.After(transaction.Checks);
        transaction.AcceptedRecipients++;
        if (!transaction.Recipients.Any(r => string.Equals(r.Address, text, StringComparison.OrdinalIgnoreCase)))
        {
            rcpt.Parameters.TryGetValue("NOTIFY", out var notify);
            rcpt.Parameters.TryGetValue("ORCPT", out var orcpt);
            transaction.Recipients.Add(new SpoolRecipient(text, notify, orcpt));
        }

        return SmtpReplies.RecipientOk;
    }

    /// <summary>
    /// RFC 5321 §4.5.1: the bare &lt;Postmaster&gt; must be accepted. It is postmaster@ our host name if that is a
    /// local address, else postmaster@ the first local domain that has one.
    /// </summary>
    private async Task<MailAddress?> PostmasterAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<string> { _options.Hostname };
        try
        {
            candidates.AddRange((await _services.Directory.ListDomainsAsync(cancellationToken)).Select(d => d.Name));
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            _logger.LogWarning(e, "Directory unavailable for postmaster");
        }

        foreach (var domain in candidates)
        {
            if (MailAddress.TryParse("postmaster@" + domain, out var candidate, out _)
                && await _services.Directory.ResolveAsync(candidate, cancellationToken) is Resolution.Recipients)
            {
                return candidate;
            }
        }

        return MailAddress.TryParse("postmaster@" + _options.Hostname, out var fallback, out _) ? fallback : null;
    }

    /// <summary>
    /// The message cannot fit: the declared SIZE (RFC 1870), or at least one octet, exceeds what is left of the quota.
    /// The exact check, with the real size, is made at delivery; a message that then does not fit waits in the queue.
    /// </summary>
    private static bool IsFull(LocalUser user, long declaredSize) =>
        (user.QuotaBytes is { } bytes && user.UsedBytes + declaredSize > bytes) || (user.QuotaMessages is { } count && user.UsedMessages >= count);

    /// <summary>The reply to a check's reject or tempfail wish: the catalogue's code, the check's reason as its text.</summary>
    private static SmtpReply PolicyReply(StageOutcome checks)
    {
        var reply = checks.Action == CheckAction.Reject ? SmtpReplies.PolicyRejected : SmtpReplies.PolicyTemporaryFailure;
        if (checks.Action == CheckAction.Reject && checks.Code is { } code and >= 500 and < 600)
        {
            reply = reply with { Code = code };
        }

        if (checks.Action == CheckAction.Reject && checks.EnhancedCode is { } enhanced)
        {
            reply = reply with { Enhanced = enhanced };
        }

        return checks.Reason is null ? reply : reply.WithText(Printable(checks.Reason));
    }

    /// <summary>What checks see of the session so far.</summary>
    private CheckContext Context() => new()
    {
        ClientAddress = _connection.RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? _connection.RemoteEndPoint.Address.MapToIPv4() : _connection.RemoteEndPoint.Address,
        Helo = _state.CurrentGreeting?.Helo,
        AuthenticatedUser = AuthenticatedUser,
        IsTls = _connection.IsTls,
    };

    private async Task RsetAsync()
    {
        await EndTransactionAsync();
        await ReplyAsync(SmtpReplies.ResetOk);
    }

    private async Task QuitAsync()
    {
        await ReplyAsync(SmtpReplies.Bye);
        _closing = true;
    }

    private sealed record CommandRule(AllowedIn Allowed, Func<SmtpSession, SmtpCommand, CancellationToken, Task> Handler, Func<SessionState, SmtpReply>? Refused = null);
}
