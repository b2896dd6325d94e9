using System.Diagnostics;
using MailAppliance.Pipeline.Stages;
using MailAppliance.Smtp.Protocol;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Reports;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Server;

/// <summary>The message itself: DATA and BDAT, the checks of the DATA stage, and the submission that earns the 250.</summary>
public sealed partial class SmtpSession
{
    private async Task DataAsync(CancellationToken cancellationToken)
    {
        var open = (SessionState.InTransaction)_state;
        if (!await ReadyForContentAsync(open.Transaction, bdat: false))
        {
            return;
        }

        Submission submission;
        try
        {
            submission = await BeginSubmissionAsync(open, cancellationToken);
        }
        catch (IOException e)
        {
            // Nothing is read: the client hears no 354, and keeps its message.
            _logger.LogError(e, "Cannot open a spool file");
            var refusal = MessageQueue.IsDiskFull(e) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure;
            await EndTransactionAsync(refusal);
            ReportContentRefused(open, refusal, ReasonOf(refusal));
            await ReplyAsync(refusal);
            return;
        }

        await using (submission)
        {
            await ReplyAsync(SmtpReplies.StartMailInput);
            await FlushAsync(cancellationToken);
            var (complete, length, writeError) = await ReadDataAsync(submission.Body, _options.MaxMessageSize + 1, cancellationToken);
            if (!complete)
            {
                _closing = true;
                return;
            }

            if (writeError is not null)
            {
                // The spool could not take it (disk full, I/O error): no half file stays, the sender keeps the message.
                _logger.LogError(writeError, "Spooling failed while receiving");
                var refusal = MessageQueue.IsDiskFull(writeError) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure;
                await EndTransactionAsync(refusal, length);
                ReportContentRefused(open, refusal, ReasonOf(refusal));
                await ReplyAsync(refusal);
                return;
            }

            if (length > _options.MaxMessageSize)
            {
                await EndTransactionAsync(SmtpReplies.MessageTooBig, length);
                ReportContentRefused(open, SmtpReplies.MessageTooBig, "size");
                await ErrorAsync(SmtpReplies.MessageTooBig);
                return;
            }

            await SubmitAsync(open, submission, length, cancellationToken);
        }
    }

    private async Task BdatAsync(SmtpCommand.Bdat bdat, CancellationToken cancellationToken)
    {
        // The chunk follows the command at once: it is read (or discarded) whatever the answer (RFC 3030 §2).
        if (_state is not SessionState.InTransaction open || (open.Transaction.Chunked is null && !await ReadyForContentAsync(open.Transaction, bdat: true, refuse: false)))
        {
            var refusal = _state switch
            {
                SessionState.Connected => SmtpReplies.NeedHelo,
                SessionState.Greeted => SmtpReplies.NeedMail,
                _ => SmtpReplies.NeedRecipient,
            };
            await ReadChunkAsync(bdat.Size, null, cancellationToken);
            await ErrorAsync(refusal);
            return;
        }

        var transaction = open.Transaction;
        if (transaction.Chunked is null)
        {
            try
            {
                transaction.Chunked = await BeginSubmissionAsync(open, cancellationToken);
                transaction.ChunkedLength = 0;
            }
            catch (IOException e)
            {
                _logger.LogError(e, "Cannot open a spool file");
                await ReadChunkAsync(bdat.Size, null, cancellationToken);
                var refusal = MessageQueue.IsDiskFull(e) ? SmtpReplies.InsufficientStorage : SmtpReplies.TemporaryFailure;
                await EndTransactionAsync(refusal);
                ReportContentRefused(open, refusal, ReasonOf(refusal));
                await ReplyAsync(refusal);
                return;
            }
        }

        var tooBig = transaction.ChunkedLength + bdat.Size > _options.MaxMessageSize;
        var complete = await ReadChunkAsync(bdat.Size, tooBig ? null : transaction.Chunked.Body, cancellationToken);
        transaction.ChunkedLength += bdat.Size;
        if (!complete)
        {
            await EndTransactionAsync();
            _closing = true;
            return;
        }

        if (tooBig)
        {
            await EndTransactionAsync(SmtpReplies.MessageTooBig, transaction.ChunkedLength);
            ReportContentRefused(open, SmtpReplies.MessageTooBig, "size");
            await ErrorAsync(SmtpReplies.MessageTooBig);
            return;
        }

        if (!bdat.Last)
        {
            await ReplyAsync(new SmtpReply(250, "2.0.0", $"{bdat.Size} octets received"));
            return;
        }

        var submission = transaction.Chunked;
        transaction.Chunked = null; // the submission is ours now: ending the transaction must not dispose it under us
        await using (submission)
        {
            await SubmitAsync(open, submission, transaction.ChunkedLength, cancellationToken);
        }
    }

    /// <summary>A message refused while it was read (too big): one rejected event per recipient.</summary>
    private void ReportContentRefused(SessionState.InTransaction open, SmtpReply reply, string reason)
    {
        foreach (var recipient in open.Transaction.Recipients)
        {
            ReportRejected(ReportStage.Data, reply, reason, open.Transaction.From.Address?.ToString() ?? "", recipient.Address);
        }
    }

