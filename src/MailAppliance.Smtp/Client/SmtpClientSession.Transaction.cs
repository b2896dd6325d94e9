using System.Buffers;
using System.Globalization;
using System.Text;
using MailAppliance.Smtp.Protocol;

namespace MailAppliance.Smtp.Client;

/// <summary>The result of one transaction on a session.</summary>
/// <param name="Recipients">One outcome per recipient of the envelope, in its order.</param>
/// <param name="DataReply">The reply to the end of the data, when the data was sent.</param>
/// <param name="Failure">Set when the session broke (or the server closed it) during the transaction.</param>
/// <param name="BeforeFirstReply">The session broke before the server answered anything of this transaction:
/// nothing was accepted, and on a reused connection the whole transaction may be tried on a fresh one.</param>
public sealed record TransactionResult(IReadOnlyList<RecipientOutcome> Recipients, ServerReply? DataReply, ConnectionFailure? Failure, bool BeforeFirstReply);

public sealed partial class SmtpClientSession
{
    private const string EndOfDataPhase = "while sending end of data -- message may be sent more than once";
    private string _phase = "";

    /// <summary>
    /// Sends one message: MAIL, RCPT for each recipient and the data, pipelined when the server offers PIPELINING
    /// (RFC 2920), with BDAT when it offers CHUNKING (RFC 3030) and otherwise DATA with dot-stuffing. The body
    /// stream is read once, in chunks, and goes out unchanged. Never throws for what the server or the network
    /// does: every recipient gets an outcome.
    /// </summary>
    /// <param name="openBody">Opens the message bytes as spooled (CRLF line ends); called at most once, and only
    /// when at least one recipient was accepted.</param>
    public async Task<TransactionResult> SendAsync(OutboundEnvelope envelope, Func<Stream> openBody, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(openBody);
        if (!IsUsable)
        {
            throw new InvalidOperationException("the session is closed");
        }

        LastUsed = _time.GetUtcNow();
        var refusal = CheckMessage(envelope);
        if (refusal is { } r)
        {
            return new TransactionResult([.. envelope.Recipients.Select(x => Local(x, RecipientStatus.Bounced, r.Code, r.Text))], null, null, false);
        }

        var dsn = Capabilities.Dsn;
        var outcomes = new RecipientOutcome?[envelope.Recipients.Count];
        _phase = "while sending MAIL FROM";
        var replies = 0;
        ServerReply? dataReply = null;
        try
        {
            var chunking = Capabilities.Chunking;
            var mail = MailCommand(envelope);
            var rcpts = envelope.Recipients.Select(RcptCommand).ToList();
            var timeouts = _options.Timeouts;
            ServerReply mailReply;
            var rcptReplies = new List<ServerReply>(rcpts.Count);
            if (Capabilities.Pipelining)
            {
                // RFC 2920 §3.1: RSET, MAIL, RCPT and DATA may all go in one write; DATA is last in the group.
                var batch = new StringBuilder();
                if (_needsReset)
                {
                    batch.Append("RSET\r\n");
                }

                batch.Append(mail).Append("\r\n");
                foreach (var rcpt in rcpts)
                {
                    batch.Append(rcpt).Append("\r\n");
                }

                if (!chunking)
                {
                    batch.Append("DATA\r\n");
                }

                await _connection.WriteAsync(Encoding.UTF8.GetBytes(batch.ToString()), timeouts.Mail, _phase, cancellationToken);
                if (_needsReset)
                {
                    _phase = "while sending RSET";
                    var rset = await _connection.ReadReplyAsync(timeouts.Rset, _phase, cancellationToken);
                    replies++;
                    if (rset.Code == 421)
                    {
                        IsUsable = false;
                        return AllDeferredBy(envelope, rset, dsn);
                    }

                    _needsReset = false;
                }

                _phase = "while sending MAIL FROM";
                mailReply = await _connection.ReadReplyAsync(timeouts.Mail, _phase, cancellationToken);
                replies++;
                _needsReset = true;
                _phase = "while sending RCPT TO";
                foreach (var _ in rcpts)
                {
                    if (mailReply.Code == 421 || rcptReplies.LastOrDefault()?.Code == 421)
                    {
                        break; // RFC 5321 §3.8: the server is closing; no more replies will come
                    }

                    rcptReplies.Add(await _connection.ReadReplyAsync(timeouts.Rcpt, _phase, cancellationToken));
                }

                if (!chunking && mailReply.Code != 421 && rcptReplies.LastOrDefault()?.Code != 421)
                {
                    _phase = "while sending DATA";
                    dataReply = await _connection.ReadReplyAsync(timeouts.DataInitiation, _phase, cancellationToken);
                }
            }
            else
            {
                if (_needsReset)
                {
                    _phase = "while sending RSET";
                    var rset = await CommandAsync("RSET", timeouts.Rset, _phase, cancellationToken);
                    replies++;
                    if (!IsUsable)
                    {
                        return AllDeferredBy(envelope, rset, dsn);
                    }

                    _needsReset = false;
                }

                _phase = "while sending MAIL FROM";
                mailReply = await CommandAsync(mail, timeouts.Mail, _phase, cancellationToken);
                replies++;
                _needsReset = true;
                if (mailReply.Code == 250)
                {
                    _phase = "while sending RCPT TO";
                    foreach (var rcpt in rcpts)
                    {
                        rcptReplies.Add(await CommandAsync(rcpt, timeouts.Rcpt, _phase, cancellationToken));
                        if (!IsUsable)
                        {
                            break; // 421: the server is going away
                        }
                    }

                    if (!chunking && IsUsable && rcptReplies.Any(x => x.Code is 250 or 251))
                    {
                        _phase = "while sending DATA";
                        dataReply = await CommandAsync("DATA", timeouts.DataInitiation, _phase, cancellationToken);
                    }
                }
            }

            if (mailReply.Code == 421 || rcptReplies.Any(x => x.Code == 421) || dataReply?.Code == 421)
            {
                IsUsable = false;
            }

            if (mailReply.Code != 250)
            {
                // RFC 5321 §4.1.1.2: without a sender there is no transaction; the RCPT replies (503s) say nothing.
                if (dataReply?.Code == 354)
                {
                    await AbortDataAsync(cancellationToken);
                }

                return new TransactionResult([.. envelope.Recipients.Select(x => FromReply(x, mailReply, dsn))], null, IsUsable ? null : Closing(mailReply), false);
            }

            var accepted = new List<int>();
            for (var i = 0; i < envelope.Recipients.Count; i++)
            {
                if (i >= rcptReplies.Count)
                {
                    outcomes[i] = Local(envelope.Recipients[i], RecipientStatus.Deferred, SmtpClientFailures.LostConnectionCode, $"host {Remote} closed the session before RCPT TO");
                }
                else if (rcptReplies[i].Code is 250 or 251)
                {
                    accepted.Add(i);
                }
                else
                {
                    outcomes[i] = FromReply(envelope.Recipients[i], rcptReplies[i], dsn);
                }
            }

            if (accepted.Count == 0 || !IsUsable)
            {
                if (dataReply?.Code == 354 && IsUsable)
                {
                    await AbortDataAsync(cancellationToken);
                }

                foreach (var i in accepted)
                {
                    outcomes[i] = Local(envelope.Recipients[i], RecipientStatus.Deferred, SmtpClientFailures.LostConnectionCode, $"host {Remote} closed the session before the data");
                }

                return new TransactionResult(outcomes!, null, IsUsable ? null : Closing(rcptReplies.LastOrDefault() ?? mailReply), false);
            }

            if (!chunking && dataReply!.Code != 354)
            {
                foreach (var i in accepted)
                {
                    outcomes[i] = FromReply(envelope.Recipients[i], dataReply, dsn, positiveMeans: RecipientStatus.Deferred);
                }

                return new TransactionResult(outcomes!, dataReply, IsUsable ? null : Closing(dataReply), false);
            }

            _phase = "while sending message body";
            await using (var body = OpenBody(openBody))
            {
                dataReply = chunking
                    ? await SendChunksAsync(body, cancellationToken)
                    : await SendDataAsync(body, cancellationToken);
            }

            foreach (var i in accepted)
            {
                outcomes[i] = FromReply(envelope.Recipients[i], dataReply, dsn);
            }

            if (dataReply.Code == 250)
            {
                _needsReset = false;
                MessagesSent++;
            }
            else if (dataReply.Code == 421)
            {
                IsUsable = false;
            }

            LastUsed = _time.GetUtcNow();
            return new TransactionResult(outcomes!, dataReply, IsUsable ? null : Closing(dataReply), false);
        }
        catch (MessageReadException e)
        {
            // The spooled message could not be read: the half-sent data must not be ended, so the connection goes
            // (the server discards an unfinished transaction, RFC 5321 §3.3) and the recipients wait for a retry.
            IsUsable = false;
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] ??= Local(envelope.Recipients[i], RecipientStatus.Deferred, new EnhancedStatusCode(4, 3, 0), $"cannot read the queued message: {e.InnerException?.Message ?? e.Message}");
            }

