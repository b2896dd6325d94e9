using System.Buffers;
using MailAppliance.Core.Net;
using MailAppliance.ManageSieve.Protocol;
using MailAppliance.Pipeline.Sieve;
using Microsoft.Extensions.Logging;

namespace MailAppliance.ManageSieve.Server;

/// <summary>
/// One ManageSieve connection (RFC 5804): reads bytes, parses commands with the sans-I/O parser (limits first),
/// and dispatches each to its handler (ManageSieveSession.Commands.cs) through <see cref="Routes"/>, which says
/// whether it needs authentication. Failures answer NO and the session goes on; only a broken connection ends it.
/// </summary>
public sealed partial class ManageSieveSession
{
    private readonly ClientConnection _connection;
    private readonly ManageSieveServerOptions _options;
    private readonly ManageSieveServices _services;
    private readonly ILogger _logger;
    private readonly ManageSieveParser _parser;
    private ManageSieveSessionState _state = new ManageSieveSessionState.NotAuthenticated();
    private long _discard;
    private bool _discardLine;
    private int _errors;
    private bool _closing;

    public ManageSieveSession(ClientConnection connection, ManageSieveServerOptions options, ManageSieveServices services, ILogger logger)
    {
        _connection = connection;
        _options = options;
        _services = services;
        _logger = logger;
        _parser = new ManageSieveParser(options.MaxLineLength, services.Scripts.Options.MaxScriptSize + 1024);
    }

    public ManageSieveSessionState State => _state;

    /// <summary>RFC 5804 §2.1: passwords only inside TLS unless the operator allowed otherwise.</summary>
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
            // RFC 5804 §1.7: the server greets with its capabilities.
            WriteCapabilities();
            Write(ManageSieveReplies.Ok($"{_options.Hostname} ManageSieve ready."));
            while (!_closing && !cancellationToken.IsCancellationRequested)
            {
                var (status, command, error) = await ReadCommandAsync(cancellationToken);
                if (status == ReadStatus.Closed)
                {
                    break;
                }

                if (status == ReadStatus.TimedOut)
                {
                    await ReplyAsync(ManageSieveReplies.Timeout);
                    break;
                }

                if (status == ReadStatus.Invalid)
                {
                    await ErrorAsync(ManageSieveReplies.No(error ?? "Syntax error"));
                    continue;
                }

                await DispatchAsync(command!, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _connection.TryWriteAndFlushAsync(ManageSieveReplies.ShuttingDown);
        }
        catch (IOException e)
        {
            _logger.LogDebug(e, "Connection lost");
        }
        finally
        {
            await _connection.TryWriteAndFlushAsync(ReadOnlyMemory<byte>.Empty);
        }
    }

    private enum ReadStatus
    {
        Command,
        Invalid,
        Closed,
        TimedOut,
    }

    private async Task<(ReadStatus Status, ManageSieveCommand? Command, string? Error)> ReadCommandAsync(CancellationToken cancellationToken)
    {
        var input = _connection.Input;
        while (true)
        {
            if (!input.TryRead(out var read))
            {
                await _connection.Output.FlushAsync(cancellationToken);
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timer.CancelAfter(_options.IdleTimeout);
                try
                {
                    read = await input.ReadAsync(timer.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return (ReadStatus.TimedOut, null, null);
                }
            }

            var buffer = read.Buffer;
            if (_discard == 0 && _discardLine)
            {
                // After a refused literal, the rest of its command line (normally just CRLF) goes too.
                var end = buffer.PositionOf((byte)'\n');
                if (end is null)
                {
                    input.AdvanceTo(buffer.End);
                    if (read.IsCompleted)
                    {
                        return (ReadStatus.Closed, null, null);
                    }

                    continue;
                }

                _discardLine = false;
                input.AdvanceTo(buffer.GetPosition(1, end.Value));
                continue;
            }

            if (_discard > 0)
            {
                // The rest of a literal we refused: read past it so the next command starts in step.
                var skip = Math.Min(_discard, buffer.Length);
                _discard -= skip;
                input.AdvanceTo(buffer.GetPosition(skip));
                if (read.IsCompleted && skip == buffer.Length)
                {
                    return (ReadStatus.Closed, null, null);
                }

                continue;
            }

            var reader = new SequenceReader<byte>(buffer);
            var status = _parser.TryParse(ref reader, out var command, out var error, out var discard);
            switch (status)
            {
                case ManageSieveParseStatus.Complete:
                    input.AdvanceTo(reader.Position);
                    return (ReadStatus.Command, command, null);
                case ManageSieveParseStatus.Invalid:
                    // Skip the rest of the offending line (or literal) and answer NO.
                    _discard = discard;
                    _discardLine = discard > 0;
                    if (discard == 0 && reader.TryAdvanceTo((byte)'\n'))
                    {
                        input.AdvanceTo(reader.Position);
                    }
                    else if (discard == 0)
                    {
                        // The line's end has not arrived yet: the rest of it goes when it comes, or its tail would be
                        // read as a command of its own (found in modelling this loop for the managesieve-command
                        // fuzz target, which now checks that bytes read whole and in pieces give the same commands).
                        input.AdvanceTo(buffer.End);
                        _discardLine = true;
                    }
                    else
                    {
                        input.AdvanceTo(reader.Position);
                    }

                    return (ReadStatus.Invalid, null, error);
                default:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted)
                    {
                        return (ReadStatus.Closed, null, null);
                    }

                    break;
            }
        }
    }

