using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MailAppliance.Testing.Dns;

/// <summary>The serving half: sockets, and answering a question from the zone data like a recursive resolver.</summary>
public sealed partial class LoopbackDnsServer
{
    // ---- serving ---------------------------------------------------------------------------------------------

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // an ICMP port unreachable from an earlier answer to a client that went away
            }

            var message = buffer[..received.ReceivedBytes];
            var client = received.RemoteEndPoint;
            _ = Task.Run(async () =>
            {
                var answer = await AnswerAsync(message, DnsTransport.Udp);
                if (answer is not null)
                {
                    try
                    {
                        await _udp.SendToAsync(answer, SocketFlags.None, client, _stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                    {
                    }
                }
            });
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeTcpAsync(client));
        }
    }

    // RFC 1035 §4.2.2 / RFC 7766 §8: each message is preceded by its two-octet length; a connection may carry several.
    private async Task ServeTcpAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var prefix = new byte[2];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await stream.ReadExactlyAsync(prefix, _stop.Token);
                    var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    await stream.ReadExactlyAsync(message, _stop.Token);
                    var answer = await AnswerAsync(message, DnsTransport.Tcp);
                    if (answer is not null)
                    {
                        var framed = new byte[answer.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                        answer.CopyTo(framed, 2);
                        await stream.WriteAsync(framed, _stop.Token);
                    }
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }
    }

    private async Task<byte[]?> AnswerAsync(byte[] message, DnsTransport transport)
    {
        try
        {
            return await AnswerOrThrowAsync(message, transport);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception e)
        {
            _errors.Enqueue(e.ToString());
            return null;
        }
    }

    private async Task<byte[]?> AnswerOrThrowAsync(byte[] message, DnsTransport transport)
    {
        if (!DnsQuery.TryParse(message, out var query))
        {
            return null;
        }

        var entry = new DnsQueryLogEntry(query.Name, query.Type, transport, query.DnssecOk);
        Log(entry);

        List<Rule> rules;
        lock (_gate)
        {
            rules = _rules.Where(r => (r.Subdomains ? Covers(r.Name, query.Name) : r.Name == Key(query.Name)) && (r.Type is null || r.Type == query.Type)).ToList();
        }

        if (rules.Any(r => r.Kind == RuleKind.Hang))
        {
            return null;
        }

        foreach (var delay in rules.Where(r => r.Kind == RuleKind.Delay))
        {
            await Task.Delay(delay.Delay, _stop.Token);
        }

        var forced = rules.LastOrDefault(r => r.Kind == RuleKind.Rcode);
        var (rcode, answers, authority) = forced is not null ? (forced.Rcode, new List<ZoneRecord>(), new List<ZoneRecord>()) : Resolve(query.Name, query.Type);
        bool authenticated;
        lock (_gate)
        {
            authenticated = _authenticated.Any(zone => Covers(zone, query.Name));
        }

        var truncate = transport == DnsTransport.Udp && rules.Any(r => r.Kind == RuleKind.Truncate);
        var response = Write(query, rcode, answers, authority, authenticated, truncated: false);
        var limit = query.HasEdns ? query.UdpSize : 512;
        if (transport == DnsTransport.Udp && (truncate || response.Length > limit))
        {
            response = Write(query, rcode, [], [], authenticated, truncated: true);
        }

        return response;
    }

    private static byte[] Write(DnsQuery query, DnsRcode rcode, List<ZoneRecord> answers, List<ZoneRecord> authority, bool authenticated, bool truncated)
    {
        // QR, the query's opcode, AA (we speak for the zones we hold), RD copied, RA, AD as configured, CD copied.
        var flags = (ushort)(0x8000 | (query.Flags & 0x7800) | 0x0400 | (query.Flags & 0x0100) | 0x0080 | (query.Flags & 0x0010) | (int)rcode);
        if (authenticated)
        {
            flags |= 0x0020;
        }

        if (truncated)
        {
            flags |= 0x0200;
        }

        var writer = new DnsMessageWriter();
        writer.Header(query.Id, flags, 1, answers.Count, authority.Count, query.HasEdns ? 1 : 0);
        writer.Question(query.RawName, query.Type, query.Class);
        foreach (var record in answers.Concat(authority))
        {
            writer.Record(record.Owner, record.Type, 1, (uint)record.Ttl, record.Rdata);
        }

        if (query.HasEdns)
        {
            // RFC 6891 §6.1.2: OPT owner is the root, CLASS our UDP size, TTL the extended flags (DO echoed).
            writer.Record(".", DnsType.OPT, 4096, query.DnssecOk ? 0x8000u : 0u, []);
        }

        return writer.ToArray();
    }

    private (DnsRcode Rcode, List<ZoneRecord> Answers, List<ZoneRecord> Authority) Resolve(string qname, DnsType qtype)
    {
        lock (_gate)
        {
            var answers = new List<ZoneRecord>();
            var name = Key(qname);
            for (var hop = 0; hop < 8; hop++)
            {
                var node = Node(name);
                var cname = node?.FirstOrDefault(r => r.Type == DnsType.CNAME);
                if (cname is not null && qtype is not (DnsType.CNAME or DnsType.ANY))
                {
                    answers.Add(cname);
                    name = Key(cname.Text);
                    continue;
                }

                var matching = node?.Where(r => qtype == DnsType.ANY || r.Type == qtype).ToList() ?? [];
                if (matching.Count > 0)
                {
                    answers.AddRange(matching);
                    return (DnsRcode.NoError, answers, []);
                }

                return (node is not null || Exists(name) ? DnsRcode.NoError : DnsRcode.NxDomain, answers, [Soa(name)]);
            }

            return (DnsRcode.ServFail, [], []);
        }
    }

    // The records at a name: its own, or those of the wildcard at its closest encloser (RFC 4592 §3.3.1).
    private List<ZoneRecord>? Node(string name)
    {
        if (_records.TryGetValue(name, out var own) && own.Count > 0)
        {
            return own;
        }

        if (Exists(name))
        {
            return null;
        }

        var labels = name.Split('.');
        for (var i = 1; i < labels.Length; i++)
        {
            var encloser = string.Join('.', labels[i..]);
            if (_records.TryGetValue("*." + encloser, out var wild) && wild.Count > 0)
            {
                return wild.Select(r => r with { Owner = name }).ToList();
            }

            if (Exists(encloser))
            {
                return null;
            }
        }

        return null;
    }

    // A name exists if it has records or a name below it has (an empty non-terminal, RFC 8020).
    private bool Exists(string name) =>
        _records.Any(kv => kv.Value.Count > 0 && (kv.Key == name || kv.Key.EndsWith("." + name, StringComparison.Ordinal)));

    private ZoneRecord Soa(string name)
    {
        var apex = _zones.Where(z => Covers(z, name)).OrderByDescending(z => z.Length).FirstOrDefault()
            ?? string.Join('.', name.Split('.').TakeLast(2));
        var rdata = new List<byte>();
        rdata.AddRange(DnsMessageWriter.EncodeName("ns." + apex));
        rdata.AddRange(DnsMessageWriter.EncodeName("hostmaster." + apex));
        foreach (var value in new uint[] { 1, 3600, 600, 86400, (uint)NegativeTtl })
        {
            rdata.Add((byte)(value >> 24));
            rdata.Add((byte)(value >> 16));
            rdata.Add((byte)(value >> 8));
            rdata.Add((byte)value);
        }

        return new ZoneRecord(apex, DnsType.SOA, NegativeTtl, [.. rdata], "SOA");
    }
}
