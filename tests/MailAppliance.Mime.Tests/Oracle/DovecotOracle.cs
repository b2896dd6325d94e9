using System.Diagnostics;
using System.Text;

namespace MailAppliance.Mime.Tests.Oracle;

/// <summary>
/// Runs Debian's Dovecot (package dovecot-imapd) as an oracle: the messages go into a throwaway maildir, and one
/// pre-authenticated <c>imap</c> process on standard input answers FETCH commands for all of them.
/// </summary>
internal static class DovecotOracle
{
    /// <summary>Debian's path; DOVECOT_IMAP_BINARY overrides it for other layouts.</summary>
    public static string ImapBinary { get; } = Environment.GetEnvironmentVariable("DOVECOT_IMAP_BINARY") is { Length: > 0 } p ? p : "/usr/lib/dovecot/imap";

    /// <summary>Fetch results per message: item name (e.g. "BODYSTRUCTURE", "BODY[1.MIME]") → raw value bytes.</summary>
    public static IReadOnlyList<Dictionary<string, byte[]>> Fetch(IReadOnlyList<byte[]> messages, IReadOnlyList<IReadOnlyList<string>> sections)
    {
        if (!File.Exists(ImapBinary))
        {
            Assert.Fail($"Dovecot oracle missing: {ImapBinary} not found. Install it with: apt-get install -y dovecot-imapd");
        }

        var root = Directory.CreateTempSubdirectory("mime-oracle-");
        try
        {
            var maildir = Path.Combine(root.FullName, "Maildir");
            foreach (var sub in new[] { "cur", "new", "tmp" })
            {
                Directory.CreateDirectory(Path.Combine(maildir, sub));
            }

            for (var i = 0; i < messages.Count; i++)
            {
                File.WriteAllBytes(Path.Combine(maildir, "cur", Guid(i) + ":2,"), messages[i]);
            }

            var config = Path.Combine(root.FullName, "dovecot.conf");
            File.WriteAllText(config, $"mail_location = maildir:{maildir}\nssl = no\nlog_path = /dev/stderr\nmail_fsync = never\n");
            if (!OperatingSystem.IsWindows())
            {
                MakeWritable(root);
            }

            var script = new StringBuilder("a SELECT INBOX\r\n");
            for (var i = 0; i < messages.Count; i++)
            {
                script.Append($"f{i} FETCH {i + 1} (X-GUID RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE)\r\n");
                if (sections[i].Count > 0)
                {
                    script.Append($"s{i} FETCH {i + 1} (X-GUID {string.Join(' ', sections[i].Select(Item))})\r\n");
                }
            }

            script.Append("z LOGOUT\r\n");
            var output = Run(root.FullName, config, script.ToString());
            return ParseResponses(output, messages.Count);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static string Guid(int i) => $"m{i + 1:D5}.oracle";

    /// <summary>"2.MIME" → BODY.PEEK[2.MIME]; a partial "TEXT&lt;2.7&gt;" → BODY.PEEK[TEXT]&lt;2.7&gt;.</summary>
    private static string Item(string section)
    {
        var lt = section.IndexOf('<', StringComparison.Ordinal);
        return lt < 0 ? "BODY.PEEK[" + section + "]" : "BODY.PEEK[" + section[..lt] + "]" + section[lt..];
    }

    /// <summary>The response item name Dovecot uses for a requested section (partials report only the origin).</summary>
    public static string ResponseKey(string section)
    {
        var lt = section.IndexOf('<', StringComparison.Ordinal);
        if (lt < 0)
        {
            return "BODY[" + section + "]";
        }

        var dot = section.IndexOf('.', lt);
        return "BODY[" + section[..lt] + "]" + section[lt..dot] + ">";
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void MakeWritable(DirectoryInfo dir)
    {
        // Dovecot refuses to run as root; the unprivileged user must write its index files here.
        dir.UnixFileMode = (UnixFileMode)0x1FF;
        foreach (var d in dir.EnumerateDirectories("*", SearchOption.AllDirectories))
        {
            d.UnixFileMode = (UnixFileMode)0x1FF;
        }

        foreach (var f in dir.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            f.UnixFileMode = (UnixFileMode)0x1B6;
        }
    }

    private static byte[] Run(string home, string config, string script)
    {
        var isRoot = Environment.UserName == "root";
        var psi = new ProcessStartInfo(isRoot ? "runuser" : ImapBinary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (isRoot)
        {
            foreach (var a in new[] { "-u", "nobody", "--", "env", $"HOME={home}", "USER=nobody", ImapBinary, "-c", config })
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(config);
            psi.Environment["HOME"] = home;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dovecot");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        p.StandardInput.Write(script);
        p.StandardInput.Flush();

        // stdin stays open: Dovecot takes EOF as the client leaving and may stop before its output is written
        // (seen under load: "Connection closed … state=wait-output"). The script ends with LOGOUT, after which
        // Dovecot exits by itself.
        if (!p.WaitForExit(120_000))
        {
            p.Kill();
            Assert.Fail("Dovecot oracle timed out");
        }

        p.StandardInput.Close();

        copy.Wait();
        var bytes = stdout.ToArray();
        if (Encoding.Latin1.GetString(bytes).IndexOf("z OK", StringComparison.Ordinal) < 0)
        {
            Assert.Fail("Dovecot oracle failed: " + Encoding.Latin1.GetString(bytes) + stderr.Result);
        }

        return bytes;
    }

    private static List<Dictionary<string, byte[]>> ParseResponses(byte[] data, int count)
    {
        var result = Enumerable.Range(0, count).Select(_ => new Dictionary<string, byte[]>(StringComparer.Ordinal)).ToList();
        var pos = 0;
        while (pos < data.Length)
        {
            var lineEnd = IndexOf(data, pos, (byte)'\n');
            if (StartsWith(data, pos, "* ") && Contains(data, pos, lineEnd, " FETCH ("))
            {
                var p = IndexOf(data, pos, (byte)'(') + 1;
                var items = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                while (p < data.Length && data[p] != (byte)')')
                {
                    var name = ReadItemName(data, ref p);
                    p++; // space
                    var start = p;
                    SkipValue(data, ref p);
                    items[name] = data[start..p];
                    if (p < data.Length && data[p] == (byte)' ')
                    {
                        p++;
                    }
                }

                var guid = Encoding.ASCII.GetString(items["X-GUID"]);
                var index = int.Parse(guid.AsSpan(1, 5), System.Globalization.CultureInfo.InvariantCulture) - 1;
                foreach (var kv in items)
                {
                    result[index][kv.Key] = kv.Value;
                }

                pos = IndexOf(data, p, (byte)'\n') + 1;
                continue;
            }

            pos = lineEnd < 0 ? data.Length : lineEnd + 1;
        }

        return result;
    }

    /// <summary>Fetch responses without X-GUID (the section fetches) follow their message's first response.</summary>
    private static string ReadItemName(byte[] d, ref int p)
    {
        var start = p;
        while (d[p] != (byte)' ' && d[p] != (byte)'[')
        {
            p++;
        }

        if (d[p] == (byte)'[')
        {
            while (d[p] != (byte)']')
            {
                p++;
            }

            p++;
            if (d[p] == (byte)'<')
            {
                while (d[p] != (byte)'>')
                {
                    p++;
                }

                p++;
            }
        }

        return Encoding.ASCII.GetString(d, start, p - start);
    }

    /// <summary>Skips one IMAP value: list, quoted string, literal, or atom.</summary>
    public static void SkipValue(byte[] d, ref int p)
    {
        if (d[p] == (byte)'(')
        {
            p++;
            while (d[p] != (byte)')')
            {
                if (d[p] == (byte)' ')
                {
                    p++;
                    continue;
                }

                SkipValue(d, ref p);
            }

            p++;
        }
        else if (d[p] == (byte)'"')
        {
            p++;
            while (d[p] != (byte)'"')
            {
                p += d[p] == (byte)'\\' ? 2 : 1;
            }

            p++;
        }
        else if (d[p] == (byte)'{')
        {
            var close = IndexOf(d, p, (byte)'}');
            var n = int.Parse(Encoding.ASCII.GetString(d, p + 1, close - p - 1), System.Globalization.CultureInfo.InvariantCulture);
            p = close + 3 + n;
        }
        else
        {
            while (d[p] is not ((byte)' ' or (byte)')' or (byte)'\r'))
            {
                p++;
            }
        }
    }

    /// <summary>The content of an IMAP string value (quoted or literal); null for NIL.</summary>
    public static byte[]? StringContent(byte[] value)
    {
        if (value.Length > 0 && value[0] == (byte)'{')
        {
            var close = Array.IndexOf(value, (byte)'}');
            return value[(close + 3)..];
        }

        if (value.Length >= 2 && value[0] == (byte)'"')
        {
            var list = new List<byte>();
            for (var i = 1; i < value.Length - 1; i++)
            {
                if (value[i] == (byte)'\\')
                {
                    i++;
                }

                list.Add(value[i]);
            }

            return list.ToArray();
        }

        return null;
    }

    private static int IndexOf(byte[] d, int from, byte b) => from >= d.Length ? -1 : Array.IndexOf(d, b, from);

    private static bool StartsWith(byte[] d, int pos, string s) => d.AsSpan(pos).StartsWith(Encoding.ASCII.GetBytes(s));

    private static bool Contains(byte[] d, int from, int to, string s) =>
        d.AsSpan(from, (to < 0 ? d.Length : to) - from).IndexOf(Encoding.ASCII.GetBytes(s)) >= 0;
}
