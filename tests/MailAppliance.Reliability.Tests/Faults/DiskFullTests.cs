using System.Diagnostics;
using System.Text;
using MailAppliance.Reliability.Tests.Hostile;
using Xunit.Abstractions;

namespace MailAppliance.Reliability.Tests.Faults;

/// <summary>
/// An appliance whose data directory is a 48 MiB tmpfs of its own (mounted by the test, which runs as root as CI
/// does), with the database outside it, so the test can fill the disk under the spool and the maildirs.
/// </summary>
public sealed class SmallDiskFixture : HostileFixture
{
    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var (exit, output) = await RunAsync("mount", ["-t", "tmpfs", "-o", "size=48m,mode=0755", "tmpfs", DataDirectory]);
        Assert.True(exit == 0, $"the disk-full tests mount a tmpfs and so need root: {output}");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await StopAsync();
        await RunAsync("umount", ["-l", DataDirectory]);
        await base.DisposeAsync();
    }

    public string Filler => Path.Combine(DataDirectory, "filler");

    /// <summary>Fills the file system to the last block.</summary>
    public void Fill()
    {
        var block = new byte[1 << 20];
        using var file = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1);
        foreach (var size in new[] { 1 << 20, 4096, 1 })
        {
            try
            {
                while (true)
                {
                    file.Write(block, 0, size);
                    file.Flush();
                }
            }
            catch (IOException)
            {
                // ENOSPC at this size; go on with smaller writes until not even a byte fits.
            }
        }
    }

    public void Free() => File.Delete(Filler);
}