    private async Task<bool> ReadyForContentAsync(SmtpTransaction transaction, bool bdat, bool refuse = true)
    {
        var problem = transaction.Recipients.Count == 0 ? SmtpReplies.NeedRecipient
            : !bdat && transaction.Parameters.Body == "BINARYMIME" ? SmtpReplies.BadSequence.WithText("BINARYMIME requires BDAT") // RFC 3030 §3
            : null;
        if (problem is not null && refuse)
        {
            await ErrorAsync(problem);
        }

        return problem is null;
    }

    /// <summary>A new spool file for the transaction's message, starting with our <c>Received:</c> field.</summary>
    private async Task<Submission> BeginSubmissionAsync(SessionState.InTransaction open, CancellationToken cancellationToken)
    {
        var transaction = open.Transaction;
        var envelope = new SpoolEnvelope
        {
            QueueId = _services.Queue.NewQueueId(),
            ReceivedAt = _services.Time.GetUtcNow(),
            MailFrom = transaction.From.Address?.ToString() ?? "",
            Recipients = [.. transaction.Recipients],
            ClientAddress = _connection.RemoteEndPoint.Address.ToString(),
            Helo = open.Greeting.Helo,
            Tls = _connection.TlsInfo?.ToString(),
            AuthenticatedUser = open.Greeting.AuthenticatedUser,
            SmtpUtf8 = transaction.Parameters.SmtpUtf8,
            Body = transaction.Parameters.Body,
            Ret = transaction.Parameters.Ret?.ToUpperInvariant(),
            EnvelopeId = transaction.Parameters.EnvelopeId,
            RequireTls = transaction.Parameters.RequireTls,
        };
        var submission = await _services.Queue.BeginAsync(envelope, cancellationToken);
        try
        {
            var received = Ascii(ReceivedHeader.Format(envelope, _options.Hostname, open.Greeting.Esmtp, _connection.TlsInfo));
            await submission.Body.WriteAsync(received, cancellationToken);
            _receivedLength = received.Length;
        }
        catch
        {
            await submission.DisposeAsync();
            throw;
        }

        return submission;
    }

    /// <summary>
    /// The checks of the DATA stage read the message from the spool; then it is made durable with its verdict, and
    /// only then does the client hear 250. The transaction ends here whatever the answer.
    /// </summary>
    private async Task SubmitAsync(SessionState.InTransaction open, Submission submission, long length, CancellationToken cancellationToken)
    {
        var transaction = open.Transaction;
        _state = open.Greeting;
        await transaction.DisposeAsync();
        var started = Stopwatch.GetTimestamp();
        var queueId = submission.Envelope.QueueId;
        var checks = await _services.Checks.RunAsync(SmtpStage.Data, Context() with
        {
            MailFrom = submission.Envelope.MailFrom,
            Recipients = transaction.Recipients.Select(r => r.Address).ToList(),
            QueueId = queueId,
            OpenMessage = submission.OpenWrittenAsync,
            MessageSize = submission.Length,
        }, cancellationToken);
        var verdict = checks.After(transaction.Checks);

        SmtpReply reply;
        if (checks.Action != CheckAction.Accept)
        {
            reply = PolicyReply(checks);
        }
        else
        {
            // The fields the checks add go after our Received field (Return-Path, Delivered-To, Received,
            // Authentication-Results, X-Spam-*: INTERFACE.md's order).
            // 250 once the spool file is durable; the queue rows follow (the file is the truth: MessageQueue).
            var result = await submission.SubmitAsync(verdict.ToVerdict() with { HeadersAt = _receivedLength }, waitForRows: false, cancellationToken);
            reply = result.IsAccepted ? new SmtpReply(250, "2.0.0", $"Ok: queued as {queueId}")
                : result.DiskFull ? SmtpReplies.InsufficientStorage
                : SmtpReplies.TemporaryFailure;
        }

        await ReplyAsync(reply);
        if (reply.IsPositive)
        {
            ReportAccepted(submission.Envelope, verdict, reply.ToString());
        }
        else
        {
            foreach (var recipient in transaction.Recipients)
            {
                ReportRejected(ReportStage.Data, reply, checks.Action != CheckAction.Accept ? "policy" : ReasonOf(reply), submission.Envelope.MailFrom, recipient.Address, queueId,
                    checks.Action != CheckAction.Accept ? verdict : null);
            }
        }

        new TransactionSummary(reply.IsPositive ? "Accepted" : "Refused", submission.Envelope.MailFrom, transaction.Recipients.Select(r => r.Address).ToList(),
            transaction.RecipientResults, reply.ToString())
        {
            QueueId = queueId,
            Size = length,
            Helo = open.Greeting.Helo,
            Tls = _connection.TlsInfo?.ToString() ?? "none",
            User = open.Greeting.AuthenticatedUser,
            Score = verdict.Symbols.Count == 0 ? null : verdict.Score,
            Symbols = verdict.Symbols.Select(s => s.Name).ToList(),
            Milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds,
        }.Write(_logger);
    }
}
