using System.Diagnostics;
using System.Net.Sockets;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Import;

/// <summary>
/// Debian's Dovecot as a live IMAP and POP3 server on loopback (plain text, passwd-file users, Maildir++ homes, a
/// "Sent Items" folder marked <c>\Sent</c> and "Spam" marked <c>\Junk</c>, as Outlook-era servers name them): the
/// peer the remote imports read from. Its master runs as root and drops to nobody for mail, as packaged Dovecot does.
/// </summary>
public sealed class DovecotServer : IAsyncDisposable
{
    private readonly Process _master;

    private DovecotServer(string root, int imapPort, int pop3Port, Process master)
    {
        Root = root;
        ImapPort = imapPort;
        Pop3Port = pop3Port;
        _master = master;
    }

    public string Root { get; }

    public int ImapPort { get; }

    public int Pop3Port { get; }

    public static async Task<DovecotServer> StartAsync(string root, params (string User, string Password)[] users)
    {
        Assert.True(File.Exists("/usr/lib/dovecot/imap") && File.Exists("/usr/lib/dovecot/pop3"),
            "Dovecot's imap and pop3 are missing: install dovecot-imapd and dovecot-pop3d (scripts/install-deps.sh --test)");
        Directory.CreateDirectory(Path.Combine(root, "home"));
        File.SetUnixFileMode(Path.Combine(root, "home"), (UnixFileMode)0x1FF);
        await File.WriteAllLinesAsync(Path.Combine(root, "passwd"), users.Select(u => $"{u.User}:{{PLAIN}}{u.Password}::::::"));
        var ports = TestPorts.Take(2);
        await File.WriteAllTextAsync(Path.Combine(root, "dovecot.conf"), $$"""
            base_dir = {{root}}/run
            state_dir = {{root}}/state
            log_path = {{root}}/dovecot.log
            instance_name = import-test-{{ports[0]}}
            protocols = imap pop3
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            passdb {
              driver = passwd-file
              args = {{root}}/passwd
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home={{root}}/home/%n
            }
            mail_location = maildir:~/Maildir
            namespace inbox {
              inbox = yes
              separator = /
              mailbox "Sent Items" {
                special_use = \Sent
              }
              mailbox Spam {
                special_use = \Junk
              }
            }
            service imap-login {
              inet_listener imap {
                port = {{ports[0]}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service pop3-login {
              inet_listener pop3 {
                port = {{ports[1]}}
              }
              inet_listener pop3s {
                port = 0
              }
            }

            """);
        var start = new ProcessStartInfo("dovecot", ["-F", "-c", Path.Combine(root, "dovecot.conf")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var master = Process.Start(start)!;
        var server = new DovecotServer(root, ports[0], ports[1], master);
        await server.WaitForListenersAsync();
        return server;
    }

    /// <summary>Until both listeners accept (Dovecot forks its login services after it binds them).</summary>
    private async Task WaitForListenersAsync()
    {
        var watch = Stopwatch.StartNew();
        foreach (var port in new[] { ImapPort, Pop3Port })
        {
            while (true)
            {
                if (_master.HasExited)
                {
                    Assert.Fail($"dovecot exited: {await _master.StandardError.ReadToEndAsync()} {Log()}");
                }

                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", port);
                    break;
                }
                catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(50);
                }
            }
        }
    }

    public string Log() => File.Exists(Path.Combine(Root, "dovecot.log")) ? File.ReadAllText(Path.Combine(Root, "dovecot.log")) : "";

    public async ValueTask DisposeAsync()
    {
        if (!_master.HasExited)
        {
            _master.Kill(entireProcessTree: true);
            await _master.WaitForExitAsync();
        }

        _master.Dispose();
    }
}
