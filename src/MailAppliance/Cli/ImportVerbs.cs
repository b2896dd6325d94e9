using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Import;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Import;
using MailAppliance.Storage.Import.Maildir;
using MailAppliance.Storage.Import.Mbox;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Cli;

/// <summary>
/// <c>import mbox|maildir PATH --user ADDRESS [--folder F] [--dedupe] [--dry-run] [--json]</c> (INTERFACE.md): every
/// import ends with <c>imported N, duplicates D, skipped S, failed F</c> (with <c>--json</c> one object of those four
/// counts) and shows progress on stderr when that is a terminal.
/// </summary>
public static class ImportVerbs
{
    public const string MboxUsage = "import mbox PATH --user ADDRESS [--folder F] [--dedupe] [--dry-run]";
    public const string MaildirUsage = "import maildir PATH --user ADDRESS [--folder F] [--dedupe] [--dry-run]";

    public const string ImapUsage = "import imap --host H [--port P] --login L --password-file F --user ADDRESS [--starttls|--plain] [--dedupe]";
    public const string Pop3Usage = "import pop3 --host H [--port P] --login L --password-file F --user ADDRESS [--starttls|--plain] [--dedupe]";

    public static async Task Imap(AdminContext c)
    {
        NoArguments(c, ImapUsage);
        var account = await RemoteAccountAsync(c, RemoteProtocol.Imap);
        await using var source = await ConnectAsync(account, () => ImapImportSource.ConnectAsync(account, inboxOnly: false, c.CancellationToken));
        await RunAsync(c, source, keepSourceUids: true);
    }

    public static async Task Pop3(AdminContext c)
    {
        NoArguments(c, Pop3Usage);
        var account = await RemoteAccountAsync(c, RemoteProtocol.Pop3);
        await using var source = await ConnectAsync(account, () => Pop3ImportSource.ConnectAsync(account, c.CancellationToken));
        await RunAsync(c, source, keepSourceUids: true);
    }

    /// <summary>
    /// The remote account of <c>--host --port --login --password-file --starttls --plain</c> (the password is the
    /// file's first line). Without TLS from the start a password could be read or the STARTTLS stripped on the way:
    /// <c>--starttls</c> and <c>--plain</c> are for loopback only.
    /// </summary>
    internal static async Task<RemoteAccount> RemoteAccountAsync(AdminContext c, RemoteProtocol protocol)
    {
        var host = c.Command.Value("--host") ?? throw new UsageException("--host H is required");
        var login = c.Command.Value("--login") ?? throw new UsageException("--login L is required");
        var passwordFile = c.Command.Value("--password-file") ?? throw new UsageException("--password-file F is required");
        if (c.Command.Has("--starttls") && c.Command.Has("--plain"))
        {
            throw new UsageException("--starttls and --plain exclude each other");
        }

        var security = c.Command.Has("--starttls") ? RemoteSecurity.StartTls : c.Command.Has("--plain") ? RemoteSecurity.Plain : RemoteSecurity.Tls;
        if (security != RemoteSecurity.Tls && !await RemoteAccount.IsLoopbackAsync(host, c.CancellationToken))
        {
            throw new UsageException($"--starttls and --plain are allowed only for a loopback host; {host} is reached with implicit TLS");
        }

        var port = RemoteAccount.DefaultPort(protocol, security);
        if (c.Command.Value("--port") is { } portText && !(int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536))
        {
            throw new UsageException($"--port: '{portText}' is not a port");
        }

        string? password;
        try
        {
            password = File.ReadLines(passwordFile).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"--password-file: {e.Message}");
        }

