using MailAppliance.Storage.Database;
using System.Buffers;
using System.Text;
using MailAppliance.Core.Net;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

/// <summary>
/// One IMAP connection (RFC 9051, RFC 3501 for IMAP4rev1 clients): reads commands with their literals (bounded
/// before anything is interpreted), parses them (sans-I/O, <see cref="ImapCommandParser"/>), and dispatches each to
/// its handler through <see cref="Routes"/>, which also says in which states a command is allowed. Handlers live in
/// the ImapSession.*.cs files, one per command family.
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>Lines and literals of one command at most (a MULTIAPPEND of 10,000 messages still fits).</summary>
    private const int MaxCommandSegments = 20_000;

    // Set when a literal could not be written to its temporary file; the command is then answered NO.
    private IOException? _literalFailure;

    private readonly ClientConnection _connection;
    private readonly ImapServerOptions _options;
    private readonly ImapServices _services;
    private readonly ILogger _logger;
    private readonly BoundedLineReader _lines;
    private ImapResponseWriter _out;
    private ImapSessionState _state = new ImapSessionState.NotAuthenticated();
    private readonly SessionModes _modes = new();
    private int _errors;
    private bool _compressed;

    public ImapSession(ClientConnection connection, ImapServerOptions options, ImapServices services, ILogger logger)
    {
        _connection = connection;
        _options = options;
        _services = services;
        _logger = logger;
        _lines = new BoundedLineReader(options.MaxLineLength);
        _out = new ImapResponseWriter(connection.Output);
    }

    public ImapSessionState State => _state;

    /// <summary>Passwords cross only inside TLS unless the operator allowed otherwise (RFC 9051 §11.1, RFC 8314).</summary>
    private bool AuthOffered => _connection.IsTls || _options.AllowPlaintextAuth;

    private TimeSpan CurrentTimeout => _state is ImapSessionState.NotAuthenticated ? _options.PreAuthTimeout : _options.IdleTimeout;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["SessionId"] = _connection.SessionId,
            ["RemoteEndpoint"] = _connection.RemoteEndPoint.ToString(),
        });
        try
        {
            _out.Raw("* OK [" + ImapCodes.Capability + " ").Raw(Capabilities()).Raw("] ").Raw(_options.Hostname).Raw(" IMAP ready").Crlf();
            while (_state is not ImapSessionState.Logout && !cancellationToken.IsCancellationRequested)
            {
                var read = await ReadCommandAsync(cancellationToken);
                if (read.Status is ReadStatus.Closed)
                {
                    break;
                }

                if (read.Status is ReadStatus.TimedOut)
                {
                    // RFC 9051 §5.4: the autologout timer.
                    _out.Raw("* BYE Autologout; idle for too long").Crlf();
                    break;
                }

                if (read.Status is ReadStatus.Fatal)
                {
                    _out.Raw("* BYE ").Raw(read.Error).Crlf();
                    break;
                }

                if (read.Status is ReadStatus.Answered)
                {
                    continue;
                }

                if (read.Command is null)
                {
                    await BadAsync(read.Tag, read.Error);
                    continue;
                }

                using (read.Command)
                {
                    await DispatchAsync(read.Command, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _out.Raw("* BYE Server shutting down").Crlf();
        }
        catch (MailboxGoneException)
        {
            _out.Raw("* BYE The selected mailbox was deleted").Crlf();
        }
        catch (IOException e)
        {
            _logger.LogDebug(e, "Connection lost");
        }
        finally
        {
            await _connection.TryWriteAndFlushAsync(ReadOnlyMemory<byte>.Empty);
            if (_state is ImapSessionState.Selected selected)
            {
                selected.Mailbox.Dispose();
            }

            _notify?.Dispose();
        }
    }

    private async Task DispatchAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (!Routes.TryGetValue(command.Name, out var route))
        {
            await BadAsync(command.Tag, $"Unknown command {command.Name}");
            return;
        }

        var current = _state switch
        {
            ImapSessionState.NotAuthenticated => ImapStates.NotAuthenticated,
            ImapSessionState.Authenticated => ImapStates.Authenticated,
            _ => ImapStates.Selected,
        };
        if ((route.States & current) == 0)
        {
            await BadAsync(command.Tag, current == ImapStates.NotAuthenticated ? "Log in first" : current == ImapStates.Authenticated && route.States == ImapStates.Selected ? "No mailbox selected" : "Command not allowed now");
            return;
        }

        // IDLE waits on the client for minutes: it is no work for the indexer to wait for.
        using var serving = command.Name == "IDLE" ? default(MailStore.ClientCommandScope?) : _services.Store.ClientCommand();
        try
        {
            await route.Handler(this, command, cancellationToken);
        }
        catch (Exception e) when (_out.LineOpen && e is not OperationCanceledException && !(e is IOException io && IsConnectionFailure(io)))
        {
            // Part of a response line (or of a literal whose length is announced) is out: any reply now would land
            // inside it and the client would read garbage. The session ends, with the reason in the log.
            _logger.LogResponseCut(e, command.Name);
            throw new ResponseCutException(e);
        }
        catch (MailstoreException e)
        {
            // The store's own reasons; its message is for the log (it names paths and ids), not for the client.
            _logger.LogMailstoreRefusal(e, command.Name, e.Error);
            await NoAsync(command.Tag, e.Error switch
            {
                MailstoreError.NoSuchMailbox => ImapReplies.NoSuchMailbox,
                MailstoreError.MailboxExists => ImapReplies.MailboxExists,
                MailstoreError.OverQuota => ImapReplies.OverQuota,
                MailstoreError.InvalidName => ImapReplies.InvalidMailboxName,
                _ => ImapReplies.ServerBug,
            });
        }
        catch (Exception e) when (StorageFailures.IsDatabase(e))
        {
            // RFC 5530 UNAVAILABLE: the database or the disk failed; the client may retry.
            _logger.LogCommandUnavailable(e, command.Name);
            await NoAsync(command.Tag, ImapReplies.Unavailable);
        }
        catch (IOException e) when (!IsConnectionFailure(e))
        {
            // The disk's, not the connection's (a file that moved under the command, a full or failing disk): it used
            // to end the session without a word and with only a debug line. The client may retry (RFC 5530).
            _logger.LogCommandUnavailable(e, command.Name);
            await NoAsync(command.Tag, ImapReplies.Unavailable);
        }
        catch (Exception e) when (e is not (OperationCanceledException or MailboxGoneException or IOException))
        {
            // A bug (an I/O failure is the connection's: it ends the session): the session goes on, the client hears a generic SERVERBUG (RFC 5530), the log has the rest.
            _logger.LogCommandFailed(e, command.Name);
            await NoAsync(command.Tag, ImapReplies.ServerBug);
        }
    }

    /// <summary>
    /// An I/O failure of the client's connection (inside a command only while it reads a literal or waits in IDLE):
    /// the socket's error, or TLS finding the stream cut. Anything else is the file system's.
    /// </summary>
    private static bool IsConnectionFailure(IOException e) =>
        e.InnerException is System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException
        || e.Source is "System.Net.Sockets" or "System.Net.Security" or "System.IO.Pipelines";

    /// <summary>A command failed half-way through a response line: the session cannot answer and ends.</summary>
    private sealed class ResponseCutException(Exception inner) : IOException("A response was cut by a failure", inner);

    private void Tagged(string tag, string status, string text) => _out.Raw(tag).Raw(" ").Raw(status).Raw(" ").Raw(text).Crlf();

    private async Task OkAsync(ImapCommand command, string text, bool allowExpunge = true)
    {
        await SyncSelectedAsync(allowExpunge, force: false, cancellationToken: CancellationToken.None);
        _errors = 0;
        Tagged(command.Tag, "OK", text);
    }

    /// <summary>A tagged OK carrying a response code (<c>OK [CODE] text</c>).</summary>
    private Task OkAsync(ImapCommand command, string code, string text, bool allowExpunge = true) => OkAsync(command, "[" + code + "] " + text, allowExpunge);

    private Task NoAsync(string tag, ImapReply reply)
    {
        _errors = 0;
        Tagged(tag, reply.StatusWord, reply.ToString());
        return Task.CompletedTask;
    }

    private async Task BadAsync(string tag, string text)
    {
        Tagged(tag, "BAD", text);
        if (++_errors >= _options.MaxErrors)
        {
            _out.Raw("* BYE Too many invalid commands").Crlf();
            _state = new ImapSessionState.Logout();
        }

        await Task.CompletedTask;
    }

    private async Task SyncSelectedAsync(bool allowExpunge, bool force, CancellationToken cancellationToken)
    {
        if (_state is ImapSessionState.Selected selected)
        {
            var report = await selected.Mailbox.SyncAsync(_services.Store, _out, allowExpunge, force, cancellationToken);
            await AfterChangesAsync(selected, report, cancellationToken);
        }

        await NotifyOtherMailboxesAsync(cancellationToken);
    }

    private string Capabilities()
    {
        var caps = new StringBuilder("IMAP4rev1 IMAP4rev2 LITERAL+ LITERAL- SASL-IR ID ENABLE IDLE");
        if (_state is ImapSessionState.NotAuthenticated)
        {
            if (!_connection.IsTls)
            {
                caps.Append(" STARTTLS");
            }

            if (AuthOffered)
            {
                caps.Append(" AUTH=PLAIN AUTH=LOGIN");
            }
            else
            {
                caps.Append(" LOGINDISABLED");
            }
        }
        else
        {
            caps.Append(" NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS")
                .Append(" CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH CONTEXT=SORT SORT SORT=DISPLAY")
                .Append(" THREAD=REFERENCES THREAD=ORDEREDSUBJECT MULTIAPPEND CATENATE NOTIFY METADATA METADATA-SERVER PREVIEW OBJECTID")
                .Append(" QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE STATUS=SIZE BINARY UTF8=ACCEPT I18NLEVEL=1")
                .Append(" APPENDLIMIT=").Append(_options.MaxAppendSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!_compressed)
        {
            // RFC 4978 §3: not announced once compression is active.
            caps.Append(" COMPRESS=DEFLATE");
        }

        return caps.ToString();
    }

    // ---- reading commands -------------------------------------------------------------------------------------

    private enum ReadStatus
    {
        Command,

        /// <summary>The command was refused while it was read (a literal too large); nothing more to say.</summary>
        Answered,
        Closed,
        TimedOut,
        Fatal,
    }

    private readonly record struct ReadResult(ReadStatus Status, ImapCommand? Command, string Tag, string Error);

    /// <summary>
    /// Reads one command: its first line, then for each literal announced at a line's end the literal (after a
    /// "+" continuation for a synchronizing one) and the next line. Limits apply before anything is kept.
    /// </summary>
    private async Task<ReadResult> ReadCommandAsync(CancellationToken cancellationToken)
    {
        var segments = new List<CommandSegment>();
        var files = new List<LiteralFile>();
        long total = 0;
        long commandText = 0;
        (string Tag, string Name)? head = null;
        try
        {
            while (true)
            {
                var (status, line) = await _connection.ReadCommandLineAsync(_lines, CurrentTimeout, cancellationToken);
                switch (status)
                {
                    case CommandLineStatus.Closed:
                        return new ReadResult(ReadStatus.Closed, null, "*", "");
                    case CommandLineStatus.TimedOut:
                        return new ReadResult(ReadStatus.TimedOut, null, "*", "");
                    case CommandLineStatus.TooLong:
                        // The rest of the line was discarded; any literal it announced follows as garbage, so the
                        // connection cannot be trusted to be in step any more.
                        return new ReadResult(ReadStatus.Fatal, null, "*", "Command line too long");
                }

                head ??= ImapCommandParser.PeekTagAndName(line);

                // The command as a whole is bounded, not only each line and each literal: lines continued by
                // zero-length literals ("x {0+}") would otherwise grow one command without end.
                commandText += line.Length;
                if (commandText > 4L * _options.MaxLineLength || segments.Count > MaxCommandSegments)
                {
                    return new ReadResult(ReadStatus.Fatal, null, head?.Tag ?? "*", "Command too long");
                }

                if (!ImapCommandParser.TryGetLiteralMarker(line, out var marker, out var textLength))
                {
                    segments.Add(new TextSegment(line));
                    break;
                }

                segments.Add(new TextSegment(line[..textLength]));
                var tag = head?.Tag ?? "*";
                var isAppend = head?.Name is "APPEND" or "REPLACE" or "UID REPLACE";
                var limit = isAppend ? _options.MaxAppendSize : _options.MaxLiteralSize;
                total += marker.Size;
                if (marker.Size > limit || total > limit + _options.MaxLiteralSize)
                {
                    if (marker.NonSynchronizing)
                    {
                        // RFC 7888 §4: the client sends the bytes anyway; we cannot stay in step without reading them.
                        return new ReadResult(ReadStatus.Fatal, null, tag, "Literal too large");
                    }

                    var refusal = isAppend ? ImapReplies.TooBig : ImapReplies.Bad("Literal too large");
                    Tagged(tag, refusal.StatusWord, refusal.ToString());
                    return new ReadResult(ReadStatus.Answered, null, tag, "");
                }

                if (marker.Minus && marker.Size > 4096)
                {
                    // RFC 7888 §5: LITERAL- allows non-synchronizing literals up to 4096 octets only.
                    return new ReadResult(ReadStatus.Fatal, null, tag, "Non-synchronizing literal larger than 4096 octets");
                }

                if (!marker.NonSynchronizing)
                {
                    _out.Raw("+ Ready for literal data").Crlf();
                    await _out.FlushAsync(cancellationToken);
                }

                var value = await ReadLiteralAsync(marker.Size, marker.Binary, files, cancellationToken);
                if (value is null)
                {
                    return new ReadResult(ReadStatus.Closed, null, "*", "");
                }

                segments.Add(new LiteralSegment(value));
            }

            if (_literalFailure is { } spoolFailure)
            {
                _literalFailure = null;
                DisposeAll(files);
                _logger.LogWarning(spoolFailure, "A literal could not be spooled");
                var full = Storage.Queue.MessageQueue.IsDiskFull(spoolFailure);
                var reply = full ? ImapReplies.DiskFull : ImapReplies.LiteralUnavailable;
                Tagged(head?.Tag ?? "*", reply.StatusWord, reply.ToString());
                return new ReadResult(ReadStatus.Answered, null, head?.Tag ?? "*", "");
            }

            if (!ImapCommandParser.TryParse(segments, files, out var command, out var parsedTag, out var error))
            {
                DisposeAll(files);
                return new ReadResult(ReadStatus.Command, null, parsedTag, error);
            }

            return new ReadResult(ReadStatus.Command, command, command!.Tag, "");
        }
        catch
        {
            DisposeAll(files);
            throw;
        }
    }

    private static void DisposeAll(List<LiteralFile> files)
    {
        foreach (var file in files)
        {
            file.Dispose();
        }
    }

    /// <summary>Reads a literal's bytes: into memory when small, into a temporary file otherwise.</summary>
    private async Task<ImapValue?> ReadLiteralAsync(long size, bool binary, List<LiteralFile> files, CancellationToken cancellationToken)
    {
        Stream sink;
        LiteralFile? file = null;
        if (size <= _options.MaxInMemoryLiteral)
        {
            sink = new MemoryStream((int)size);
        }
        else
        {
            var path = Path.Combine(_options.TempDirectory, $"append-{Guid.NewGuid():N}");
            file = new LiteralFile(path, size);
            files.Add(file);
            try
            {
                // Unbuffered: a full disk shows at the write that meets it, not later at a dispose.
                Directory.CreateDirectory(_options.TempDirectory);
                sink = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            }
            catch (IOException e)
            {
                _literalFailure = e;
                sink = Stream.Null;
            }
        }

        var target = sink;
        await using (sink)
        {
            var remaining = size;
            var input = _connection.Input;
            while (remaining > 0)
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timer.CancelAfter(_options.IdleTimeout);
                var read = await input.ReadAsync(timer.Token);
                var buffer = read.Buffer;
                var take = buffer.Slice(0, Math.Min(remaining, buffer.Length));
                foreach (var piece in take)
                {
                    try
                    {
                        await target.WriteAsync(piece, cancellationToken);
                    }
                    catch (IOException e)
                    {
                        // The disk filled while the literal was spooled: read the rest to stay in step with the
                        // client, and answer the command NO (ReadCommandAsync) instead of dropping the connection.
                        _literalFailure = e;
                        target = Stream.Null;
                    }
                }

                remaining -= take.Length;
                input.AdvanceTo(take.End);
                if (remaining > 0 && read.IsCompleted)
                {
                    return null;
                }
            }

            if (file is null)
            {
                return new ImapString(((MemoryStream)sink).ToArray(), true, binary);
            }
        }

        return new ImapFileLiteral(file, binary);
    }

    // ---- shared helpers ---------------------------------------------------------------------------------------

    /// <summary>A mailbox name argument decoded from modified UTF-7 (or UTF-8 after ENABLE UTF8=ACCEPT).</summary>
    private MailboxName? ParseMailboxName(ImapValue value, out string error)
    {
        error = "";
        var text = value.AsText();
        if (text is null)
        {
            error = "Mailbox name expected";
            return null;
        }

        text = text.TrimEnd(MailboxName.Separator);
        var result = _modes.Utf8 && text.Any(c => c >= 0x80) ? MailboxName.FromImap(text) : MailboxName.FromModifiedUtf7(text);
        if (!result.Succeeded)
        {
            error = "Invalid mailbox name: " + result.Failure!.Reason;
            return null;
        }

        return result.Value;
    }

    /// <summary>A mailbox name in its wire form.</summary>
    private string EncodeMailboxName(MailboxName name) => _modes.Utf8 ? name.Name : name.ToModifiedUtf7();

    private void WriteMailboxName(MailboxName name)
    {
        if (_modes.Utf8)
        {
            _out.String(name.Name);
        }
        else
        {
            _out.String(name.ToModifiedUtf7());
        }
    }
}
