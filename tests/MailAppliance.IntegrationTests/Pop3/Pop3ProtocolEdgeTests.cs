namespace MailAppliance.IntegrationTests.Pop3;

/// <summary>What real clients do not send: pipelined commands, overlong lines, commands in the wrong state.</summary>
public sealed class Pop3ProtocolEdgeTests : IClassFixture<Pop3ApplianceFixture>
{
    private readonly Pop3ApplianceFixture _app;

    public Pop3ProtocolEdgeTests(Pop3ApplianceFixture app) => _app = app;

    [Fact]
    public async Task Pipelined_commands_overlong_lines_and_wrong_state_get_their_own_replies()
    {
        var user = await _app.UserAsync("edges");
        await _app.DeliverAsync("edges", "Subject: e\r\n\r\nbody\r\n");
        var (exit, output) = await Pop3ApplianceFixture.Python($$"""
            import socket, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", {{_app.Pop3sPort}}), timeout=30))
            f = s.makefile("rb")
            print("GREETING", f.readline().decode().strip())
            s.sendall(b"STAT\r\nRETR 1\r\n" + b"NOOP " + b"x" * 2000 + b"\r\nXYZZY\r\n")
            for name in ["STAT-EARLY", "RETR-EARLY", "LONG", "UNKNOWN"]:
                print(name, f.readline().decode().strip())
            # Everything up to QUIT in one write (RFC 2449 PIPELINING).
            s.sendall(b"USER {{user}}\r\nPASS pw\r\nSTAT\r\nDELE 1\r\nLIST 1\r\nRSET\r\nTOP 1 x\r\nSTLS\r\nQUIT\r\n")
            for name in ["USER", "PASS", "STAT", "DELE", "LIST-DELETED", "RSET", "TOP-BAD", "STLS-LATE", "QUIT"]:
                print(name, f.readline().decode().strip())
            """);
        Assert.True(exit == 0, output);
        var replies = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[..l.IndexOf(' ', StringComparison.Ordinal)], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        Assert.Equal("+OK mx.example.test POP3 MailAppliance ready", replies["GREETING"]);
        Assert.Equal("-ERR Command not valid in this state", replies["STAT-EARLY"]);
        Assert.Equal("-ERR Command not valid in this state", replies["RETR-EARLY"]);
        Assert.Equal("-ERR Line too long", replies["LONG"]);
        Assert.Equal("-ERR Unknown command", replies["UNKNOWN"]);
        Assert.StartsWith("+OK", replies["USER"], StringComparison.Ordinal);
        Assert.StartsWith("+OK Logged in, 1 messages", replies["PASS"], StringComparison.Ordinal);
        Assert.StartsWith("+OK 1 ", replies["STAT"], StringComparison.Ordinal);
        Assert.Equal("+OK Message 1 deleted", replies["DELE"]);
        Assert.Equal("-ERR Message already deleted", replies["LIST-DELETED"]);
        Assert.StartsWith("+OK Maildrop has 1 messages", replies["RSET"], StringComparison.Ordinal);
        Assert.Equal("-ERR Syntax error", replies["TOP-BAD"]);
        Assert.Equal("-ERR Command not valid in this state", replies["STLS-LATE"]);
        Assert.StartsWith("+OK", replies["QUIT"], StringComparison.Ordinal);
        Assert.Single(_app.Messages("edges"));
    }
}