            await _connection.DisposeAsync();
            return new TransactionResult(outcomes!, null, null, false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // RFC 5321 §6.1: after the final dot was sent and before its reply, the server may have taken the
            // message: the recipients are deferred, and a retry may deliver twice (Postfix says the same).
            var failure = Broken(e, _phase);
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] ??= Local(envelope.Recipients[i], RecipientStatus.Deferred, failure.StatusCode, failure.Diagnostic);
            }

            return new TransactionResult(outcomes!, null, failure, replies == 0);
        }
    }

    private static MessageStream OpenBody(Func<Stream> openBody)
    {
        try
        {
            return new MessageStream(openBody());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MessageReadException(e);
        }
    }

    /// <summary>RFC 5321 §4.1.1.4 DATA: the body with dots stuffed, in chunks, then the end mark.</summary>
    private async Task<ServerReply> SendDataAsync(Stream body, CancellationToken cancellationToken)
    {
        var stuffer = new DotStuffer();
        var input = ArrayPool<byte>.Shared.Rent(_options.ChunkSize);
        var output = ArrayPool<byte>.Shared.Rent(DotStuffer.MaxOutputLength(_options.ChunkSize) + 5);
        try
        {
            int read;
            while ((read = await body.ReadAsync(input.AsMemory(0, _options.ChunkSize), cancellationToken)) > 0)
            {
                var stuffed = stuffer.Stuff(input.AsSpan(0, read), output);
                await _connection.WriteAsync(output.AsMemory(0, stuffed), _options.Timeouts.DataBlock, _phase, cancellationToken);
            }

            var end = stuffer.Finish(output);
            await _connection.WriteAsync(output.AsMemory(0, end), _options.Timeouts.DataBlock, _phase, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }

        _phase = EndOfDataPhase;
        return await _connection.ReadReplyAsync(_options.Timeouts.DataTermination, _phase, cancellationToken);
    }

    /// <summary>
    /// RFC 3030 BDAT: the body in chunks of <see cref="SmtpClientOptions.ChunkSize"/>, the last marked LAST (one chunk
    /// read ahead to know which is last). With PIPELINING the chunks go out without waiting (RFC 3030 §4.2) and the
    /// replies are read at the end; otherwise each reply is awaited and a refusal stops the sending.
    /// </summary>
    private async Task<ServerReply> SendChunksAsync(Stream body, CancellationToken cancellationToken)
    {
        var size = _options.ChunkSize;
        var current = ArrayPool<byte>.Shared.Rent(size);
        var next = ArrayPool<byte>.Shared.Rent(size);
        var timeouts = _options.Timeouts;
        try
        {
            var outstanding = 0;
            var currentLength = await FillAsync(body, current, size, cancellationToken);
            while (true)
            {
                var nextLength = currentLength == size ? await FillAsync(body, next, size, cancellationToken) : 0;
                var last = nextLength == 0;
                var header = string.Create(CultureInfo.InvariantCulture, $"BDAT {currentLength}{(last ? " LAST" : "")}\r\n");
                await _connection.WriteAsync(Encoding.ASCII.GetBytes(header), timeouts.DataBlock, _phase, cancellationToken);
                if (currentLength > 0)
                {
                    await _connection.WriteAsync(current.AsMemory(0, currentLength), timeouts.DataBlock, _phase, cancellationToken);
                }

                outstanding++;
                if (last)
                {
                    _phase = EndOfDataPhase;
                    ServerReply? firstRefusal = null;
                    ServerReply reply;
                    do
                    {
                        reply = await _connection.ReadReplyAsync(outstanding == 1 ? timeouts.DataTermination : timeouts.DataBlock, _phase, cancellationToken);
                        firstRefusal ??= reply.Code == 250 ? null : reply;
                    }
                    while (--outstanding > 0);
                    return firstRefusal ?? reply;
                }

                if (!Capabilities.Pipelining)
                {
                    var reply = await _connection.ReadReplyAsync(timeouts.DataBlock, _phase, cancellationToken);
                    outstanding--;
                    if (reply.Code != 250)
                    {
                        return reply; // the transaction failed; RSET comes before the next MAIL
                    }
                }

                (current, next) = (next, current);
                currentLength = nextLength;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    private static async Task<int> FillAsync(Stream body, byte[] buffer, int size, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < size && (read = await body.ReadAsync(buffer.AsMemory(filled, size - filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        return filled;
    }

    /// <summary>RFC 2920 §3.1: DATA was accepted though no recipient was: end it empty; the server refuses it.</summary>
    private async Task AbortDataAsync(CancellationToken cancellationToken)
    {
        await _connection.WriteAsync(".\r\n"u8.ToArray(), _options.Timeouts.DataBlock, "while ending DATA", cancellationToken);
        await _connection.ReadReplyAsync(_options.Timeouts.DataTermination, "while ending DATA", cancellationToken);
    }

    /// <summary>RFC 1870 §6, RFC 6152 §3, RFC 6531 §3.4, RFC 8689 §4.2.1: what this server cannot take, known before MAIL.</summary>
    private (EnhancedStatusCode Code, string Text)? CheckMessage(OutboundEnvelope envelope)
    {
        var caps = Capabilities;
        if (caps.MaxSize is { } max && envelope.Size > max)
        {
            return (SmtpClientFailures.TooBigCode, $"message size {envelope.Size} exceeds size limit {max} of server {Remote}");
        }

        if (envelope.Body == BodyType.EightBitMime && !caps.EightBitMime)
        {
            return (SmtpClientFailures.EightBitCode, $"message has 8-bit content, but server {Remote} does not offer 8BITMIME");
        }

        if (envelope.Body == BodyType.BinaryMime && !(caps.BinaryMime && caps.Chunking))
        {
            return (SmtpClientFailures.EightBitCode, $"message has binary content, but server {Remote} does not offer BINARYMIME and CHUNKING");
        }

        if (envelope.NeedsSmtpUtf8 && !caps.SmtpUtf8)
        {
            return (SmtpClientFailures.SmtpUtf8Code, $"SMTPUTF8 is required, but was not offered by host {Remote}");
        }

        if (envelope.RequireTls && RequireTlsRefusal(caps) is { } requireTls)
        {
            return (SmtpClientFailures.RequireTlsCode, requireTls);
        }

        return null;
    }

    /// <summary>
    /// RFC 8689 §4.2.1: a REQUIRETLS message goes only to a host whose name is vouched for (DNSSEC with DANE, an
    /// MTA-STS policy, or configured: a smarthost with <c>Tls: verify</c>, all of which give a mandatory verifying
    /// policy), over TLS whose certificate passed that policy, to a server that offers REQUIRETLS. Null: it may go.
    /// </summary>
    private string? RequireTlsRefusal(EhloCapabilities caps)
    {
        var authenticated = Host.Tls is TlsPolicy.VerifyTls || (Host.Tls is TlsPolicy.DaneTls dane && dane.Usable.Count > 0);
        if (!authenticated)
        {
            return $"REQUIRETLS support required, but host {Remote} is not authenticated by DANE, MTA-STS or configuration (TLS policy {Host.Tls.Describe()})";
        }

        if (!Tls.Verified)
        {
            return $"REQUIRETLS support required, but the TLS session with host {Remote} is not verified ({Tls.Detail})";
        }

        return caps.RequireTls ? null : $"REQUIRETLS support required, but host {Remote} does not offer REQUIRETLS";
    }

    private string MailCommand(OutboundEnvelope envelope)
    {
        var caps = Capabilities;
        var sb = new StringBuilder("MAIL FROM:<").Append(envelope.Sender?.ToString() ?? "").Append('>');
        if (caps.Size)
        {
            sb.Append(" SIZE=").Append(envelope.Size.ToString(CultureInfo.InvariantCulture)); // RFC 1870 §6
        }

        if (envelope.Body == BodyType.EightBitMime && caps.EightBitMime)
        {
            sb.Append(" BODY=8BITMIME"); // RFC 6152 §2
        }
        else if (envelope.Body == BodyType.BinaryMime)
        {
            sb.Append(" BODY=BINARYMIME"); // RFC 3030 §3
        }

        if (envelope.NeedsSmtpUtf8)
        {
            sb.Append(" SMTPUTF8"); // RFC 6531 §3.4
        }

        if (caps.Dsn)
        {
            // RFC 3461 §4.3 and §4.4
            if (envelope.Return != DsnReturn.Unspecified)
            {
                sb.Append(envelope.Return == DsnReturn.Full ? " RET=FULL" : " RET=HDRS");
            }

            if (!string.IsNullOrEmpty(envelope.EnvelopeId))
            {
                sb.Append(" ENVID=").Append(Xtext.Encode(envelope.EnvelopeId));
            }
        }

        if (envelope.RequireTls)
        {
            sb.Append(" REQUIRETLS"); // RFC 8689 §4.1
        }

        return sb.ToString();
    }

    private string RcptCommand(OutboundRecipient recipient)
    {
        var sb = new StringBuilder("RCPT TO:<").Append(recipient.Address).Append('>');
        if (Capabilities.Dsn)
        {
            // RFC 3461 §4.1 NOTIFY, §4.2 ORCPT
            if (recipient.Notify is { } notify)
            {
                sb.Append(" NOTIFY=").Append(notify == DsnNotify.Never ? "NEVER" : string.Join(',', new[]
                {
                    notify.HasFlag(DsnNotify.Success) ? "SUCCESS" : null,
                    notify.HasFlag(DsnNotify.Failure) ? "FAILURE" : null,
                    notify.HasFlag(DsnNotify.Delay) ? "DELAY" : null,
                }.OfType<string>()));
            }

            if (recipient.OriginalRecipient is { } original)
            {
                sb.Append(" ORCPT=").Append(original.ToParameter());
            }
        }

        return sb.ToString();
    }

    private RecipientOutcome FromReply(OutboundRecipient recipient, ServerReply reply, bool dsn, RecipientStatus positiveMeans = RecipientStatus.Delivered)
    {
        var status = reply.Code is >= 200 and < 300 ? positiveMeans : reply.IsPermanent ? RecipientStatus.Bounced : RecipientStatus.Deferred;
        var code = reply.Enhanced ?? new EnhancedStatusCode(status switch
        {
            RecipientStatus.Delivered => 2,
            RecipientStatus.Bounced => 5,
            _ => 4,
        }, 0, 0);
        return new RecipientOutcome(recipient, status, code, reply, $"host {Remote} said: {reply.ToSingleLine()}", Remote, dsn);
    }

    private RecipientOutcome Local(OutboundRecipient recipient, RecipientStatus status, EnhancedStatusCode code, string text) =>
        new(recipient, status, code, null, text, Remote, Capabilities.Dsn);

    private TransactionResult AllDeferredBy(OutboundEnvelope envelope, ServerReply reply, bool dsn) =>
        new([.. envelope.Recipients.Select(x => FromReply(x, reply, dsn, RecipientStatus.Deferred))], null, Closing(reply), false);

    private ConnectionFailure Closing(ServerReply reply) =>
        new(ConnectionFailureKind.Refusal, reply.Enhanced ?? new EnhancedStatusCode(4, 0, 0), $"host {Remote} closed the session", reply);
}
