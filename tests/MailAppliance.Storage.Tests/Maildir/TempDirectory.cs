using System.Runtime.CompilerServices;

namespace MailAppliance.Storage.Tests.Maildir;

/// <summary>A real directory under the system temp directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("maildir-test-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Copies the hand-captured Dovecot tree into this directory (recreating the empty cur/new/tmp git drops).</summary>
    public string CopyDovecotFixture([CallerFilePath] string callerFile = "")
    {
        var source = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(callerFile)!, "Fixtures", "dovecot-2.3.19", "Maildir");
        var target = Combine("Maildir");
        CopyTree(source, target);
        foreach (var folder in new[] { target }.Concat(Directory.GetDirectories(target, ".*")))
        {
            foreach (var sub in new[] { "cur", "new", "tmp" })
            {
                Directory.CreateDirectory(System.IO.Path.Combine(folder, sub));
            }
        }

        return target;
    }

    public static string FixturePath(string relative, [CallerFilePath] string callerFile = "") =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(callerFile)!, "Fixtures", relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            CopyTree(directory, System.IO.Path.Combine(target, System.IO.Path.GetFileName(directory)));
        }
    }
}
