namespace MailAppliance.Pipeline.Authentication;

/// <summary>
/// Private keys under <c>&lt;DataDirectory&gt;/dkim/&lt;domain&gt;/&lt;selector&gt;.key</c>: directories 0700, files 0600,
/// written once (an existing file is never overwritten) and made durable before they are indexed.
/// </summary>
public sealed class DkimKeyFiles(string directory)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = directory;

    public string PathOf(string domain, string selector) => Path.Combine(Directory, domain.ToLowerInvariant(), selector + ".key");

    /// <summary>Writes a new key file; false when one exists already for this domain and selector.</summary>
    public bool TryCreate(string domain, string selector, string pem)
    {
        var path = PathOf(domain, selector);
        CreateDirectory(Directory);
        CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        using (file)
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(pem));
            file.Flush(flushToDisk: true);
        }

        return true;
    }

    public void Delete(string domain, string selector) => File.Delete(PathOf(domain, selector));

    public string Read(string path) => File.ReadAllText(path);

    private static void CreateDirectory(string path)
    {
        if (!System.IO.Directory.Exists(path))
        {
            System.IO.Directory.CreateDirectory(path, DirectoryMode);
        }
    }
}
