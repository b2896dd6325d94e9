using System.Text;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Cli;

/// <summary><c>sieve import-procmail FILE --user ADDRESS</c>: converts, stores as script "procmail", activates,
/// and lists on stderr what was not converted.</summary>
public static class ProcmailVerbs
{
    public const string ScriptName = "procmail";

    public static async Task Import(AdminContext c)
    {
        var user = c.Command.Value("--user");
        if (c.Arguments.Count != 1 || user is null)
        {
            throw new UsageException("usage: sieve import-procmail FILE --user ADDRESS");
        }

        var conversion = ProcmailConverter.Convert(Encoding.UTF8.GetString(SieveVerbs.ReadFile(c.Arguments[0])));
        var (id, address) = await SieveVerbs.UserAsync(c, user);
        var content = Encoding.UTF8.GetBytes(conversion.Script);
        SieveVerbs.Compile(ScriptName, content);
        var store = SieveVerbs.Store(c);
        SieveVerbs.Check(await store.PutAsync(id, address, ScriptName, content, c.CancellationToken));
        SieveVerbs.Check(await store.ActivateAsync(id, address, ScriptName, c.CancellationToken));
        foreach (var line in conversion.NotConverted)
        {
            await c.Progress.WriteLineAsync($"not converted: {line}");
        }

        c.Output.Done($"converted {conversion.Recipes} recipes into script {ScriptName} for {address} (active); {conversion.NotConverted.Count} not converted",
            new { address = address.ToString(), script = ScriptName, converted = conversion.Recipes, notConverted = conversion.NotConverted });
    }
}
