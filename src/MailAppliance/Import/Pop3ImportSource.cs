using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using MailAppliance.Storage.Import;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Import;

/// <summary>
/// A live POP3 maildrop, read with a small client of our own (MailKit's Pop3Client holds each message whole in
/// memory; RETR here streams, undoing the dot-stuffing line by line, RFC 1939 §3). One folder, INBOX; each message is
/// known by its UIDL (RFC 1939 §7), which a box poll remembers. POP3 has no UIDs, flags or dates: messages get new
/// UIDs in maildrop order, no flags, and INTERNALDATE now.
/// </summary>
public sealed class Pop3ImportSource : IImportSource, IAsyncDisposable
{
    private const int MaxLine = 64 * 1024;

    private readonly RemoteAccount _account;
    private readonly TcpClient _tcp = new();
    private Stream _stream = Stream.Null;
    private readonly byte[] _line = new byte[MaxLine];
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private Pop3ImportSource(RemoteAccount account) => _account = account;

    public string Description => _account.Description;

    public static async Task<Pop3ImportSource> ConnectAsync(RemoteAccount account, CancellationToken cancellationToken)
    {
        var source = new Pop3ImportSource(account);
        try
        {
            await source.OpenAsync(cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }

        return source;
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _tcp.ConnectAsync(_account.Host, _account.Port, cancellationToken);
        _stream = _tcp.GetStream();
        if (_account.Security == RemoteSecurity.Tls)
        {
            await UpgradeAsync(cancellationToken);
        }

        await ExpectOkAsync("greeting", cancellationToken);
        if (_account.Security == RemoteSecurity.StartTls)
        {
            // RFC 2595 §4: STLS, then the TLS handshake; what the server said before it is forgotten.
            await CommandAsync("STLS", cancellationToken);
            await UpgradeAsync(cancellationToken);
        }

        await CommandAsync("USER " + _account.Login, cancellationToken);
        await CommandAsync("PASS " + _account.Password, cancellationToken, what: "PASS");
    }

    private async Task UpgradeAsync(CancellationToken cancellationToken)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _account.Host }, cancellationToken);
        _stream = tls;
        (_start, _end) = (0, 0);
    }

    public async IAsyncEnumerable<IImportFolder> FoldersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // UIDL and LIST: one short line per message, numbers and ids only.
        await CommandAsync("UIDL", cancellationToken);
        var ids = new List<(int Number, string Id)>();
        await foreach (var line in MultiLineAsync(cancellationToken))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                ids.Add((number, parts[1]));
            }
        }

        yield return new Pop3Folder(this, ids);
    }

    public Task<IReadOnlyList<MailboxName>> SubscriptionsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<MailboxName>>([]);

    /// <summary>Marks messages deleted (they go at QUIT, RFC 1939 §6); a box poll with <c>--delete</c> does this after its commit.</summary>
    public async Task DeleteAsync(IEnumerable<int> numbers, CancellationToken cancellationToken)
    {
        foreach (var number in numbers)
        {
            await CommandAsync(string.Create(CultureInfo.InvariantCulture, $"DELE {number}"), cancellationToken);
        }
    }

    private async Task RetrieveAsync(int number, Stream target, CancellationToken cancellationToken)
    {
        await CommandAsync(string.Create(CultureInfo.InvariantCulture, $"RETR {number}"), cancellationToken);
        var atLineStart = true;
        while (true)
        {
            var (length, complete) = await ReadLineAsync(cancellationToken);
            var line = _line.AsMemory(0, length);
            if (atLineStart && complete && (line.Span.SequenceEqual(".\r\n"u8) || line.Span.SequenceEqual(".\n"u8)))
            {
                return;
            }

            // RFC 1939 §3: a line starting with "." was sent with one more; it is taken off.
            var unstuffed = atLineStart && length > 0 && line.Span[0] == (byte)'.' ? line[1..] : line;
            await target.WriteAsync(unstuffed, cancellationToken);
            atLineStart = complete;
        }
    }

    private async IAsyncEnumerable<string> MultiLineAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var (length, _) = await ReadLineAsync(cancellationToken);
            var text = Encoding.Latin1.GetString(_line, 0, length).TrimEnd('\r', '\n');
            if (text == ".")
            {
                yield break;
            }

            yield return text.StartsWith('.') ? text[1..] : text;
        }
    }

    private async Task CommandAsync(string command, CancellationToken cancellationToken, string? what = null)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        await ExpectOkAsync(what ?? command, cancellationToken);
    }

    private async Task ExpectOkAsync(string what, CancellationToken cancellationToken)
    {
        var (length, _) = await ReadLineAsync(cancellationToken);
        var reply = Encoding.Latin1.GetString(_line, 0, length).TrimEnd('\r', '\n');
        if (!reply.StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new RemoteImportException($"{_account.Description}: {what}: {reply}");
        }
    }

    /// <summary>One line (or, past <see cref="MaxLine"/> bytes, a piece of one) into <c>_line</c>.</summary>
    private async Task<(int Length, bool Complete)> ReadLineAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await _stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    throw new RemoteImportException($"{_account.Description}: the server closed the connection");
                }
            }

            var available = _buffer.AsSpan(_start, _end - _start);
            var lf = available.IndexOf((byte)'\n');
            var take = Math.Min(lf >= 0 ? lf + 1 : available.Length, MaxLine - length);
            available[..take].CopyTo(_line.AsSpan(length));
            length += take;
            _start += take;
            if (lf >= 0 && take == lf + 1)
            {
                return (length, true);
            }

            if (length == MaxLine)
            {
                return (length, false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tcp.Connected)
        {
            try
            {
                // QUIT commits the DELEs (RFC 1939 §6, the UPDATE state).
                await CommandAsync("QUIT", CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or RemoteImportException or ObjectDisposedException)
            {
            }
        }

        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private sealed class Pop3Folder(Pop3ImportSource source, List<(int Number, string Id)> ids) : IImportFolder
    {
        public MailboxName Name => MailboxName.Inbox;

        public string? SpecialUse => null;

        public uint? UidValidity => null;

        public uint UidNext => 1;

        public async IAsyncEnumerable<IImportMessage> MessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var (number, id) in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new Pop3Message(source, number, id);
            }

            await Task.CompletedTask;
        }
    }

    /// <summary>A maildrop message; <see cref="Number"/> is its message number in this session.</summary>
    internal sealed class Pop3Message(Pop3ImportSource source, int number, string uidl) : IImportMessage
    {
        public int Number => number;

        public uint? Uid => null;

        public MaildirFlags Flags => MaildirFlags.None;

        public IReadOnlyList<string> Keywords => [];

        public DateTimeOffset? InternalDate => null;

        public string? RemoteId => uidl;

        public Task WriteToAsync(Stream target, CancellationToken cancellationToken) => source.RetrieveAsync(number, target, cancellationToken);
    }
}

/// <summary>A remote server refused or broke off; the message names the account and what it said.</summary>
public sealed class RemoteImportException : Exception
{
    public RemoteImportException()
    {
    }

    public RemoteImportException(string message)
        : base(message)
    {
    }

    public RemoteImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
