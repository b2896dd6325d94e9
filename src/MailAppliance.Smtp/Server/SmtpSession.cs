using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MailAppliance.Core.Buffers;
using MailAppliance.Core.Net;
using MailAppliance.Smtp.Protocol;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// One SMTP connection: reads command lines (bounded), parses them (sans-I/O parser), and hands each to its handler
/// (SmtpSession.Commands.cs). Replies are buffered and flushed only before the session would block for input, so a
/// PIPELINING client gets its replies in one write (RFC 2920 §3.2).
/// </summary>
public sealed partial class SmtpSession
{
    private readonly ClientConnection _connection;
    private readonly SmtpRole _role;
    private readonly SmtpServerOptions _options;
    private readonly SmtpServices _services;
    private readonly ILogger _logger;
    private BoundedLineReader _lines;
    private SessionState _state = SessionState.Connected.Instance;

    /// <summary>The length of our Received field at the start of the message being spooled (where verdict fields go).</summary>
    private int _receivedLength;
    private int _errors;
    private bool _closing;

    public SmtpSession(ClientConnection connection, SmtpRole role, SmtpServerOptions options, SmtpServices services, ILogger logger)
    {
        _connection = connection;
        _role = role;
        _options = options;
        _services = services;
        _logger = logger;
        _lines = new BoundedLineReader(options.MaxCommandLength);
    }

    private bool IsTrustedClient => _options.TrustedNetworks.Any(n => n.Contains(_connection.RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? _connection.RemoteEndPoint.Address.MapToIPv4() : _connection.RemoteEndPoint.Address));

    private string? AuthenticatedUser => _state.CurrentGreeting?.AuthenticatedUser;

    private bool MayRelay => AuthenticatedUser is not null || IsTrustedClient;

