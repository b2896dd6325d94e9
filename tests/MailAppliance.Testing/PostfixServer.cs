using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace MailAppliance.Testing;

/// <summary>How a test Postfix is set up.</summary>
public sealed record PostfixOptions
{
    public string HostName { get; init; } = "mx.example.test";

    /// <summary>The domain Postfix accepts mail for; every recipient there lands in one maildir.</summary>
    public string Domain { get; init; } = "example.test";

    /// <summary>PEM files for STARTTLS (smtpd_tls_security_level = may); null: no TLS.</summary>
    public (string CertificateFile, string KeyFile)? Tls { get; init; }

    public bool SmtpUtf8 { get; init; } = true;

    /// <summary>Recipients answered with a fixed reply at RCPT (check_recipient_access), e.g. "450 4.2.0 Greylisted".</summary>
    public IReadOnlyDictionary<string, string> RecipientReplies { get; init; } = new Dictionary<string, string>();

    /// <summary>More main.cf lines.</summary>
    public IReadOnlyList<string> MainCf { get; init; } = [];

    /// <summary>The loopback address smtpd listens on (another 127.0.0.x lets it share a port number with others).</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The port smtpd listens on; null: a free one.</summary>
    public int? Port { get; init; }
}

/// <summary>
/// Debian's Postfix as a receiving MTA for tests: its own configuration, queue and maildir under a fresh directory,
/// listening on a loopback port, started with <c>postfix -c DIR start</c> (root only, as Postfix's master is).
/// Everything for <see cref="PostfixOptions.Domain"/> is delivered by virtual(8) into one maildir.
/// </summary>
public sealed class PostfixServer : IAsyncDisposable
{
    private PostfixServer(string directory, string address, int port)
    {
        Directory = directory;
        Address = address;
        Port = port;
    }

    public string Address { get; }

    public string Directory { get; }

    public int Port { get; }

    public string MaildirNew => Path.Combine(Directory, "mail", "inbox", "new");

    /// <summary>Postfix's log (maillog_file), for what only the log tells: STARTTLS, BDAT, orig_to, DSNs.</summary>
    public string Log => File.Exists(Path.Combine(Directory, "maillog")) ? File.ReadAllText(Path.Combine(Directory, "maillog")) : "";

    public static async Task<PostfixServer> StartAsync(PostfixOptions? options = null)
    {
        options ??= new PostfixOptions();
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("a test Postfix needs root (its master process starts as root)");
        }

