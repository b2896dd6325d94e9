using System.Diagnostics;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>The real appliance plus what the IMAP client tests share: users, delivery through the MX port, python.</summary>
public class ImapClientFixture : ApplianceFixture
{
    /// <summary>A new user <paramref name="local"/>@example.test with password <c>pw</c>.</summary>
    public async Task<string> UserAsync(string local, string? quota = null)
    {
        var result = await Cli.RunAsync($"user add {local}@example.test --password-stdin" + (quota is null ? "" : $" --quota {quota}"), "pw\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        return $"{local}@example.test";
    }

    /// <summary>Sends messages to an MX port with python's smtplib and waits until all are in the user's INBOX.</summary>
    public async Task DeliverAsync(string local, params string[] messages) => await DeliverAsync(SmtpPort, local, messages);

    public async Task DeliverAsync(int smtpPort, string local, params string[] messages)
    {
        var before = Messages(local).Count;
        var (exit, output) = await Python($"""
            import smtplib
            messages = {PythonList(messages)}
            s = smtplib.SMTP("127.0.0.1", {smtpPort}, timeout=30)
            for m in messages:
                s.sendmail("sender@example.net", ["{local}@example.test"], m.encode())
            s.quit()
            """);
        Assert.True(exit == 0, output);
        var watch = Stopwatch.StartNew();
        while (Messages(local).Count < before + messages.Length)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"only {Messages(local).Count} messages arrived");
            await Task.Delay(50);
        }
    }

    /// <summary>The message files of a user's folder (new/ and cur/), ordered by name.</summary>
    public IReadOnlyList<string> Messages(string local, string folder = "")
    {
        var root = Path.Combine(DataDirectory, "mail", "example.test", local, "Maildir", folder);
        return new[] { "new", "cur" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(Directory.GetFiles).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The self-signed certificate the appliance generated (PEM), for clients that verify it.</summary>
    public string CertificateFile
    {
        get
        {
            var directory = Path.Combine(DataDirectory, "tls");
            var pem = Directory.GetFiles(directory).Where(f => File.ReadAllText(f).Contains("BEGIN CERTIFICATE", StringComparison.Ordinal)).ToList();
            Assert.True(pem.Count > 0, $"no certificate in {directory}: {string.Join(", ", Directory.GetFiles(directory))}");
            var file = Path.Combine(Root, "server-cert.pem");
            // Only the certificate, never the key (some clients read the first PEM block of a combined file).
            var text = File.ReadAllText(pem[0]);
            var start = text.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
            var end = text.IndexOf("-----END CERTIFICATE-----", start, StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length;
            File.WriteAllText(file, text[start..end] + "\n");
            return file;
        }
    }

    /// <summary>
    /// Runs a python script that starts with <see cref="ImaplibPreamble"/> (so <c>imaps(user)</c> and
    /// <c>starttls(user)</c> give logged-in imaplib clients) and fails the test with its output if it fails.
    /// </summary>
    public async Task<string> ImaplibAsync(string script)
    {
        var program = ImaplibPreamble + "\n" + script;
        var (exit, output) = await Python(program);
        Assert.True(exit == 0, output + "\n" + string.Join('\n', program.Split('\n').Select((line, i) => $"{i + 1,4} {line}")));
        return output;
    }

    public string ImaplibPreamble => $"""
        import imaplib, ssl, sys, time, re, email
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        IMAPS_PORT = {ImapsPort}
        IMAP_PORT = {ImapPort}
        def imaps(user, port=IMAPS_PORT):
            m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=30)
            ok(m.login(user, "pw"))
            return m
        def starttls(user, port=IMAP_PORT):
            m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
            ok(m.starttls(ssl_context=ctx))
            ok(m.login(user, "pw"))
            return m
        def ok(result):
            typ, data = result
            assert typ == "OK", result
            return data
        def eq(actual, expected):
            assert actual == expected, "expected %r, got %r" % (expected, actual)
        """;

    public static Task<(int ExitCode, string Output)> Python(string script) =>
        RunAsync("python3", ["-c", script.Replace("\r\n", "\n", StringComparison.Ordinal)], timeout: TimeSpan.FromSeconds(60));

    private static string PythonList(IEnumerable<string> values) =>
        "[" + string.Join(", ", values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"")) + "]";
}
