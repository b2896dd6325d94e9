using System.Text;
using MailAppliance.Testing;

namespace MailAppliance.ManageSieve.Tests;

/// <summary>RFC 5804 against the real appliance, command by command, as transcripts.</summary>
public sealed class ManageSieveTranscriptTests : IClassFixture<ApplianceFixture>
{
    private readonly ApplianceFixture _app;

    public ManageSieveTranscriptTests(ApplianceFixture app) => _app = app;

    private string Home(string local) => Path.Combine(_app.DataDirectory, "mail", "example.test", local);

    private async Task<string> UserAsync(string local)
    {
        await _app.Ok($"user add {local}@example.test --password-stdin", "pw\n");
        return $"{local}@example.test";
    }

    [Fact]
    public async Task Greeting_lists_capabilities_and_authentication_waits_for_tls()
    {
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        Assert.Contains("\"IMPLEMENTATION\" \"MailAppliance\"", s.Greeting);
        Assert.Contains("\"STARTTLS\"", s.Greeting);
        Assert.Contains("\"SASL\" \"\"", s.Greeting);
        Assert.Contains(s.Greeting, l => l.StartsWith("\"SIEVE\" \"fileinto reject", StringComparison.Ordinal) && l.Contains("vacation-seconds", StringComparison.Ordinal));
        Assert.Contains("\"VERSION\" \"1.0\"", s.Greeting);

        await s.Send("AUTHENTICATE \"PLAIN\" \"" + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@example.test\0pw")) + "\"");
        await s.Expect("NO (ENCRYPT-NEEDED)");
        await s.Send("LISTSCRIPTS");
        await s.Expect("NO");

        await s.StartTlsAsync();
        await s.Send("CAPABILITY");
        var caps = await s.Expect("OK");
        Assert.Contains("\"SASL\" \"PLAIN LOGIN\"", caps);
        await s.Send("AUTHENTICATE \"PLAIN\" \"" + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice@example.test\0wrong")) + "\"");
        await s.Expect("NO");
        await s.LoginAsync();
        await s.Send("NOOP \"t1\"");
        await s.Expect("OK (TAG \"t1\")");
        await s.Send("LOGOUT");
        await s.Expect("OK");
    }

    [Fact]
    public async Task Login_mechanism_with_challenges()
    {
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        await s.StartTlsAsync();
        await s.Send("AUTHENTICATE \"LOGIN\"");
        Assert.Equal("\"VXNlcm5hbWU6\"", await s.ReadLineAsync());
        await s.Send("\"" + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice@example.test")) + "\"");
        Assert.Equal("\"UGFzc3dvcmQ6\"", await s.ReadLineAsync());
        await s.Send("{4+}\r\n" + Convert.ToBase64String(Encoding.UTF8.GetBytes("pw")));
        await s.Expect("OK");
    }

    [Fact]
    public async Task Scripts_are_put_checked_listed_activated_renamed_and_deleted()
    {
        var user = await UserAsync("ms1");
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        await s.StartTlsAsync();
        await s.LoginAsync(user);

        var bad = "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" {\r\n  fileinto 3;\r\n}\r\n";
        await s.Send($"PUTSCRIPT \"broken\" {{{Encoding.UTF8.GetByteCount(bad)}+}}\r\n{bad}");
        var refused = await s.Expect("NO");
        Assert.Contains("line 3: error: the fileinto command expects a string", refused[^1]);
        await s.Send($"CHECKSCRIPT {{{Encoding.UTF8.GetByteCount(bad)}+}}\r\n{bad}");
        Assert.Contains("line 3: error:", (await s.Expect("NO"))[^1]);

        var good = "require \"fileinto\";\r\nif header :contains \"subject\" \"[list]\" { fileinto \"Lists\"; }\r\n";
        await s.Send("HAVESPACE \"rules\" 100");
        await s.Expect("OK");
        await s.Send("HAVESPACE \"rules\" 99999999");
        await s.Expect("NO (QUOTA/MAXSIZE)");
        await s.Send($"PUTSCRIPT \"rules\" {{{Encoding.UTF8.GetByteCount(good)}+}}\r\n{good}");
        await s.Expect("OK");
        await s.Send("PUTSCRIPT \"other\" \"keep;\"");
        await s.Expect("OK");
        await s.Send("SETACTIVE \"rules\"");
        await s.Expect("OK");
        Assert.Equal("sieve/rules.sieve", new FileInfo(Path.Combine(Home("ms1"), ".dovecot.sieve")).LinkTarget);

        await s.Send("LISTSCRIPTS");
        var list = await s.Expect("OK");
        Assert.Equal(["\"other\"", "\"rules\" ACTIVE"], list.Take(list.Count - 1).Order().ToList());

        await s.Send("GETSCRIPT \"rules\"");
        var got = await s.Expect("OK");
        Assert.Equal($"{{{Encoding.UTF8.GetByteCount(good)}}}\r\n{good}", got[0]);
        Assert.Equal(good, await File.ReadAllTextAsync(Path.Combine(Home("ms1"), "sieve", "rules.sieve")));

        await s.Send("DELETESCRIPT \"rules\"");
        await s.Expect("NO (ACTIVE)");
        await s.Send("GETSCRIPT \"nothere\"");
        await s.Expect("NO (NONEXISTENT)");
        await s.Send("RENAMESCRIPT \"rules\" \"other\"");
        await s.Expect("NO (ALREADYEXISTS)");
        await s.Send("RENAMESCRIPT \"rules\" \"filters\"");
        await s.Expect("OK");
        Assert.Equal("sieve/filters.sieve", new FileInfo(Path.Combine(Home("ms1"), ".dovecot.sieve")).LinkTarget);
        await s.Send("SETACTIVE \"\"");
        await s.Expect("OK");
        Assert.False(File.Exists(Path.Combine(Home("ms1"), ".dovecot.sieve")));
        await s.Send("DELETESCRIPT \"filters\"");
        await s.Expect("OK");
        await s.Send("UNAUTHENTICATE");
        await s.Expect("OK");
        await s.Send("LISTSCRIPTS");
        await s.Expect("NO");

        var cli = await _app.Cli.RunAsync($"sieve list {user} --json");
        Assert.Equal(0, cli.ExitCode);
        Assert.Contains("\"name\":\"other\"", cli.Output);
    }

    [Fact]
    public async Task A_literal_over_the_size_quota_is_refused_and_the_session_stays_in_step()
    {
        var user = await UserAsync("ms2");
        await using var s = await ManageSieveClientScript.ConnectAsync(_app.ManageSievePort);
        await s.StartTlsAsync();
        await s.LoginAsync(user);
        var big = new string('#', 2 * 1024 * 1024);
        await s.Send($"PUTSCRIPT \"big\" {{{big.Length}+}}\r\n{big}");
        await s.Expect("NO");
        await s.Send("NOOP");
        await s.Expect("OK");
    }
}
