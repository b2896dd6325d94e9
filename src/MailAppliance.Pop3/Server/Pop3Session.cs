using System.Buffers;
using MailAppliance.Core.Net;
using MailAppliance.Pop3.Protocol;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Pop3.Server;

/// <summary>
/// One POP3 connection: reads command lines (bounded before they are parsed), parses them (sans-I/O parser), and
/// dispatches each to its handler (Pop3Session.Commands.cs) through <see cref="Routes"/>, which also says in which
/// state a command is allowed. Replies are flushed only before the session would wait for input, so pipelining
/// clients (RFC 2449 §6.6) get their replies in few writes.
/// </summary>
public sealed partial class Pop3Session
{
    private readonly ClientConnection _connection;
    private readonly Pop3ServerOptions _options;
    private readonly Pop3Services _services;
    private readonly ILogger _logger;
    private readonly BoundedLineReader _commandLines;
    private readonly BoundedLineReader _saslLines;
    private Pop3SessionState _state = new Pop3SessionState.Authorization(null);
    private int _errors;
    private bool _closing;

    public Pop3Session(ClientConnection connection, Pop3ServerOptions options, Pop3Services services, ILogger logger)
    {
        _connection = connection;
        _options = options;
        _services = services;
        _logger = logger;
        _commandLines = new BoundedLineReader(options.MaxCommandLength);
        _saslLines = new BoundedLineReader(options.MaxSaslLineLength);
    }

    /// <summary>The session's state; exposed for tests and logs.</summary>
    public Pop3SessionState State => _state;

    /// <summary>Passwords cross only inside TLS unless the operator allowed otherwise (RFC 2595 §2.1).</summary>
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
            await ReplyAsync(Pop3Replies.Greeting(_options.Hostname));
            while (!_closing && !cancellationToken.IsCancellationRequested)
            {
                var (status, line) = await ReadLineAsync(_commandLines, cancellationToken);
                if (status == CommandLineStatus.Closed)
                {
                    break;
                }

                if (status == CommandLineStatus.TimedOut)
                {
                    // RFC 1939 §3: the autologout timer closes the connection without entering UPDATE.
                    await ReplyAsync(Pop3Replies.Timeout);
                    break;
                }

                if (status == CommandLineStatus.TooLong)
                {
                    await ErrorAsync(Pop3Replies.LineTooLong);
                    continue;
                }

                if (Pop3CommandParser.Parse(line, out var command, out var error) != Pop3ParseStatus.Complete)
                {
                    await ErrorAsync(error!);
                    continue;
                }

                await DispatchAsync(command!, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await TryReplyAsync(Pop3Replies.ShuttingDown);
        }
        catch (IOException e)
        {
            _logger.LogDebug(e, "Connection lost");
        }
        finally
        {
            await TryFlushAsync();
            await ReleaseMaildropAsync();
        }
    }

    private async Task DispatchAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var route = Routes[command.Verb];
        var current = _state is Pop3SessionState.Transaction ? Pop3States.Transaction : Pop3States.Authorization;
        if ((route.States & current) == 0)
        {
            await ErrorAsync(Pop3Replies.BadState);
            return;
        }

        using var serving = _services.Store.ClientCommand();
        await route.Handler(this, command, cancellationToken);
    }

    /// <summary>A dropped or timed-out session leaves the maildrop as it was (no UPDATE state) and frees it.</summary>
    private async Task ReleaseMaildropAsync()
    {
        if (_state is Pop3SessionState.Transaction transaction)
        {
            _state = new Pop3SessionState.Authorization(null);
            await transaction.Lock.DisposeAsync();
        }
    }

    private Task<(CommandLineStatus Status, byte[] Line)> ReadLineAsync(BoundedLineReader lines, CancellationToken cancellationToken) =>
        _connection.ReadCommandLineAsync(lines, _options.IdleTimeout, cancellationToken);

    private async Task ErrorAsync(Pop3Reply reply)
    {
        if (++_errors >= _options.MaxErrors)
        {
            await ReplyAsync(Pop3Replies.TooManyErrors);
            _closing = true;
            return;
        }

        await ReplyAsync(reply);
    }

    /// <summary>Queues a reply; it goes out when the session next waits for the client (or a long response fills a buffer).</summary>
    private Task ReplyAsync(Pop3Reply reply)
    {
        _connection.Output.Write(reply.ToBytes());
        return Task.CompletedTask;
    }

    /// <summary>The lines of a multi-line response (none starts with "."), then its terminator (RFC 1939 §3).</summary>
    private void WriteLines(IEnumerable<string> lines)
    {
        var writer = _connection.Output;
        foreach (var line in lines)
        {
            writer.Write(System.Text.Encoding.UTF8.GetBytes(line + "\r\n"));
        }

        writer.Write(".\r\n"u8);
    }

    private Task TryReplyAsync(Pop3Reply reply) => _connection.TryWriteAndFlushAsync(reply.ToBytes());

    private Task TryFlushAsync() => _connection.TryWriteAndFlushAsync(ReadOnlyMemory<byte>.Empty);
}