        return string.IsNullOrEmpty(password)
            ? throw new CommandFailedException($"--password-file: {passwordFile} has no password on its first line")
            : new RemoteAccount(protocol, host, port, security, login, password);
    }

    /// <summary>Connects and logs in; a refusal or an unreachable server is a failure with one line, not a crash.</summary>
    internal static async Task<T> ConnectAsync<T>(RemoteAccount account, Func<Task<T>> connect)
    {
        try
        {
            return await connect();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RemoteImportException or MailKit.ServiceNotConnectedException
            or MailKit.Security.AuthenticationException or MailKit.ProtocolException or MailKit.CommandException or System.Security.Authentication.AuthenticationException)
        {
            throw new CommandFailedException($"{account.Description}: {e.Message}");
        }
    }

    private static void NoArguments(AdminContext c, string usage)
    {
        if (c.Arguments.Count != 0)
        {
            throw new UsageException($"usage: {usage}");
        }
    }

    public static Task Mbox(AdminContext c)
    {
        var path = SinglePath(c, MboxUsage);
        return RunAsync(c, new MboxSource(path, TimeZoneInfo.Local), keepSourceUids: true);
    }

    public static Task Maildir(AdminContext c)
    {
        var path = SinglePath(c, MaildirUsage);
        return RunAsync(c, new MaildirSource(path), keepSourceUids: true);
    }

    internal static async Task RunAsync(AdminContext c, IImportSource source, bool keepSourceUids)
    {
        var user = await UserAsync(c);
        var options = new ImportOptions
        {
            Folder = FolderOption(c),
            Dedupe = c.Command.Has("--dedupe"),
            DryRun = c.Command.Has("--dry-run"),
            KeepSourceUids = keepSourceUids,
        };
        var store = Store(c);
        var importer = new MailImporter(store, TimeProvider.System);
        var progress = Console.IsErrorRedirected ? null : new TerminalProgress(c.Progress);
        var report = await importer.ImportAsync(source, user, options, progress, c.CancellationToken);
        progress?.Finish();
        Summarize(c, report, options.DryRun);
    }

    internal static void Summarize(AdminContext c, ImportReport report, bool dryRun)
    {
        var counts = report.Counts;
        if (c.Output.Json)
        {
            c.Output.Done("", new { imported = counts.Imported, duplicates = counts.Duplicates, skipped = counts.Skipped, failed = counts.Failed });
        }
        else
        {
            foreach (var folder in report.Folders.Where(f => f.NewUidsBecauseNotEmpty))
            {
                c.Output.Line($"{folder.Target}: the folder already held messages, so the imported ones got new UIDs");
            }

            foreach (var failure in report.Failures)
            {
                c.Progress.WriteLine($"failed: {failure}");
            }

            var prefix = dryRun ? "dry run: would have " : "";
            c.Output.Line(string.Create(CultureInfo.InvariantCulture,
                $"{prefix}imported {counts.Imported}, duplicates {counts.Duplicates}, skipped {counts.Skipped}, failed {counts.Failed}"));
        }
    }

    internal static MailStore Store(AdminContext c) =>
        new(c.Database, new MailstoreOptions(c.Options.Storage.DataDirectory) { SyncMode = c.Options.Storage.SyncMode }, TimeProvider.System, NullLogger<MailStore>.Instance);

    internal static async Task<MailUser> UserAsync(AdminContext c)
    {
        var text = c.Command.Value("--user") ?? throw new UsageException("--user ADDRESS is required");
        return await UserAsync(c, text);
    }

    internal static async Task<MailUser> UserAsync(AdminContext c, string text)
    {
        var address = MailAddress.TryParse(text, out var parsed, out var error) ? parsed : throw new DirectoryException(DirectoryError.InvalidAddress, error);
        var users = await c.Directory.ListUsersAsync(address.Domain, c.CancellationToken);
        var user = users.FirstOrDefault(u => MailAddress.Parse(u.Address).Key == address.Key)
            ?? throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");
        return new MailUser(user.Id, MailAddress.Parse(user.Address));
    }

    private static MailboxName? FolderOption(AdminContext c)
    {
        if (c.Command.Value("--folder") is not { } text)
        {
            return null;
        }

        var name = MailboxName.FromImap(text);
        return name.Succeeded ? name.Value : throw new UsageException($"--folder: '{text}' is not a folder name ({name.Failure})");
    }

    private static string SinglePath(AdminContext c, string usage)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {usage}");
        }

        var path = Path.GetFullPath(c.Arguments[0]);
        return File.Exists(path) || Directory.Exists(path) ? path : throw new CommandFailedException($"{c.Arguments[0]}: no such file or directory");
    }

    /// <summary>One line on a terminal, rewritten at most five times a second.</summary>
    private sealed class TerminalProgress(TextWriter writer) : IProgress<ImportProgress>
    {
        private long _last;

        public void Report(ImportProgress value)
        {
            var now = Environment.TickCount64;
            if (now - _last < 200)
            {
                return;
            }

            _last = now;
            var c = value.Counts;
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{value.Folder}: imported {c.Imported}, duplicates {c.Duplicates}, skipped {c.Skipped}, failed {c.Failed}\u001b[K"));
        }

        public void Finish() => writer.Write("\r\u001b[K");
    }
}