    private async Task DispatchAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        if (!Routes.TryGetValue(command.Name, out var route))
        {
            await ErrorAsync(ManageSieveReplies.UnknownCommand);
            return;
        }

        if (command.Arguments.Count < route.MinArgs || command.Arguments.Count > route.MaxArgs)
        {
            await ErrorAsync(ManageSieveReplies.BadArguments(command.Name));
            return;
        }

        if (route.NeedsAuth && _state is not ManageSieveSessionState.Authenticated)
        {
            await ErrorAsync(ManageSieveReplies.NotAuthenticated);
            return;
        }

        try
        {
            await route.Handler(this, command, cancellationToken);
        }
        catch (Exception e) when (Storage.Database.StorageFailures.IsDatabase(e) || e is UnauthorizedAccessException)
        {
            // Failures are values at the edge: the database is away (or a file refused), the client may try again. An
            // IOException is left to end the session: it is most likely the connection itself.
            _logger.LogWarning(e, "{Command} failed", command.Name);
            await ReplyAsync(ManageSieveReplies.TemporaryFailure);
        }
    }

    private void WriteCapabilities()
    {
        // RFC 5804 §1.7: IMPLEMENTATION, SASL, SIEVE, STARTTLS (before TLS only), VERSION; MAXREDIRECTS too.
        Write(ManageSieveReplies.Line("\"IMPLEMENTATION\" \"MailAppliance\""));
        Write(ManageSieveReplies.Line("\"SIEVE\" " + ManageSieveReplies.StringOrLiteral(SieveCapabilities.CapabilityString)));
        Write(ManageSieveReplies.Line("\"SASL\" \"" + (AuthOffered && _state is ManageSieveSessionState.NotAuthenticated ? string.Join(' ', Core.Sasl.SaslExchange.SupportedMechanisms) : string.Empty) + "\""));
        if (!_connection.IsTls)
        {
            Write(ManageSieveReplies.Line("\"STARTTLS\""));
        }

        Write(ManageSieveReplies.Line("\"MAXREDIRECTS\" \"" + _services.Compiler.Limits.MaxRedirects + "\""));
        if (_state is ManageSieveSessionState.Authenticated)
        {
            Write(ManageSieveReplies.Line("\"OWNER\" " + ManageSieveReplies.StringOrLiteral(((ManageSieveSessionState.Authenticated)_state).Address.ToString())));
        }

        Write(ManageSieveReplies.Line("\"VERSION\" \"1.0\""));
    }

    private void Write(byte[] bytes) => _connection.Output.Write(bytes);

    private async Task ReplyAsync(byte[] reply) => await _connection.Output.WriteAsync(reply);

    private async Task ErrorAsync(byte[] reply)
    {
        if (++_errors >= _options.MaxErrors)
        {
            await ReplyAsync(ManageSieveReplies.TooManyErrors);
            _closing = true;
            return;
        }

        await ReplyAsync(reply);
    }
}