        var directory = TestDirectories.Create("postfix");
        var port = options.Port ?? TestPorts.Take(1)[0];
        var server = new PostfixServer(directory, options.Address, port);
        foreach (var sub in new[] { "queue", "data", "mail" })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
        }

        await RunAsync("chown", $"65534:65534 {Path.Combine(directory, "mail")}");
        await RunAsync("chown", $"postfix {Path.Combine(directory, "data")}");
        await File.WriteAllTextAsync(Path.Combine(directory, "main.cf"), MainCf(directory, options));
        await File.WriteAllTextAsync(Path.Combine(directory, "master.cf"), MasterCf(options.Address, port));
        await RunAsync("postfix", $"-c {directory} start");
        await server.WaitUntilListeningAsync();
        return server;
    }

    /// <summary>Waits until <paramref name="count"/> messages were delivered into the maildir; returns their files' bytes, oldest first.</summary>
    public async Task<IReadOnlyList<byte[]>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var files = System.IO.Directory.Exists(MaildirNew) ? System.IO.Directory.GetFiles(MaildirNew) : [];
            if (files.Length >= count)
            {
                return [.. files.OrderBy(File.GetLastWriteTimeUtc).ThenBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes)];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Postfix delivered {files.Length} of {count} messages; its log:\n{Log}");
            }

            // Postfix delivers in its own processes; its maildir is watched by polling (an inotify watch would not
            // see into a directory virtual(8) creates only at the first delivery).
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits for the delivered message whose bytes contain <paramref name="marker"/> (a Message-ID, say) and not
    /// <paramref name="unless"/> (a DSN about the message quotes its headers too).
    /// </summary>
    public async Task<byte[]> WaitForMessageAsync(string marker, TimeSpan? timeout = null, string? unless = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var needle = Encoding.UTF8.GetBytes(marker);
        while (true)
        {
            var files = System.IO.Directory.Exists(MaildirNew) ? System.IO.Directory.GetFiles(MaildirNew) : [];
            foreach (var file in files)
            {
                var bytes = await File.ReadAllBytesAsync(file);
                if (bytes.AsSpan().IndexOf(needle) >= 0 && (unless is null || bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(unless)) < 0))
                {
                    return bytes;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Postfix delivered no message with '{marker}'; its log:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the log has a line containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForLogAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = Log.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Postfix never logged '{text}'; its log:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(Address, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50); // master binds its listener a moment after `postfix start` returns
            }
        }
    }

    private static string MainCf(string directory, PostfixOptions options)
    {
        var access = string.Join(", ", options.RecipientReplies.Select(kv => $"{{{kv.Key}={kv.Value}}}"));
        var sb = new StringBuilder();
        sb.AppendLine("compatibility_level = 3.6");
        sb.AppendLine(CultureInfo.InvariantCulture, $"queue_directory = {directory}/queue");
        sb.AppendLine(CultureInfo.InvariantCulture, $"data_directory = {directory}/data");
        sb.AppendLine("command_directory = /usr/sbin");
        sb.AppendLine("daemon_directory = /usr/lib/postfix/sbin");
        sb.AppendLine("meta_directory = /etc/postfix");
        sb.AppendLine("shlib_directory = /usr/lib/postfix");
        sb.AppendLine("mail_owner = postfix");
        sb.AppendLine("setgid_group = postdrop");
        sb.AppendLine(CultureInfo.InvariantCulture, $"myhostname = {options.HostName}");
        sb.AppendLine("mydestination =");
        // Postfix takes only interface addresses here (127.0.0.1 on lo); the listener's own address is in master.cf.
        sb.AppendLine("inet_interfaces = 127.0.0.1");
        sb.AppendLine("inet_protocols = ipv4");
        sb.AppendLine("mynetworks = 127.0.0.0/8");
        sb.AppendLine("local_header_rewrite_clients =");
        sb.AppendLine(CultureInfo.InvariantCulture, $"virtual_mailbox_domains = {options.Domain}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"virtual_mailbox_base = {directory}/mail");
        sb.AppendLine("virtual_mailbox_maps = static:inbox/");
        sb.AppendLine("virtual_uid_maps = static:65534");
        sb.AppendLine("virtual_gid_maps = static:65534");
        sb.AppendLine(access.Length == 0
            ? "smtpd_recipient_restrictions = permit_mynetworks, reject"
            : $"smtpd_recipient_restrictions = check_recipient_access inline:{{ {access} }}, permit_mynetworks, reject");
        sb.AppendLine(CultureInfo.InvariantCulture, $"maillog_file = {directory}/maillog");
        sb.AppendLine(CultureInfo.InvariantCulture, $"maillog_file_prefixes = {directory}");
        sb.AppendLine("alias_maps =");
        sb.AppendLine("alias_database =");
        sb.AppendLine("biff = no");
        sb.AppendLine("smtp_dns_support_level = disabled"); // DSNs to senders stay queued instead of looking up DNS
        sb.AppendLine("default_transport = error:no outbound mail from the test Postfix");
        sb.AppendLine(CultureInfo.InvariantCulture, $"smtputf8_enable = {(options.SmtpUtf8 ? "yes" : "no")}");
        if (options.Tls is { } tls)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"smtpd_tls_chain_files = {tls.KeyFile}, {tls.CertificateFile}");
            sb.AppendLine("smtpd_tls_security_level = may");
            sb.AppendLine("smtpd_tls_received_header = yes");
            sb.AppendLine("smtpd_tls_loglevel = 1");
        }

        foreach (var line in options.MainCf)
        {
            sb.AppendLine(line);
        }

        return sb.ToString();
    }

    private static string MasterCf(string address, int port) => $"""
        {address}:{port} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        proxywrite unix -       -       n       -       1       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        local     unix  -       n       n       -       -       local
        virtual   unix  -       n       n       -       -       virtual
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """;

    private static async Task RunAsync(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("postfix", $"-c {Directory} stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        TestDirectories.Delete(Directory);
    }
}
