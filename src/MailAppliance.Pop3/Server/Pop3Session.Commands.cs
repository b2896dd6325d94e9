using MailAppliance.Storage.Database;
using MailAppliance.Core.Net;
using System.Buffers;
using MailAppliance.Core.Sasl;
using MailAppliance.Mime;
using MailAppliance.Pop3.Protocol;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Pop3.Server;

/// <summary>One handler per command, dispatched from <see cref="Routes"/>.</summary>
public sealed partial class Pop3Session
{
    private sealed record Route(Pop3States States, Func<Pop3Session, Pop3Command, CancellationToken, Task> Handler)
    {
        public static Route Any(Func<Pop3Session, Pop3Command, CancellationToken, Task> handler) => new(Pop3States.Any, handler);

        public static Route Authorization(Func<Pop3Session, Pop3Command, string?, CancellationToken, Task> handler) =>
            new(Pop3States.Authorization, (s, c, t) => handler(s, c, ((Pop3SessionState.Authorization)s._state).User, t));

        /// <summary>A TRANSACTION-state handler gets the maildrop; it cannot run without one.</summary>
        public static Route Transaction(Func<Pop3Session, Pop3Command, Maildrop, CancellationToken, Task> handler) =>
            new(Pop3States.Transaction, (s, c, t) => handler(s, c, ((Pop3SessionState.Transaction)s._state).Maildrop, t));
    }

    private static readonly Dictionary<Pop3Verb, Route> Routes = new()
    {
        [Pop3Verb.Capa] = Route.Any((s, c, t) => s.CapaAsync()),
        [Pop3Verb.Quit] = Route.Any((s, c, t) => s.QuitAsync(t)),
        [Pop3Verb.Stls] = Route.Authorization((s, c, u, t) => s.StlsAsync(t)),
        [Pop3Verb.User] = Route.Authorization((s, c, u, t) => s.UserAsync(c)),
        [Pop3Verb.Pass] = Route.Authorization((s, c, u, t) => s.PassAsync(c, u, t)),
        [Pop3Verb.Auth] = Route.Authorization((s, c, u, t) => s.AuthAsync(c, t)),
        [Pop3Verb.Stat] = Route.Transaction((s, c, m, t) => s.StatAsync(m)),
        [Pop3Verb.List] = Route.Transaction((s, c, m, t) => s.ListAsync(c, m)),
        [Pop3Verb.Uidl] = Route.Transaction((s, c, m, t) => s.UidlAsync(c, m)),
        [Pop3Verb.Retr] = Route.Transaction((s, c, m, t) => s.RetrAsync(c, m, t)),
        [Pop3Verb.Top] = Route.Transaction((s, c, m, t) => s.TopAsync(c, m, t)),
        [Pop3Verb.Dele] = Route.Transaction((s, c, m, t) => s.DeleAsync(c, m)),
        [Pop3Verb.Rset] = Route.Transaction((s, c, m, t) => s.RsetAsync(m)),
        [Pop3Verb.Noop] = Route.Transaction((s, c, m, t) => s.NoopAsync()),
    };

    /// <summary>RFC 2449 §5. USER and SASL are advertised only where passwords may be sent (RFC 2595 §4).</summary>
    private async Task CapaAsync()
    {
        var lines = new List<string> { "CAPA", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING" };
        if (_state is Pop3SessionState.Authorization)
        {
            if (!_connection.IsTls)
            {
                lines.Add("STLS");
            }

            if (AuthOffered)
            {
                lines.Add("USER");
                lines.Add("SASL " + string.Join(' ', SaslExchange.SupportedMechanisms));
            }
        }

        lines.Add("IMPLEMENTATION MailAppliance");
        await ReplyAsync(Pop3Replies.CapabilityList);
        WriteLines(lines);
    }

    /// <summary>RFC 1939 §6: QUIT in TRANSACTION enters UPDATE and removes the messages marked deleted.</summary>
    private async Task QuitAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        if (_state is not Pop3SessionState.Transaction transaction)
        {
            await ReplyAsync(Pop3Replies.Goodbye);
            return;
        }

        var maildrop = transaction.Maildrop;
        var uids = maildrop.DeletedUids;
        var reply = Pop3Replies.Goodbye;
        if (uids.Count > 0)
        {
            try
            {
                await _services.Store.ExpungeAsync(maildrop.User, maildrop.Mailbox, uids.ToList(), cancellationToken);
            }
            catch (Exception e) when (StorageFailures.IsTemporary(e))
            {
                _logger.LogWarning(e, "Removing {Count} deleted messages failed", uids.Count);
                reply = Pop3Replies.NotRemoved;
            }
        }

        await ReleaseMaildropAsync();
        await ReplyAsync(reply);
    }

