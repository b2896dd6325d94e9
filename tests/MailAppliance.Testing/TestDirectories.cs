namespace MailAppliance.Testing;

/// <summary>
/// Fresh directories under /tmp for tests. They are made traversable (0755) because the embedded PostgreSQL of a
/// root test run works as the postgres OS user, who must reach the cluster inside them.
/// </summary>
public static class TestDirectories
{
    public static string Create(string purpose)
    {
        var path = Path.Combine("/tmp", $"ma-test-{purpose}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    public static void Delete(string path)
    {
        // A cluster that has just shut down may still be removing its files: try a few times, then leave it to /tmp.
        for (var attempt = 0; attempt < 5 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}
