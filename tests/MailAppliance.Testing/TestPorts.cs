using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Testing;

/// <summary>
/// Ports for an appliance a test starts. They come from below the kernel's ephemeral range: a port the kernel hands
/// out for "any port" (bind to 0) is free only for a moment, and any outgoing connection (a PostgreSQL client, a test
/// client) may take it as its source port before the appliance binds it seconds later.
/// </summary>
public static class TestPorts
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly object Gate = new();

    /// <summary><paramref name="count"/> distinct ports, each free for a TCP listener on 127.0.0.1 right now.</summary>
    public static int[] Take(int count)
    {
        var (low, _) = EphemeralRange();
        var first = 10_000;
        var last = Math.Max(first + 1000, low - 1);
        var ports = new List<int>();
        lock (Gate)
        {
            while (ports.Count < count)
            {
                var port = Random.Shared.Next(first, last);
                if (HandedOut.Contains(port) || !IsFree(port))
                {
                    continue;
                }

                HandedOut.Add(port);
                ports.Add(port);
            }
        }

        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (32768, 60999);
        }
    }
}
