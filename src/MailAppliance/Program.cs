using MailAppliance.Cli;
using MailAppliance.Hosting;

// serve first relaunches itself once with prompt tiering (PromptTiering): nothing has happened yet that it would repeat.
if (CliApp.IsServe(args))
{
    PromptTiering.RelaunchIfNeeded();
}

// Ctrl-C and SIGTERM during serve are handled by the host's console lifetime; for the short admin verbs the
// default (terminate) is right, except that a running transaction is simply rolled back by PostgreSQL.
return await CliApp.RunAsync(args, Console.In, Console.Out, Console.Error, CancellationToken.None);
