using MailAppliance.Storage.Database;
using System.Diagnostics;
using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Net;
using MailAppliance.Core.Sasl;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Server;

public sealed partial class SmtpSession
{
    private Task HandleAsync(SmtpCommand command, CancellationToken cancellationToken) => command switch
    {
        SmtpCommand.Ehlo ehlo => EhloAsync(ehlo.Domain, esmtp: true),
        SmtpCommand.Helo helo => EhloAsync(helo.Domain, esmtp: false),
        SmtpCommand.StartTls => StartTlsAsync(cancellationToken),
        SmtpCommand.Auth auth => AuthAsync(auth, cancellationToken),
        SmtpCommand.Mail mail => MailAsync(mail),
        SmtpCommand.Rcpt rcpt => RcptAsync(rcpt, cancellationToken),
        SmtpCommand.Data => DataAsync(cancellationToken),
        SmtpCommand.Bdat bdat => BdatAsync(bdat, cancellationToken),
        SmtpCommand.Rset => RsetAsync(),
        SmtpCommand.Noop => ReplyAsync(SmtpReplies.Ok),
        SmtpCommand.Quit => QuitAsync(),
        SmtpCommand.Vrfy => ReplyAsync(SmtpReplies.CannotVerify), // RFC 5321 §3.5.3: VRFY disabled, 252
        SmtpCommand.Expn => ErrorAsync(SmtpReplies.NotImplemented),
        SmtpCommand.Help => ReplyAsync(SmtpReplies.Help),
        _ => ErrorAsync(SmtpReplies.CommandUnrecognized),
    };

    private async Task EhloAsync(string domain, bool esmtp)
    {
        _helo = Printable(domain);
        _esmtp = esmtp;
        _transaction = null; // RFC 5321 §4.1.4: EHLO resets the transaction
        if (!esmtp)
        {
            await ReplyAsync(new SmtpReply(250, null, $"{_options.Hostname}"));
            return;
        }

        var lines = new List<string>
        {
            $"{_options.Hostname} greets {_helo}",
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

        if (AuthOffered && _authenticatedUser is null)
        {
            lines.Add("AUTH " + string.Join(' ', SaslExchange.SupportedMechanisms));
        }

        lines.Add("HELP");
        await ReplyAsync(new SmtpReply(250, null, lines));
    }

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
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
        _helo = null;
        _esmtp = false;
        _transaction = null;
        _authenticatedUser = null;
    }

