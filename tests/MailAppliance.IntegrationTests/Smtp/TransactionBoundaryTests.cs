using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.IntegrationTests.Smtp;

/// <summary>
/// Whatever ends a transaction (EHLO, RSET, STARTTLS) discards every byte it received, BDAT chunks included, and
/// STARTTLS is refused while a transaction is open. Before the session state became a type, a BDAT chunk sent in
/// clear text survived STARTTLS and was delivered inside the next, encrypted transaction's message: the STARTTLS
/// command-injection class of flaw (CVE-2011-0411's family).
/// </summary>
public sealed class TransactionBoundaryTests : IClassFixture<ApplianceFixture>
{
    private const string Injected = "X-Injected: sent in clear text\r\n";
    private readonly ApplianceFixture _app;

    public TransactionBoundaryTests(ApplianceFixture app) => _app = app;

    private async Task<string> UserAsync(string local)
    {
        var result = await _app.Cli.RunAsync($"user add {local}@example.test --password-stdin", "pw\n");
        Assert.True(result.ExitCode == 0, result.ToString());
        return $"{local}@example.test";
    }

    private static async Task TransactionAsync(SmtpClientScript smtp, string to)
    {
        await smtp.Send("MAIL FROM:<sender@example.net>");
        await smtp.Expect("250 2.1.0");
        await smtp.Send($"RCPT TO:<{to}>");
        await smtp.Expect("250 2.1.5");
    }

    /// <summary>A clean message in one BDAT LAST chunk; returns its queue id.</summary>
    private static async Task<string> CleanMessageAsync(SmtpClientScript smtp, string to)
    {
        await TransactionAsync(smtp, to);
        var message = "Subject: clean\r\n\r\nclean body\r\n";
        await smtp.Send($"BDAT {Encoding.ASCII.GetByteCount(message)} LAST");
        await smtp.SendRaw(Encoding.ASCII.GetBytes(message));
        var reply = await smtp.Expect("250 2.0.0 Ok: queued as ");
        return reply["250 2.0.0 Ok: queued as ".Length..].Trim();
    }

    private async Task<string> DeliveredAsync(string local) => await File.ReadAllTextAsync(Assert.Single(await _app.MessagesAsync(local)));

    [Fact]
    public async Task A_BDAT_chunk_sent_before_STARTTLS_never_reaches_the_encrypted_transaction()
    {
        var to = await UserAsync("tls-bdat");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO attacker.example");
        await smtp.Expect("250");
        await TransactionAsync(smtp, to);
        await smtp.Send($"BDAT {Injected.Length}");
        await smtp.SendRaw(Encoding.ASCII.GetBytes(Injected));
        await smtp.Expect("250 2.0.0");

        await smtp.Send("STARTTLS");
        await smtp.Expect("503 5.5.1"); // refused inside a transaction, and the transaction is gone with its chunk
        await smtp.Send("RCPT TO:<" + to + ">");
        await smtp.Expect("503 5.5.1"); // no transaction any more

        await smtp.Send("STARTTLS");
        await smtp.Expect("220 2.0.0");
        await smtp.UpgradeToTlsAsync();
        await smtp.Send("EHLO attacker.example");
        await smtp.Expect("250");
        await CleanMessageAsync(smtp, to);

        var delivered = await DeliveredAsync("tls-bdat");
        Assert.DoesNotContain("X-Injected", delivered, StringComparison.Ordinal);
        Assert.EndsWith("Subject: clean\r\n\r\nclean body\r\n", delivered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RSET", "250 2.0.0")]
    [InlineData("EHLO again.example", "250")]
    public async Task RSET_and_EHLO_in_the_middle_of_BDAT_discard_the_chunks_received(string command, string reply)
    {
        var local = "bdat-" + command[..4].ToLowerInvariant();
        var to = await UserAsync(local);
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await TransactionAsync(smtp, to);
        await smtp.Send($"BDAT {Injected.Length}");
        await smtp.SendRaw(Encoding.ASCII.GetBytes(Injected));
        await smtp.Expect("250 2.0.0");

        await smtp.Send(command);
        await smtp.Expect(reply);
        await smtp.Send("BDAT 4 LAST");
        await smtp.SendRaw("x\r\n\r"u8.ToArray());
        await smtp.Expect("503 5.5.1"); // the chunk is read and refused: there is no transaction

        await CleanMessageAsync(smtp, to);
        var delivered = await DeliveredAsync(local);
        Assert.DoesNotContain("X-Injected", delivered, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_app.DataDirectory, "spool", "tmp"))); // no half message left behind
    }

    [Theory]
    [InlineData("RSET", "250 2.0.0")]
    [InlineData("EHLO again.example", "250")]
    [InlineData("STARTTLS", "503 5.5.1")]
    public async Task RSET_EHLO_and_STARTTLS_between_RCPT_and_DATA_end_the_transaction(string command, string reply)
    {
        var to = await UserAsync("data-" + command[..4].ToLowerInvariant());
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await TransactionAsync(smtp, to);
        await smtp.Send(command);
        await smtp.Expect(reply);
        await smtp.Send("DATA");
        await smtp.Expect("503 5.5.1"); // need MAIL: the envelope went with the transaction
    }

    [Fact]
    public async Task Plaintext_pipelined_after_STARTTLS_is_discarded()
    {
        var to = await UserAsync("tls-pipe");
        await using var smtp = await SmtpClientScript.ConnectAsync(_app.SmtpPort);
        await smtp.Send("EHLO client.example");
        await smtp.Expect("250");
        await smtp.Send($"STARTTLS\r\nMAIL FROM:<injected@example.net>\r\nRCPT TO:<{to}>\r\n");
        await smtp.Expect("220 2.0.0");
        await smtp.UpgradeToTlsAsync();
        await smtp.Send("RCPT TO:<" + to + ">");
        await smtp.Expect("503 5.5.1"); // the pipelined MAIL never counted
    }
}
