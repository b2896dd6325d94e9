using System.Text;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class MaildirDeliveryTests
{
    private static readonly MaildirNameGenerator Names = new(TimeProvider.System, 4242, "mx.example.test");

    private static MaildirFolder NewFolder(TempDirectory temp) => MaildirFolder.Create(temp.Combine("Maildir"), isSubfolder: false);

    [Fact]
    public async Task Commit_leaves_exactly_one_file_in_new_with_sizes_in_its_name()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);
        var message = "Subject: hi\r\n\r\nhello\r\n"u8.ToArray();

        MaildirEntry entry;
        await using (var delivery = folder.BeginDelivery(Names))
        {
            Assert.True(File.Exists(delivery.TmpPath));
            await delivery.Body.WriteAsync(message);
            entry = await delivery.CommitAsync();
        }

        var file = Assert.Single(Directory.GetFiles(folder.NewPath));
        Assert.Equal(file, entry.Path);
        Assert.Empty(Directory.GetFiles(folder.TmpPath));
        Assert.Empty(Directory.GetFiles(folder.CurPath));
        Assert.True(entry.IsNew);
        Assert.Null(entry.Name.Info);
        Assert.Matches(@"^\d+\.M\d+P4242\.mx\.example\.test,S=22,W=22$", Path.GetFileName(file));
        Assert.Equal(message, await File.ReadAllBytesAsync(file));
        Assert.Equal(22, entry.Size);
    }

    [Fact]
    public async Task W_counts_bare_line_feeds_as_crlf()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);

        using var delivery = folder.BeginDelivery(Names);
        // Split writes: a CR at the end of one write and its LF at the start of the next is one CRLF.
        await delivery.Body.WriteAsync(Encoding.ASCII.GetBytes("a\nb\r"));
        await delivery.Body.WriteAsync(Encoding.ASCII.GetBytes("\nc\n\n"));
        delivery.Body.Write(Encoding.ASCII.GetBytes("\r\n"));
        var entry = await delivery.CommitAsync();

        Assert.Equal(10, entry.Name.Size);
        Assert.Equal(13, entry.Name.VirtualSize);
    }

    [Fact]
    public async Task Dispose_without_commit_leaves_nothing()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);

        await using (var delivery = folder.BeginDelivery(Names))
        {
            await delivery.Body.WriteAsync("partial"u8.ToArray());
        }

        using (var delivery = folder.BeginDelivery(Names))
        {
            delivery.Body.Write("partial"u8);
        }

        Assert.Empty(Directory.GetFiles(folder.TmpPath));
        Assert.Empty(Directory.GetFiles(folder.NewPath));
        Assert.Empty(Directory.GetFiles(folder.CurPath));
    }

    [Fact]
    public async Task Flags_keywords_and_internal_date_put_the_message_in_cur()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);
        var internalDate = new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero);

        using var delivery = folder.BeginDelivery(Names);
        await delivery.Body.WriteAsync("x\r\n"u8.ToArray());
        var entry = await delivery.CommitAsync(MaildirFlags.Seen, [0], internalDate);

        Assert.False(entry.IsNew);
        Assert.EndsWith(",S=3,W=3:2,Sa", entry.Path, StringComparison.Ordinal);
        Assert.Equal(folder.CurPath, Path.GetDirectoryName(entry.Path));
        Assert.Equal(internalDate, entry.InternalDate);
        Assert.Equal(internalDate.UtcDateTime, File.GetLastWriteTimeUtc(entry.Path));
        Assert.Empty(Directory.GetFiles(folder.NewPath));
    }

    [Fact]
    public async Task A_clash_of_final_names_is_retried_not_clobbered()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);
        var clock = new StoppedClock(DateTimeOffset.FromUnixTimeSeconds(1700000000));

        // Two generators with the same pid, host and clock: the same unique parts, as in two processes sharing a pid.
        var first = folder.BeginDelivery(new MaildirNameGenerator(clock, 1, "h"));
        await first.Body.WriteAsync("one"u8.ToArray());
        var firstEntry = await first.CommitAsync();
        var second = folder.BeginDelivery(new MaildirNameGenerator(clock, 1, "h"));
        await second.Body.WriteAsync("two"u8.ToArray());
        var secondEntry = await second.CommitAsync();

        Assert.NotEqual(firstEntry.Path, secondEntry.Path);
        Assert.Equal("one", await File.ReadAllTextAsync(firstEntry.Path));
        Assert.Equal("two", await File.ReadAllTextAsync(secondEntry.Path));
        Assert.Equal(2, Directory.GetFiles(folder.NewPath).Length);
    }

    [Fact]
    public async Task Many_concurrent_deliveries_each_land_once()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);
        var names = MaildirNameGenerator.ForCurrentProcess(TimeProvider.System);

        var entries = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            await using var delivery = folder.BeginDelivery(names);
            await delivery.Body.WriteAsync(Encoding.ASCII.GetBytes($"message {i}\r\n"));
            return await delivery.CommitAsync();
        })));

        Assert.Equal(50, entries.Select(e => e.BaseName).Distinct().Count());
        Assert.Equal(50, Directory.GetFiles(folder.NewPath).Length);
        Assert.Empty(Directory.GetFiles(folder.TmpPath));
    }

    [Fact]
    public async Task A_committed_delivery_cannot_commit_again()
    {
        using var temp = new TempDirectory();
        var folder = NewFolder(temp);
        await using var delivery = folder.BeginDelivery(Names);
        await delivery.CommitAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => delivery.CommitAsync());
        Assert.Single(Directory.GetFiles(folder.NewPath));
    }

    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
