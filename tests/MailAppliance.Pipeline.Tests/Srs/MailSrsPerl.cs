using System.Diagnostics;

namespace MailAppliance.Pipeline.Tests.Srs;

/// <summary>
/// Debian's Mail::SRS (libmail-srs-perl) as the reference implementation, run as a real perl process. Its clock is
/// pinned to the test's time by overriding perl's time() before Mail::SRS is loaded.
/// </summary>
internal static class MailSrsPerl
{
    private const string Script = """
        BEGIN { my $t = shift @ARGV; *CORE::GLOBAL::time = sub { $t }; }
        use strict; use warnings; use Mail::SRS;
        my ($op, $domain, @secrets) = @ARGV;
        my $srs = Mail::SRS->new(Secret => [@secrets], MaxAge => 21, HashLength => 4);
        $SIG{__WARN__} = sub { };
        while (my $line = <STDIN>) {
            chomp $line;
            my $out = eval { $op eq 'forward' ? $srs->forward($line, $domain) : $srs->reverse($line) };
            print defined $out ? "OK $out\n" : "ERR " . (($@ =~ s/\s+/ /gr) || 'undef') . "\n";
        }
        """;

    /// <summary>One output line per input address: <c>OK address</c> or <c>ERR reason</c>.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string op, string domain, DateTimeOffset time, IReadOnlyList<string> addresses, params string[] secrets)
    {
        var start = new ProcessStartInfo("perl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-e", Script, time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), op, domain }.Concat(secrets))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        foreach (var address in addresses)
        {
            await process.StandardInput.WriteLineAsync(address);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"perl Mail::SRS failed (is libmail-srs-perl installed? scripts/install-deps.sh --test): {await error}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
