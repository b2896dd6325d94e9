using System.Text;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Sieve;

namespace MailAppliance.Cli;

/// <summary>
/// <c>sieve put|activate|list|get|test</c> (INTERFACE.md "Verbs"): scripts stored as Pigeonhole keeps them, and a
/// dry run that prints what Pigeonhole's sieve-test prints.
/// </summary>
public static class SieveVerbs
{
    public static async Task Put(AdminContext c)
    {
        if (c.Arguments.Count != 3)
        {
            throw new UsageException("usage: sieve put ADDRESS NAME FILE");
        }

        var (id, address) = await UserAsync(c, c.Arguments[0]);
        var name = c.Arguments[1];
        var content = ReadFile(c.Arguments[2]);
        Compile(name, content);
        var store = Store(c);
        Check(await store.PutAsync(id, address, name, content, c.CancellationToken));
        c.Output.Done($"stored script {name} for {address} ({content.Length} bytes)", new { address = address.ToString(), name, size = content.Length });
    }

    public static async Task Activate(AdminContext c)
    {
        var none = c.Command.Has("--none");
        if (c.Arguments.Count != (none ? 1 : 2))
        {
            throw new UsageException("usage: sieve activate ADDRESS NAME|--none");
        }

        var (id, address) = await UserAsync(c, c.Arguments[0]);
        var name = none ? null : c.Arguments[1];
        Check(await Store(c).ActivateAsync(id, address, name, c.CancellationToken));
        c.Output.Done(name is null ? $"no active script for {address}" : $"activated script {name} for {address}", new { address = address.ToString(), active = name });
    }

    public static async Task List(AdminContext c)
    {
        if (c.Arguments.Count is < 1 or > 2)
        {
            throw new UsageException("usage: sieve list ADDRESS [NAME]");
        }

        var (id, address) = await UserAsync(c, c.Arguments[0]);
        var scripts = (await Store(c).ListAsync(id, address, c.CancellationToken)).Where(s => c.Arguments.Count == 1 || s.Name == c.Arguments[1]).ToList();
        c.Output.Table(scripts.Select(s => new { name = s.Name, active = s.Active, size = s.Size, updatedAt = s.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) }).ToList(),
            ["NAME", "ACTIVE", "SIZE", "UPDATED"],
            s => [s.name, s.active ? "yes" : "no", s.size.ToString(System.Globalization.CultureInfo.InvariantCulture), s.updatedAt]);
    }

    public static async Task Get(AdminContext c)
    {
        if (c.Arguments.Count is < 1 or > 2)
        {
            throw new UsageException("usage: sieve get ADDRESS [NAME]");
        }

        var (_, address) = await UserAsync(c, c.Arguments[0]);
        var store = Store(c);
        byte[]? content;
        if (c.Arguments.Count == 2)
        {
            content = store.Get(address, c.Arguments[1]) ?? throw new DirectoryException(DirectoryError.UnknownUser, $"{address} has no script named {c.Arguments[1]}");
        }
        else
        {
            content = store.GetActive(address)?.Content ?? throw new DirectoryException(DirectoryError.UnknownUser, $"{address} has no active script");
        }

        c.Output.Raw(content);
    }

    /// <summary><c>sieve test SCRIPT MESSAGE [--from ADDR] [--to ADDR]</c>: runs without delivering anything.</summary>
    public static async Task<int> TestAsync(CommandLine command, IReadOnlyList<string> arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Count != 2)
        {
            await error.WriteLineAsync("error: usage: sieve test SCRIPT MESSAGE [--from ADDR] [--to ADDR]");
            return CliApp.UsageError;
        }

        var scriptPath = arguments[0];
        string text;
        byte[] message;
        try
        {
            text = Encoding.UTF8.GetString(File.ReadAllBytes(scriptPath));
            message = File.ReadAllBytes(arguments[1]);
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return CliApp.Failure;
        }

        // Pigeonhole names a script by its file name without ".sieve".
        var name = Path.GetFileName(scriptPath);
        if (name.EndsWith(".sieve", StringComparison.Ordinal))
        {
            name = name[..^6];
        }

        var compiled = SieveCompiler.Compile(name, text);
        foreach (var d in compiled.Diagnostics)
        {
            await error.WriteLineAsync(d.Format(name));
        }

        if (compiled.Script is null)
        {
            return CliApp.Failure;
        }

        var parsed = SieveMessage.Load(message);
        string? HeaderAddress(string header) => parsed.Headers.Where(h => h.Name.Equals(header, StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => Mime.AddressParser.ParseMailboxes(h.Value)).Select(m => m.AddrSpec).FirstOrDefault();
        var from = command.Value("--from") ?? HeaderAddress("Return-Path") ?? HeaderAddress("From") ?? string.Empty;
        var to = command.Value("--to") ?? HeaderAddress("Delivered-To") ?? HeaderAddress("To") ?? "recipient@localhost";
        var directory = Path.GetDirectoryName(Path.GetFullPath(scriptPath))!;
        var user = new SieveUserContext(0, to, [to]) { Scripts = new DirectoryScriptSource(directory) };
        var interpreter = new SieveInterpreter(TimeProvider.System);
        using var stream = new MemoryStream(message, writable: false);
        var result = await interpreter.RunAsync(compiled.Script, new SieveRunInput(new SieveEnvelope(from.Trim('<', '>'), to), stream, user) { DryRun = true }, CancellationToken.None);
        foreach (var d in result.Diagnostics)
        {
            await error.WriteLineAsync(d.Format(name));
        }

        if (result.Failed)
        {
            return CliApp.Failure;
        }

        await output.WriteAsync(SieveTestReport.Format(result));
        return CliApp.Success;
    }

    /// <summary>Fails with the compiler's first error as Pigeonhole words it.</summary>
    internal static void Compile(string name, byte[] content)
    {
        var result = SieveCompiler.Compile(name, Encoding.UTF8.GetString(content));
        if (!result.Succeeded)
        {
            throw new DirectoryException(DirectoryError.InvalidAddress, result.Errors.First().Format(name));
        }
    }

    internal static SieveScriptStore Store(AdminContext c) => new(c.Database, c.Options.Storage.DataDirectory);

    internal static async Task<(long Id, MailAddress Address)> UserAsync(AdminContext c, string text)
    {
        var address = MailAddress.TryParse(text, out var parsed, out var error) ? parsed : throw new DirectoryException(DirectoryError.InvalidAddress, error);
        var users = await c.Directory.ListUsersAsync(address.Domain, c.CancellationToken);
        var user = users.FirstOrDefault(u => MailAddress.Parse(u.Address).Key == address.Key)
            ?? throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");
        return (user.Id, MailAddress.Parse(user.Address));
    }

    internal static void Check(SieveScriptOutcome outcome)
    {
        if (!outcome.Succeeded)
        {
            throw new DirectoryException(DirectoryError.UnknownUser, outcome.Message);
        }
    }

    internal static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DirectoryException(DirectoryError.InvalidAddress, $"cannot read {path}: {e.Message}");
        }
    }

    /// <summary>include for sieve test: personal scripts are NAME.sieve beside the tested script.</summary>
    private sealed class DirectoryScriptSource(string directory) : ISieveScriptSource
    {
        public ValueTask<string?> GetScriptAsync(bool global, string name, CancellationToken cancellationToken)
        {
            var path = Path.Combine(directory, name + ".sieve");
            return ValueTask.FromResult(File.Exists(path) ? File.ReadAllText(path) : null);
        }
    }
}
