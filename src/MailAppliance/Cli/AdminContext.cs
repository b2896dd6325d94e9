using MailAppliance.Configuration;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary>What an admin verb works with: its arguments, the options, the directory, and where to write.</summary>
public sealed record AdminContext(
    CommandLine Command,
    IReadOnlyList<string> Arguments,
    ApplianceOptions Options,
    AccountDirectory Directory,
    PasswordHasher Hasher,
    TextReader Input,
    Output Output,
    TextWriter Progress,
    MailAppliance.Storage.Database.StorageDatabase Database,
    CancellationToken CancellationToken);
