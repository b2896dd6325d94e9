using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Bench.Smtp;

/// <summary>
/// The receiving end of the outbound benchmark: a lean SMTP server on loopback that answers every command at once
/// (EHLO offers PIPELINING, SIZE and 8BITMIME, no STARTTLS, no CHUNKING, so every MTA measured speaks the same
/// DATA dialogue), reads DATA up to CRLF.CRLF without keeping it, and notes the time of every message it took.
/// </summary>
internal sealed class CountingSink : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Lock _gate = new();
    private readonly List<long> _arrivals = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private int _connections;

    public CountingSink(IPAddress address, int port)
    {
        _listener = new TcpListener(address, port);
        _listener.Start(1024);
        _accepting = AcceptAsync();
    }

    public int Messages
    {
        get
        {
            lock (_gate)
            {
                return _arrivals.Count;
            }
        }
    }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Waits until <paramref name="count"/> messages arrived in all; returns the Stopwatch timestamp of the last.</summary>
    public async Task<long> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Messages < count)
        {
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"only {Messages} of {count} messages arrived within {timeout}");
            }
        }

        lock (_gate)
        {
            return _arrivals[count - 1];
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _arrivals.Clear();
        }

        while (_arrived.CurrentCount > 0)
        {
            _arrived.Wait(0);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        socket.NoDelay = true;
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        var inData = false;
        var replies = new StringBuilder();
        try
        {
            await SendAsync(socket, "220 sink.bench.test ESMTP counting sink\r\n");
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                end += read;
                while (true)
                {
                    var lf = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                    if (lf < 0)
                    {
                        break;
                    }

                    var line = Encoding.ASCII.GetString(buffer, start, lf + 1 - start);
                    start = lf + 1;
                    if (inData)
                    {
                        if (line == ".\r\n")
                        {
                            inData = false;
                            lock (_gate)
                            {
                                _arrivals.Add(Stopwatch.GetTimestamp());
                            }

                            _arrived.Release();
                            replies.Append("250 2.0.0 Ok: queued\r\n");
                        }

                        continue;
                    }

                    var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.Trim().ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            replies.Append("250-sink.bench.test\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
                            break;
                        case "HELO":
                            replies.Append("250 sink.bench.test\r\n");
                            break;
                        case "DATA":
                            inData = true;
                            replies.Append("354 End data with <CR><LF>.<CR><LF>\r\n");
                            break;
                        case "QUIT":
                            await SendAsync(socket, replies.Append("221 2.0.0 Bye\r\n").ToString());
                            return;
                        default:
                            replies.Append("250 2.0.0 Ok\r\n");
                            break;
                    }
                }

                // Replies go out when the client's pipelined group is read (RFC 2920: before waiting for input).
                if (replies.Length > 0)
                {
                    await SendAsync(socket, replies.ToString());
                    replies.Clear();
                }

                if (start == end)
                {
                    start = end = 0;
                }
                else if (end == buffer.Length)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
            }
        }
        catch (SocketException)
        {
        }
    }

    private static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