    /// <summary>RFC 2595 §4: STLS, only before login and only once.</summary>
    private async Task StlsAsync(CancellationToken cancellationToken)
    {
        if (_connection.IsTls)
        {
            await ErrorAsync(Pop3Replies.AlreadyTls);
            return;
        }

        await ReplyAsync(Pop3Replies.BeginTls);
        await _connection.Output.FlushAsync(cancellationToken);
        // RFC 2595 §4: anything the client pipelined after STLS is dropped by the upgrade; the line readers start fresh.
        await _connection.UpgradeToTlsAsync(_services.Tls.CreateServerOptions(), cancellationToken);
        _commandLines.Reset();
        _saslLines.Reset();
        _state = new Pop3SessionState.Authorization(null);
    }

    /// <summary>RFC 1939 §7 USER.</summary>
    private async Task UserAsync(Pop3Command command)
    {
        if (!AuthOffered)
        {
            await ErrorAsync(Pop3Replies.PlaintextRefused);
            return;
        }

        _state = new Pop3SessionState.Authorization(command.Arguments[0]);
        await ReplyAsync(Pop3Replies.UserAccepted);
    }

    /// <summary>RFC 1939 §7 PASS: after a successful USER only.</summary>
    private async Task PassAsync(Pop3Command command, string? user, CancellationToken cancellationToken)
    {
        if (!AuthOffered)
        {
            await ErrorAsync(Pop3Replies.PlaintextRefused);
            return;
        }

        if (user is null)
        {
            await ErrorAsync(Pop3Replies.NeedUser);
            return;
        }

        _state = new Pop3SessionState.Authorization(null);
        await LoginAsync(new SaslCredentials(null, user, command.Arguments[0]), cancellationToken);
    }

    /// <summary>RFC 5034: AUTH mechanism [initial-response]; the bare "AUTH" lists the mechanisms (RFC 1734 practice).</summary>
    private async Task AuthAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (!AuthOffered)
        {
            await ErrorAsync(Pop3Replies.PlaintextRefused);
            return;
        }

        if (command.Arguments.Count == 0)
        {
            await ReplyAsync(Pop3Replies.Ok);
            WriteLines(SaslExchange.SupportedMechanisms);
            return;
        }

        var exchange = SaslExchange.Create(command.Arguments[0]);
        if (exchange is null)
        {
            await ErrorAsync(Pop3Replies.MechanismNotSupported);
            return;
        }

        _state = new Pop3SessionState.Authorization(null);
        var step = exchange.Start(command.Arguments.Count > 1 ? command.Arguments[1] : null);
        while (step.Kind == SaslStepKind.Challenge)
        {
            _connection.Output.Write(Pop3Replies.SaslContinuation(step.Challenge ?? ""));
            var (status, line) = await ReadLineAsync(_saslLines, cancellationToken);
            if (status != CommandLineStatus.Line)
            {
                _closing = status != CommandLineStatus.TooLong;
                await ErrorAsync(status == CommandLineStatus.TooLong ? Pop3Replies.LineTooLong : Pop3Replies.Timeout);
                return;
            }

            step = exchange.Respond(System.Text.Encoding.UTF8.GetString(line));
        }

        if (step.Kind == SaslStepKind.Failed || step.Credentials is null)
        {
            await ErrorAsync(step.Error == SaslError.Cancelled ? Pop3Replies.AuthCancelled : Pop3Replies.AuthInvalid);
            return;
        }