    private async Task AuthAsync(SmtpCommand.Auth auth, CancellationToken cancellationToken)
    {
        if (!_connection.IsTls && !_options.AllowPlaintextAuth)
        {
            await ErrorAsync(SmtpReplies.EncryptionRequiredForAuth);
            return;
        }

        if (_helo is null || !_esmtp || _authenticatedUser is not null || _transaction is not null)
        {
            await ErrorAsync(_authenticatedUser is not null ? SmtpReplies.AlreadyAuthenticated : SmtpReplies.BadSequence);
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

        _authenticatedUser = result.Address!.ToString();
        await ReplyAsync(SmtpReplies.AuthSucceeded);
    }

    private async Task MailAsync(SmtpCommand.Mail mail)
    {
        if (_helo is null)
        {
            await ErrorAsync(SmtpReplies.NeedHelo);
            return;
        }

        if (_transaction is not null)
        {
            await ErrorAsync(SmtpReplies.BadSequence.WithText("Nested MAIL command"));
            return;
        }

        if (_role != SmtpRole.Mx && _authenticatedUser is null)
        {
            await ErrorAsync(_connection.IsTls || _options.AllowPlaintextAuth ? SmtpReplies.AuthRequired : SmtpReplies.MustUseTls);
            return;
        }

        if (mail.Parameters.Size is { } declared && declared > _options.MaxMessageSize)
        {
            await ErrorAsync(SmtpReplies.MessageTooBig);
            return;
        }

        if (mail.From.Address is { RequiresSmtpUtf8: true } && !mail.Parameters.SmtpUtf8)
        {
            await ErrorAsync(SmtpReplies.SmtpUtf8Required);
            return;
        }

        _transaction = new SmtpTransaction(mail.From, mail.Parameters);
        await ReplyAsync(SmtpReplies.SenderOk);
    }

    private async Task RcptAsync(SmtpCommand.Rcpt rcpt, CancellationToken cancellationToken)
    {
        if (_transaction is null)
        {
            await ErrorAsync(SmtpReplies.NeedMail);
            return;
        }

        var reply = await DecideRecipientAsync(rcpt.To, cancellationToken);
        _transaction.RecipientResults.Add($"{rcpt.To} {reply.Code} {reply.Enhanced}");
        if (reply.IsPositive)
        {
            await ReplyAsync(reply);
        }
        else
        {
            await ErrorAsync(reply);
        }
    }

    /// <summary>The RCPT decision: relay rules first, then the directory (RFC 5321 §3.6; no catch-all, ever).</summary>
    private async Task<SmtpReply> DecideRecipientAsync(ForwardPath to, CancellationToken cancellationToken)
    {
        var transaction = _transaction!;
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

        Resolution resolution;
        try
        {
            resolution = await _services.Recipients.ResolveAsync(address, cancellationToken);
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
        transaction.AcceptedRecipients++;
        if (!transaction.Recipients.Contains(text, StringComparer.OrdinalIgnoreCase))
        {
            transaction.Recipients.Add(text);
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

    private async Task DataAsync(CancellationToken cancellationToken)
    {
        if (!await ReadyForContentAsync())
        {
            return;
        }

        await ReplyAsync(SmtpReplies.StartMailInput);
        await FlushAsync(cancellationToken);
        await ReceiveAsync(body => ReadDataAsync(body, _options.MaxMessageSize + 1, cancellationToken), cancellationToken);
    }

    private SpoolWriter? _chunked;
    private long _chunkedLength;

    private async Task BdatAsync(SmtpCommand.Bdat bdat, CancellationToken cancellationToken)
    {
        // The chunk follows the command at once: it is read (or discarded) whatever the answer (RFC 3030 §2).
        if (_chunked is null && (_transaction is null || _transaction.Recipients.Count == 0))
        {
            await ReadChunkAsync(bdat.Size, null, cancellationToken);
            await ErrorAsync(_transaction is null ? SmtpReplies.NeedMail : SmtpReplies.NeedRecipient);
            return;
        }

        if (_chunked is null)
        {
            _chunked = await BeginSpoolAsync(cancellationToken);
            _chunkedLength = 0;
        }

        var tooBig = _chunkedLength + bdat.Size > _options.MaxMessageSize;
        var complete = await ReadChunkAsync(bdat.Size, tooBig ? null : _chunked.Body, cancellationToken);
        _chunkedLength += bdat.Size;
        if (!complete)
        {
            await AbortChunkedAsync();
            _closing = true;
            return;
        }

        if (tooBig)
        {
            await AbortChunkedAsync();
            _transaction = null;
            await ErrorAsync(SmtpReplies.MessageTooBig);
            return;
        }

        if (!bdat.Last)
        {
            await ReplyAsync(new SmtpReply(250, "2.0.0", $"{bdat.Size} octets received"));
            return;
        }

        var writer = _chunked;
        _chunked = null;
        await CommitAsync(writer, _chunkedLength, cancellationToken);
    }

    private async Task AbortChunkedAsync()
    {
        if (_chunked is not null)
        {
            await _chunked.DisposeAsync();
            _chunked = null;
        }
    }

    private async Task<bool> ReadyForContentAsync()
    {
        if (_transaction is null)
        {
            await ErrorAsync(SmtpReplies.NeedMail);
            return false;
        }

        if (_transaction.Recipients.Count == 0)
        {
            await ErrorAsync(SmtpReplies.NeedRecipient);
            return false;
        }

        if (_transaction.Parameters.Body == "BINARYMIME")
        {
            // RFC 3030 §3: BINARYMIME content can only travel in BDAT chunks.
            await ErrorAsync(SmtpReplies.BadSequence.WithText("BINARYMIME requires BDAT"));
            return false;
        }

        return true;
    }

    private async Task ReceiveAsync(Func<Stream, Task<(bool Complete, long Length, IOException? WriteError)>> read, CancellationToken cancellationToken)
    {
        SpoolWriter writer;
        try
        {
            writer = await BeginSpoolAsync(cancellationToken);
        }
        catch (IOException e)
        {
            _logger.LogError(e, "Cannot open a spool file");
            await ReadDataAsync(Stream.Null, 0, cancellationToken);
            _transaction = null;
            await ReplyAsync(IsDiskFull(e) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure);
            return;
        }

        var (complete, length, writeError) = await read(writer.Body);
        if (!complete)
        {
            await writer.DisposeAsync();
            _closing = true;
            return;
        }

        if (writeError is not null)
        {
            // The spool could not take it (disk full, I/O error): no half file stays, the sender keeps the message.
            await writer.DisposeAsync();
            _transaction = null;
            _logger.LogError(writeError, "Spooling failed while receiving");
            await ReplyAsync(IsDiskFull(writeError) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure);
            return;
        }

        if (length > _options.MaxMessageSize)
        {
            await writer.DisposeAsync();
            _transaction = null;
            await ErrorAsync(SmtpReplies.MessageTooBig);
            return;
        }

        await CommitAsync(writer, length, cancellationToken);
    }

    private async Task<SpoolWriter> BeginSpoolAsync(CancellationToken cancellationToken)
    {
        var transaction = _transaction!;
        var envelope = new SpoolEnvelope
        {
            QueueId = _services.Spool.NewQueueId(),
            ReceivedAt = _services.Time.GetUtcNow(),
            MailFrom = transaction.From.Address?.ToString() ?? "",
            Recipients = [.. transaction.Recipients],
            ClientAddress = _connection.RemoteEndPoint.Address.ToString(),
            Helo = _helo,
            Tls = _connection.TlsInfo?.ToString(),
            AuthenticatedUser = _authenticatedUser,
            SmtpUtf8 = transaction.Parameters.SmtpUtf8,
            Body = transaction.Parameters.Body,
        };
        var writer = await _services.Spool.BeginAsync(envelope, cancellationToken);
        try
        {
            await writer.Body.WriteAsync(Ascii(ReceivedHeader.Format(envelope, _options.Hostname, _esmtp, _connection.TlsInfo)), cancellationToken);
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }

        return writer;
    }

    /// <summary>The spool file is made durable, and only then does the client hear 250.</summary>
    private async Task CommitAsync(SpoolWriter writer, long length, CancellationToken cancellationToken)
    {
        var transaction = _transaction!;
        _transaction = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await writer.CommitAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await writer.DisposeAsync();
            _logger.LogError(e, "Spooling failed");
            await ReplyAsync(IsDiskFull(e) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure);
            return;
        }

        var queueId = writer.Envelope.QueueId;
        try
        {
            await _services.Queue.EnqueueAsync(writer.Envelope, length, cancellationToken);
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            // The spool file is durable and is the source of truth: the worker registers it when the database is back.
            _logger.LogWarning(e, "Queue rows for {QueueId} not written yet", queueId);
            _services.Worker?.RegisterLater(queueId);
        }

        await ReplyAsync(new SmtpReply(250, "2.0.0", $"Ok: queued as {queueId}"));
        _services.Worker?.Wake();
        _logger.LogInformation(
            "Accepted {QueueId} from {MailFrom} for {Recipients} ({Size} octets) helo={Helo} tls={Tls} user={User} rcpt=[{Results}] in {Milliseconds} ms",
            queueId, writer.Envelope.MailFrom, transaction.Recipients, length, _helo, _connection.TlsInfo?.ToString() ?? "none", _authenticatedUser ?? "-",
            string.Join("; ", transaction.RecipientResults), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task RsetAsync()
    {
        _transaction = null;
        await AbortChunkedAsync();
        await ReplyAsync(SmtpReplies.ResetOk);
    }

    private async Task QuitAsync()
    {
        await ReplyAsync(SmtpReplies.Bye);
        _closing = true;
    }

    private static bool IsDiskFull(IOException e) => e.HResult == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