/// <summary>
/// Disk full on the data directory (INTERFACE.md): MAIL answers <c>452 4.3.1</c> (not counted as the client's
/// error), IMAP APPEND <c>NO [OVERQUOTA]</c>, nothing acknowledged is lost, and mail flows again the moment space
/// returns, without a restart.
/// </summary>
public sealed class DiskFullTests(SmallDiskFixture app, ITestOutputHelper output) : IClassFixture<SmallDiskFixture>
{
    [Fact]
    public async Task A_full_disk_answers_452_and_overquota_and_recovers_when_space_returns()
    {
        await using var smtp = await HostileClient.ConnectAsync(app.SmtpPort);
        await smtp.ReadUntilAsync("^220 ");
        await smtp.SendAsync("EHLO full.example\r\n");
        await smtp.ReadUntilAsync("^250 ");
        await using var imap = await HostileClient.ConnectAsync(app.ImapPort);
        await imap.ReadUntilAsync(@"^\* OK");
        await imap.SendAsync("l LOGIN alice@example.test pw\r\n");
        await imap.ReadUntilAsync("^l OK");
        var delivered = (await app.MessagesAsync("alice")).Count;

        app.Fill();
        try
        {
            // Every transaction while the disk is full: 452 4.3.1, never counted towards Smtp:MaxErrors.
            for (var i = 0; i < 15; i++)
            {
                await smtp.SendAsync("MAIL FROM:<full@example.net>\r\n");
                Assert.NotNull(await smtp.ReadUntilAsync("^452 4.3.1", TimeSpan.FromSeconds(10)));
            }

            // A transaction that began before the disk filled: its DATA is refused with 452 4.3.1 too, no 250.
            app.Free();
            await smtp.SendAsync("MAIL FROM:<full@example.net>\r\nRCPT TO:<alice@example.test>\r\n");
            await smtp.ReadUntilAsync("^250 2.1.5");
            app.Fill();
            await smtp.SendAsync("DATA\r\n");
            var reply = await smtp.ReadUntilAsync("^[2345][0-9][0-9] ");
            if (reply!.StartsWith("354", StringComparison.Ordinal))
            {
                await smtp.SendAsync("Subject: while full\r\n\r\n" + new string('f', 64 * 1024) + "\r\n.\r\n");
                reply = await smtp.ReadUntilAsync("^[2345][0-9][0-9] ");
            }

            Assert.StartsWith("452 4.3.1", reply, StringComparison.Ordinal);
            await smtp.SendAsync("RSET\r\n");
            Assert.NotNull(await smtp.ReadUntilAsync("^250 "));
            Assert.Empty(Directory.GetFiles(Path.Combine(app.DataDirectory, "spool", "tmp"))); // no half-written file stays

            // IMAP APPEND, small (in memory) and large (spooled to a file first): NO [OVERQUOTA], the session goes on.
            await imap.SendAsync("a APPEND INBOX {20+}\r\nSubject: x\r\n\r\nbody\r\n\r\n");
            Assert.NotNull(await imap.ReadUntilAsync(@"^a NO \[OVERQUOTA\]"));
            var large = "Subject: y\r\n\r\n" + new string('y', 300 * 1024) + "\r\n";
            await imap.SendAsync($"b APPEND INBOX {{{large.Length}+}}\r\n{large}\r\n");
            Assert.NotNull(await imap.ReadUntilAsync(@"^b NO \[(OVERQUOTA|UNAVAILABLE)\]"));
            await imap.SendAsync("c NOOP\r\n");
            Assert.NotNull(await imap.ReadUntilAsync("^c OK"));
        }
        finally
        {
            app.Free();
        }

        // Space is back: the next transaction and the next APPEND succeed at once, without a restart.
        var watch = Stopwatch.StartNew();
        Assert.True(await smtp.TrySendAsync("MAIL FROM:<back@example.net>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"u8.ToArray()), $"the SMTP session was closed: {smtp.Received}");
        await smtp.ReadUntilAsync("^354 ");
        await smtp.SendAsync("Subject: space is back\r\n\r\nhello\r\n.\r\n");
        Assert.NotNull(await smtp.ReadUntilAsync("^250 2.0.0"));
        var recovered = watch.Elapsed;
        await imap.SendAsync("d APPEND INBOX {20+}\r\nSubject: x\r\n\r\nbody\r\n\r\n");
        Assert.NotNull(await imap.ReadUntilAsync("^d OK"));
        Assert.True((await app.MessagesAsync("alice", delivered + 2)).Count >= delivered + 2, "the message accepted after the disk emptied and the APPEND are in the mailbox");
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(app.DataDirectory, "spool"), "*.msg"), f => TextOf(f).Contains("while full", StringComparison.Ordinal));
        smtp.AssertNoExceptionText();
        imap.AssertNoExceptionText();
        output.WriteLine($"a transaction got its 250 {recovered.TotalMilliseconds:N0} ms after space returned");
    }

    /// <summary>A message acknowledged while there was room, whose delivery then met a full disk: delivered once space returns.</summary>
    [Fact]
    public async Task A_message_acknowledged_before_the_disk_filled_is_delivered_after_it_empties()
    {
        await app.Ok("user add late@example.test");
        // Room for the spool file (the MAIL check wants 1 MiB free) but not for the second copy the maildir needs.
        app.Fill();
        using (var hold = new FileStream(app.Filler, FileMode.Open))
        {
            hold.SetLength(hold.Length - (1L << 20) - (200 * 1024)); // tmpfs frees the cut blocks (a longer SetLength would be sparse)
        }

        var body = string.Concat(Enumerable.Repeat(new string('l', 998) + "\r\n", 900)); // 900 KB
        await using (var smtp = await HostileClient.ConnectAsync(app.SmtpPort))
        {
            await smtp.ReadUntilAsync("^220 ");
            await smtp.SendAsync("EHLO late.example\r\nMAIL FROM:<late@example.net>\r\nRCPT TO:<late@example.test>\r\nDATA\r\n");
            await smtp.ReadUntilAsync("^354 ");
            await smtp.SendAsync($"Subject: acknowledged before the disk filled\r\n\r\n{body}.\r\n");
            var reply = await smtp.ReadUntilAsync("^[245][0-9][0-9] ");
            Assert.StartsWith("250 2.0.0", reply, StringComparison.Ordinal);
        }

        // The scheduler's first attempt meets the full disk: the recipient waits, deferred, with its attempt recorded.
        var queue = "";
        var waited = Stopwatch.StartNew();
        while (!queue.Contains("\"attempts\":1", StringComparison.Ordinal))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"no failed attempt recorded: {queue}");
            queue = (await app.Cli.RunAsync("queue list --json")).Output;
        }

        output.WriteLine($"while full: {queue}");
        Assert.Empty(await app.MessagesAsync("late", 0));
        app.Free();
        var watch = Stopwatch.StartNew();
        var files = await WaitForMessageAsync("late", TimeSpan.FromSeconds(60));
        Assert.Single(files);
        Assert.Contains("acknowledged before the disk filled", await File.ReadAllTextAsync(files[0]), StringComparison.Ordinal);
        output.WriteLine($"delivered {watch.Elapsed.TotalSeconds:N1} s after space returned");
    }

    private async Task<IReadOnlyList<string>> WaitForMessageAsync(string user, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var files = await app.MessagesAsync(user, 1);
            if (files.Count > 0 || watch.Elapsed > timeout)
            {
                return files;
            }
        }
    }

    /// <summary>A spool file's text; empty if its message was delivered (and the file removed) since the listing.</summary>
    private static string TextOf(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }
}