        await LoginAsync(step.Credentials, cancellationToken);
    }

    /// <summary>
    /// Checks the credentials (throttled), locks the maildrop (RFC 1939 §8: exclusive access; RFC 2449 [IN-USE]
    /// otherwise) and takes its snapshot, entering TRANSACTION.
    /// </summary>
    private async Task LoginAsync(SaslCredentials credentials, CancellationToken cancellationToken)
    {
        var result = await _services.Authenticator.LoginAsync(_connection.RemoteEndPoint.Address, credentials, _services.Throttle, _services.Time, cancellationToken);
        if (result.Status == AuthenticationStatus.Unavailable)
        {
            _logger.LogWarning(result.Error, "Authentication unavailable");
            await ReplyAsync(Pop3Replies.TemporaryFailure);
            return;
        }

        if (result.Status != AuthenticationStatus.Succeeded)
        {
            _logger.LogWarning("Authentication failed for {User}", credentials.AuthenticationId);
            await ErrorAsync(Pop3Replies.AuthFailed);
            return;
        }

        var user = new MailUser(result.UserId, result.Address!);
        IAsyncDisposable? held = null;
        try
        {
            var mailbox = await _services.Store.EnsureMailboxAsync(user, MailboxName.Inbox, cancellationToken);
            held = await _services.Locks.TryAcquireAsync(mailbox.Id, cancellationToken);
            if (held is null)
            {
                await ReplyAsync(Pop3Replies.MaildropInUse);
                return;
            }

            // Mail another program dropped into the maildir since the index last looked is part of the snapshot too.
            if (await _services.Store.RefreshIfBehindAsync(user, mailbox, cancellationToken))
            {
                mailbox = await _services.Store.FindMailboxAsync(user, MailboxName.Inbox, cancellationToken) ?? mailbox;
            }

            var messages = await _services.Store.ListMessagesAsync(mailbox, cancellationToken);
            var maildrop = new Maildrop(user, mailbox, messages);
            _state = new Pop3SessionState.Transaction(maildrop, held);
            held = null;
            _logger.LogInformation("POP3 login {User}: {Count} messages", user.Address, maildrop.Count);
            await ReplyAsync(Pop3Replies.LoggedIn(maildrop.Count, maildrop.Octets));
        }
        catch (Exception e) when (StorageFailures.IsTemporary(e))
        {
            _logger.LogWarning(e, "Opening the maildrop of {User} failed", user.Address);
            await ReplyAsync(Pop3Replies.TemporaryFailure);
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
        }
    }

    /// <summary>RFC 1939 §5 STAT.</summary>
    private async Task StatAsync(Maildrop maildrop) => await ReplyAsync(Pop3Replies.Stat(maildrop.Count, maildrop.Octets));

    /// <summary>RFC 1939 §5 LIST [msg]: sizes are the CRLF sizes, what RETR sends before byte-stuffing.</summary>
    private async Task ListAsync(Pop3Command command, Maildrop maildrop)
    {
        if (command.Arguments.Count == 1)
        {
            if (await FindAsync(command.Arguments[0], maildrop) is { } found)
            {
                await ReplyAsync(Pop3Replies.ScanListing(found.Number, found.Message.CrlfSize));
            }

            return;
        }

        await ReplyAsync(Pop3Replies.ListFollows(maildrop.Count, maildrop.Octets));
        maildrop.WriteListing(_connection.Output, uniqueIds: false);
    }

    /// <summary>RFC 1939 §7 UIDL [msg].</summary>
    private async Task UidlAsync(Pop3Command command, Maildrop maildrop)
    {
        if (command.Arguments.Count == 1)
        {
            if (await FindAsync(command.Arguments[0], maildrop) is { } found)
            {
                await ReplyAsync(Pop3Replies.UniqueIdListing(found.Number, maildrop.UniqueIdOf(found.Message)));
            }

            return;
        }

        await ReplyAsync(Pop3Replies.UidlFollows);
        maildrop.WriteListing(_connection.Output, uniqueIds: true);
    }

    // Bytes of a message sent between flushes: large enough for whole socket writes, small enough to stream.
    private const int FlushThreshold = 64 * 1024;

    /// <summary>RFC 1939 §5 RETR msg.</summary>
    private async Task RetrAsync(Pop3Command command, Maildrop maildrop, CancellationToken cancellationToken)
    {
        if (await FindAsync(command.Arguments[0], maildrop) is { } found)
        {
            await SendMessageAsync(maildrop, found.Message, null, Pop3Replies.MessageFollows(found.Message.CrlfSize), cancellationToken);
        }
    }

    /// <summary>RFC 1939 §7 TOP msg n.</summary>
    private async Task TopAsync(Pop3Command command, Maildrop maildrop, CancellationToken cancellationToken)
    {
        if (Pop3CommandParser.LineCount(command.Arguments[1]) is not { } lines)
        {
            await ErrorAsync(Pop3Replies.SyntaxError);
            return;
        }

        if (await FindAsync(command.Arguments[0], maildrop) is { } found)
        {
            await SendMessageAsync(maildrop, found.Message, lines, Pop3Replies.TopFollows, cancellationToken);
        }
    }

    /// <summary>RFC 1939 §5 DELE msg: only marks; UPDATE removes.</summary>
    private async Task DeleAsync(Pop3Command command, Maildrop maildrop)
    {
        if (await FindAsync(command.Arguments[0], maildrop) is { } found)
        {
            maildrop.MarkDeleted(found.Number);
            await ReplyAsync(Pop3Replies.Deleted(found.Number));
        }
    }

    /// <summary>RFC 1939 §5 RSET.</summary>
    private async Task RsetAsync(Maildrop maildrop)
    {
        maildrop.Reset();
        await ReplyAsync(Pop3Replies.Reset(maildrop.Count, maildrop.Octets));
    }

    /// <summary>RFC 1939 §5 NOOP.</summary>
    private async Task NoopAsync() => await ReplyAsync(Pop3Replies.Ok);

    /// <summary>The message a "msg" argument names, or null after answering the error.</summary>
    private async Task<(int Number, MessageInfo Message)?> FindAsync(string argument, Maildrop maildrop)
    {
        if (Pop3CommandParser.MessageNumber(argument) is not { } number || !maildrop.Exists(number))
        {
            await ErrorAsync(Pop3Replies.NoSuchMessage);
            return null;
        }

        if (maildrop.Find(number) is not { } message)
        {
            // RFC 1939 §5: a message marked deleted may not be referred to.
            await ErrorAsync(Pop3Replies.AlreadyDeleted);
            return null;
        }

        return (number, message);
    }

    /// <summary>
    /// Streams a message file, CRLF-normalised and byte-stuffed, chunk by chunk. A message expunged by IMAP during
    /// the session is answered with -ERR before anything is sent.
    /// </summary>
    private async Task SendMessageAsync(Maildrop maildrop, MessageInfo message, long? topLines, Pop3Reply header, CancellationToken cancellationToken)
    {
        Stream? file;
        try
        {
            file = _services.Store.OpenMessage(maildrop.Mailbox, message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Opening message {Uid} failed", message.Uid);
            file = null;
        }

        if (file is null)
        {
            await ErrorAsync(Pop3Replies.MessageGone);
            return;
        }

        await using var content = new CrlfNormalizingStream(file);
        await ReplyAsync(header);
        var encoder = new MessageEncoder(topLines);
        var output = _connection.Output;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var unflushed = 0L;
        // A client that stops reading must not hold the session (and the maildrop lock) forever.
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (!encoder.IsFinished)
            {
                int read;
                try
                {
                    read = await content.ReadAsync(buffer, cancellationToken);
                }
                catch (IOException e)
                {
                    // The +OK is out, so no -ERR can follow: the only honest end is to drop the connection.
                    _logger.LogWarning(e, "Reading message {Uid} failed while sending it", message.Uid);
                    _closing = true;
                    _connection.Abort();
                    return;
                }

                if (read == 0)
                {
                    break;
                }

                encoder.Encode(buffer.AsSpan(0, read), output);
                unflushed += read;
                if (unflushed < FlushThreshold)
                {
                    // A small message goes out with its terminator in one write, when the session next waits.
                    continue;
                }

                unflushed = 0;
                stalled.CancelAfter(_options.IdleTimeout);
                try
                {
                    await output.FlushAsync(stalled.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    _logger.LogInformation("Client stopped reading message {Uid}; closing", message.Uid);
                    _closing = true;
                    _connection.Abort();
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        encoder.Complete(output);
    }
}