    /// <summary>AUTH is offered on every port, but only where passwords cannot cross in clear text.</summary>
    private bool AuthOffered => _connection.IsTls || _options.AllowPlaintextAuth;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["SessionId"] = _connection.SessionId,
            ["RemoteEndpoint"] = _connection.RemoteEndPoint.ToString(),
        });
        try
        {
            if (!await ConnectChecksAsync(cancellationToken))
            {
                return;
            }

            await ReplyAsync(new SmtpReply(220, null, $"{_options.Hostname} ESMTP MailAppliance"));
            while (!_closing && !cancellationToken.IsCancellationRequested)
            {
                var (status, line) = await ReadLineAsync(_options.CommandTimeout, cancellationToken);
                if (status == CommandLineStatus.Closed)
                {
                    break;
                }

                if (status == CommandLineStatus.TimedOut)
                {
                    await ReplyAsync(SmtpReplies.Timeout);
                    break;
                }

                if (status == CommandLineStatus.TooLong)
                {
                    await ErrorAsync(SmtpReplies.LineTooLong);
                    continue;
                }

                var parsed = SmtpCommandParser.Parse(line);
                if (parsed.Command is null)
                {
                    await ErrorAsync(parsed.Error!);
                    continue;
                }

                await HandleAsync(parsed.Command, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await TryReplyAsync(SmtpReplies.ServiceNotAvailable);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or TimeoutException)
        {
            _logger.LogDebug(e, "Connection lost");
        }
        finally
        {
            await EndTransactionAsync();
            await TryFlushAsync();
        }
    }

    /// <summary>The checks of the CONNECT stage: a rejection closes the connection before the greeting.</summary>
    private async Task<bool> ConnectChecksAsync(CancellationToken cancellationToken)
    {
        if (!_services.Checks.HasChecksFor(Pipeline.Stages.SmtpStage.Connect))
        {
            return true;
        }

        var outcome = await _services.Checks.RunAsync(Pipeline.Stages.SmtpStage.Connect, Context(), cancellationToken);
        if (outcome.Action == Pipeline.Stages.CheckAction.Accept)
        {
            return true;
        }

        var reply = outcome.Action == Pipeline.Stages.CheckAction.Reject ? SmtpReplies.ConnectionRejected : SmtpReplies.ConnectionTemporaryFailure;
        _logger.LogInformation("Connection refused by policy: {Reason}", outcome.Reason);
        reply = outcome.Reason is null ? reply : reply.WithText(outcome.Reason);
        ReportRejected(Storage.Reports.ReportStage.Connect, reply, "policy", checks: outcome);
        await ReplyAsync(reply);
        return false;
    }

    /// <summary>
    /// Leaves an open transaction without a message, discarding whatever it received (a BDAT message in progress),
    /// with its summary line: <c>Refused</c> with <paramref name="refusal"/> (the message could not be taken), else
    /// <c>Ended</c> (RSET, EHLO, STARTTLS, QUIT or a lost connection).
    /// </summary>
    private async Task EndTransactionAsync(SmtpReply? refusal = null, long? size = null)
    {
        if (_state is SessionState.InTransaction open)
        {
            _state = open.Greeting;
            var transaction = open.Transaction;
            new TransactionSummary(refusal is null ? "Ended" : "Refused", transaction.From.Address?.ToString() ?? "", transaction.Recipients.Select(r => r.Address).ToList(),
                transaction.RecipientResults, refusal?.ToString() ?? "ended without a message")
            {
                QueueId = transaction.Chunked?.Envelope.QueueId,
                Size = size ?? (transaction.Chunked is null ? null : transaction.ChunkedLength),
                Helo = open.Greeting.Helo,
                Tls = _connection.TlsInfo?.ToString() ?? "none",
                User = open.Greeting.AuthenticatedUser,
            }.Write(_logger);
            await transaction.DisposeAsync();
        }
    }

    /// <summary>The next command line. Flushes pending replies before waiting for more input.</summary>
    private Task<(CommandLineStatus Status, byte[] Line)> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _connection.ReadCommandLineAsync(_lines, timeout, cancellationToken);

    private async Task ErrorAsync(SmtpReply reply)
    {
        if (++_errors >= _options.MaxErrors)
        {
            await ReplyAsync(SmtpReplies.TooManyErrors);
            _closing = true;
            return;
        }

        await ReplyAsync(reply);
    }

    private async Task ReplyAsync(SmtpReply reply) => await _connection.Output.WriteAsync(reply.ToBytes());

    private async Task FlushAsync(CancellationToken cancellationToken) => await _connection.Output.FlushAsync(cancellationToken);

    private Task TryReplyAsync(SmtpReply reply) => _connection.TryWriteAndFlushAsync(reply.ToBytes());

    private Task TryFlushAsync() => _connection.TryWriteAndFlushAsync(ReadOnlyMemory<byte>.Empty);

    /// <summary>Reads exactly <paramref name="count"/> raw octets (a BDAT chunk) into <paramref name="target"/> (null: discard).</summary>
    private async Task<bool> ReadChunkAsync(long count, Stream? target, CancellationToken cancellationToken)
    {
        var input = _connection.Input;
        while (count > 0)
        {
            if (!input.TryRead(out var read))
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timer.CancelAfter(_options.DataTimeout);
                read = await input.ReadAsync(timer.Token);
            }

            var take = read.Buffer.Slice(0, Math.Min(count, read.Buffer.Length));
            if (target is not null)
            {
                foreach (var segment in take)
                {
                    await target.WriteAsync(segment, cancellationToken);
                }
            }

            count -= take.Length;
            input.AdvanceTo(take.End);
            if (count > 0 && read.IsCompleted)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the DATA stream to its end marker, unstuffed, into <paramref name="target"/> until it holds
    /// <paramref name="limit"/> octets; past that it only counts, so the client is answered after its final dot.
    /// A failure to write (disk full) is returned, not thrown: the data is still read to its end so the session
    /// can answer and go on.
    /// </summary>
    private async Task<(bool Complete, long Length, IOException? WriteError)> ReadDataAsync(Stream target, long limit, CancellationToken cancellationToken)
    {
        var input = _connection.Input;
        var decoder = new DataDecoder();
        using var output = new PooledBufferWriter(64 * 1024);
        IOException? writeError = null;
        while (!decoder.IsComplete)
        {
            if (!input.TryRead(out var read))
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timer.CancelAfter(_options.DataTimeout);
                read = await input.ReadAsync(timer.Token);
            }

            var consumed = 0L;
            foreach (var segment in read.Buffer)
            {
                var keep = writeError is null && decoder.ContentLength < limit;
                var used = decoder.Decode(segment.Span, keep ? output : null);
                consumed += used;
                if (decoder.IsComplete || used < segment.Length)
                {
                    break;
                }
            }

            if (output.WrittenCount > 0)
            {
                try
                {
                    await target.WriteAsync(output.WrittenMemory, cancellationToken);
                }
                catch (IOException e)
                {
                    writeError = e;
                }

                output.Reset();
            }

            input.AdvanceTo(read.Buffer.GetPosition(consumed));
            if (!decoder.IsComplete && read.IsCompleted)
            {
                return (false, decoder.ContentLength, writeError);
            }
        }

        return (true, decoder.ContentLength, writeError);
    }

    private static string Printable(string text) => new(text.Select(c => c < 32 || c == 127 ? '?' : c).ToArray());

    private static byte[] Ascii(string text) => Encoding.UTF8.GetBytes(text);
}
