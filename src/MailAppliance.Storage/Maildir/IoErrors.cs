namespace MailAppliance.Storage.Maildir;

/// <summary>Classifies I/O exceptions without a racy second look at the file system.</summary>
internal static class IoErrors
{
    // .NET on Unix puts errno into HResult (EEXIST = 17 on Linux and macOS); on Windows ERROR_FILE_EXISTS / ERROR_ALREADY_EXISTS.
    private const int UnixEExist = 17;
    private const int WindowsFileExists = unchecked((int)0x80070050);
    private const int WindowsAlreadyExists = unchecked((int)0x800700B7);

    /// <summary>True when an O_EXCL create or a no-clobber link failed because the name is taken.</summary>
    public static bool IsAlreadyExists(IOException exception) =>
        exception.GetType() == typeof(IOException)
        && exception.HResult is UnixEExist or WindowsFileExists or WindowsAlreadyExists;
}
