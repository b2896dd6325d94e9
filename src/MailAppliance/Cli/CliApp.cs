using MailAppliance.Configuration;
using MailAppliance.Core.Security;
using MailAppliance.Database;
using MailAppliance.Hosting;
using MailAppliance.Logging;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using Serilog.Extensions.Logging;

namespace MailAppliance.Cli;

/// <summary>
/// The <c>mailappliance</c> command: <c>serve</c> (the default) and the admin verbs, one table that says which
/// words select which handler. Exit codes: 0 done, 1 the operation failed, 2 the command line or the
/// configuration is wrong. Every failure is one line on stderr.
/// </summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    private static readonly (string[] Path, string Usage, Func<AdminContext, Task> Handler)[] AdminVerbs =
    [
        (["domain", "add"], "domain add DOMAIN", DirectoryVerbs.DomainAdd),
        (["domain", "remove"], "domain remove DOMAIN", DirectoryVerbs.DomainRemove),
        (["domain", "list"], "domain list", DirectoryVerbs.DomainList),
        (["user", "add"], "user add ADDRESS [--password-stdin] [--quota SIZE] [--admin]", DirectoryVerbs.UserAdd),
        (["user", "admin"], "user admin ADDRESS on|off", DirectoryVerbs.UserAdmin),
        (["user", "passwd"], "user passwd ADDRESS --password-stdin", DirectoryVerbs.UserPasswd),
        (["user", "remove"], "user remove ADDRESS", DirectoryVerbs.UserRemove),
        (["user", "list"], "user list [DOMAIN]", DirectoryVerbs.UserList),
        (["user", "forward"], "user forward ADDRESS TARGET... [--keep] | user forward ADDRESS --clear", ForwardVerbs.Forward),
        (["alias", "add"], "alias add ALIAS TARGET...", DirectoryVerbs.AliasAdd),
        (["alias", "remove"], "alias remove ALIAS [TARGET...]", DirectoryVerbs.AliasRemove),
        (["alias", "list"], "alias list [DOMAIN]", DirectoryVerbs.AliasList),
        (["reconstruct"], "reconstruct --user ADDRESS | --all", MailstoreVerbs.Reconstruct),
        (["queue", "list"], "queue list [--remote]", QueueVerbs.List),
        (["queue", "show"], "queue show ID", QueueVerbs.Show),
        (["queue", "retry"], "queue retry ID", QueueVerbs.Retry),
        (["queue", "hold"], "queue hold ID", QueueVerbs.Hold),
        (["queue", "release"], "queue release ID", QueueVerbs.Release),
        (["queue", "delete"], "queue delete ID", QueueVerbs.Delete),
        (["sieve", "put"], "sieve put ADDRESS NAME FILE", SieveVerbs.Put),
        (["sieve", "activate"], "sieve activate ADDRESS NAME|--none", SieveVerbs.Activate),
        (["sieve", "list"], "sieve list ADDRESS [NAME]", SieveVerbs.List),
        (["sieve", "get"], "sieve get ADDRESS [NAME]", SieveVerbs.Get),
        (["sieve", "test"], "sieve test SCRIPT MESSAGE [--from ADDR] [--to ADDR]", null!),
        (["sieve", "import-procmail"], "sieve import-procmail FILE --user ADDRESS", ProcmailVerbs.Import),
        (["vacation", "set"], "vacation set ADDRESS --subject S --body-file F [--from DATE] [--until DATE] [--days N]", VacationVerbs.Set),
        (["vacation", "clear"], "vacation clear ADDRESS", VacationVerbs.Clear),
        (["dkim", "generate"], DkimVerbs.GenerateUsage, DkimVerbs.Generate),
        (["dns", "records"], DnsVerbs.RecordsUsage, DnsVerbs.Records),
        (["import", "mbox"], ImportVerbs.MboxUsage, ImportVerbs.Mbox),
        (["import", "maildir"], ImportVerbs.MaildirUsage, ImportVerbs.Maildir),
        (["import", "imap"], ImportVerbs.ImapUsage, ImportVerbs.Imap),
        (["import", "pop3"], ImportVerbs.Pop3Usage, ImportVerbs.Pop3),
        (["fetch", "add"], FetchVerbs.AddUsage, FetchVerbs.Add),
        (["fetch", "list"], FetchVerbs.ListUsage, FetchVerbs.List),
        (["fetch", "remove"], FetchVerbs.RemoveUsage, FetchVerbs.Remove),
        (["import", "passwords"], PasswordImportVerb.Usage, PasswordImportVerb.Passwords),
        (["report"], ReportVerbs.Usage, ReportVerbs.Report),
        (["spam", "check"], "spam check FILE...|- [--user ADDRESS]", SpamVerbs.Check),
        (["spam", "learn"], "spam learn spam|ham PATH... [--user ADDRESS]", SpamVerbs.Learn),
        (["spam", "allow"], "spam allow ADDRESS-OR-DOMAIN [--user ADDRESS | --domain DOMAIN]", SpamVerbs.Allow),
        (["spam", "block"], "spam block ADDRESS-OR-DOMAIN [--user ADDRESS | --domain DOMAIN]", SpamVerbs.Block),
        (["spam", "threshold"], "spam threshold tag|reject|discard-forward N [--user ADDRESS | --domain DOMAIN]", SpamVerbs.Threshold),
        (["spam", "show"], "spam show [--user ADDRESS | --domain DOMAIN]", SpamVerbs.Show),
    ];

    /// <summary>Whether <paramref name="args"/> start the server (rather than an admin verb, help or a usage error).</summary>
    public static bool IsServe(string[] args)
    {
        try
        {
            var command = CommandLine.Parse(args);
            return !command.Help && !command.Has("--version") && command.Words is [] or ["serve"];
        }
        catch (UsageException)
        {
            return false;
        }
    }

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        CommandLine command;
        try
        {
            command = CommandLine.Parse(args);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message} (see: mailappliance --help)");
            return UsageError;
        }

        if (command.Has("--version"))
        {
            await output.WriteLineAsync($"mailappliance {typeof(CliApp).Assembly.GetName().Version}");
            return Success;
        }

        if (command.Help || command.Words is ["help", ..])
        {
            await output.WriteAsync(HelpText());
            return Success;
        }

        var isServe = command.Words.Count == 0 || command.Words[0] == "serve";
        (string[] Path, string Usage, Func<AdminContext, Task> Handler)? verb = null;
        if (!isServe)
        {
            verb = AdminVerbs.FirstOrDefault(v => command.Words.Count >= v.Path.Length && v.Path.SequenceEqual(command.Words.Take(v.Path.Length)));
            if (command.Words is ["sieve", "test", ..])
            {
                // sieve test needs neither the configuration's database nor the directory: like sieve-test it
                // reads a script and a message from files.
                return await SieveVerbs.TestAsync(command, command.Words.Skip(2).ToList(), output, error);
            }

            if (verb?.Handler is null)
            {
                await error.WriteLineAsync($"error: unknown command '{string.Join(' ', command.Words.Take(2))}' (see: mailappliance --help)");
                return UsageError;
            }
        }
        else if (command.Words.Count > 1)
        {
            await error.WriteLineAsync($"error: serve takes no arguments (see: mailappliance --help)");
            return UsageError;
        }

        ApplianceOptions options;
        try
        {
            options = OptionsReader.Read(ConfigurationLoader.Load(command.ConfigFile));
        }
        catch (ConfigurationException e)
        {
            await error.WriteLineAsync(e.Message);
            return UsageError;
        }

        using var logger = LoggingSetup.CreateLogger(options.Logging, forAdminVerb: !isServe);
        try
        {
            if (isServe)
            {
                return await ServeCommand.RunAsync(options, logger, cancellationToken);
            }

            using var loggers = new SerilogLoggerFactory(logger, dispose: false);
            await using var database = await MetadataDatabase.OpenAsync(options, loggers, cancellationToken);
            var context = new AdminContext(command, command.Words.Skip(verb!.Value.Path.Length).ToList(), options,
                new AccountDirectory(database.Database), new PasswordHasher(options.Auth.Pbkdf2Iterations), input,
                new Output(output, command.Json), error, database.Database, cancellationToken);
            await verb.Value.Handler(context);
            return Success;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is DirectoryException or CommandFailedException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return Failure;
        }
        catch (EmbeddedPostgresException e)
        {
            await error.WriteLineAsync($"error: embedded PostgreSQL: {e.Message}");
            return Failure;
        }
        catch (Exception e) when (StorageFailures.IsUnreachable(e))
        {
            await error.WriteLineAsync($"error: database unreachable: {OneLine(e.Message)}");
            return Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("error: interrupted");
            return Failure;
        }
        catch (Exception e)
        {
            logger.Fatal(e, "Unhandled failure");
            await error.WriteLineAsync($"error: {OneLine(e.Message)}");
            return Failure;
        }
    }

    public static string HelpText()
    {
        var lines = new List<string>
        {
            "usage: mailappliance [serve] [--config FILE]",
            "       mailappliance [--config FILE] [--json] COMMAND",
            "",
            "commands:",
            "  serve                                run every listener (the default)",
        };
        lines.AddRange(AdminVerbs.Select(v => "  " + v.Usage));
        lines.Add("");
        lines.Add("Configuration: appsettings.json beside the binary, then --config FILE, then MAILAPPLIANCE_* environment variables.");
        lines.Add("See docs/configuration.md for every key.");
        return string.Join('\n', lines) + "\n";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
