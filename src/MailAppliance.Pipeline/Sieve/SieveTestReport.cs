using System.Globalization;
using System.Text;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// Prints a result the way Pigeonhole's <c>sieve-test</c> does (INTERFACE.md, <c>sieve test</c>): a "Performed
/// actions:" section and an "Implicit keep:" section, each item on a line starting with " * ", details under it.
/// </summary>
public static class SieveTestReport
{
    private static readonly string[] SystemFlags = ["\\answered", "\\flagged", "\\deleted", "\\seen", "\\draft"];

    public static string Format(SieveResult result)
    {
        var sb = new StringBuilder();
        sb.Append("\nPerformed actions:\n\n");
        if (result.Actions.Count == 0)
        {
            sb.Append("  (none)\n");
        }

        foreach (var action in result.Actions)
        {
            Append(sb, action);
        }

        sb.Append("\nImplicit keep:\n\n");
        if (result.ImplicitKeep is { } keep)
        {
            Append(sb, keep);
        }
        else
        {
            sb.Append("  (none)\n");
        }

        sb.Append('\n');
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, SieveAction action)
    {
        switch (action)
        {
            case SieveStoreAction store:
                sb.Append(" * store message in folder: ").Append(store.Folder).Append('\n');
                if (store.Create)
                {
                    sb.Append("        + create mailbox if it does not exist\n");
                }

                if (store.Copy)
                {
                    sb.Append("        + preserve implicit keep\n");
                }

                if (store.Flags.Count > 0)
                {
                    sb.Append("        + add IMAP flags: ").Append(string.Join(' ', PrintOrder(store.Flags))).Append('\n');
                }

                break;
            case SieveRedirectAction redirect:
                sb.Append(" * redirect message to: <").Append(redirect.Address).Append(">\n");
                if (redirect.Copy)
                {
                    sb.Append("        + preserve implicit keep\n");
                }

                break;
            case SieveRejectAction reject:
                sb.Append(" * reject message with reason: ").Append(reject.Reason).Append('\n');
                break;
            case SieveDiscardAction:
                sb.Append(" * discard\n");
                break;
            case SieveVacationAction vacation:
                sb.Append(" * send vacation message:\n");
                sb.Append("    => seconds : ").Append(((long)vacation.Period.TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append('\n');
                if (vacation.Subject is not null)
                {
                    sb.Append("    => subject : ").Append(vacation.Subject).Append('\n');
                }

                if (vacation.From is not null)
                {
                    sb.Append("    => from    : ").Append(vacation.From).Append('\n');
                }

                sb.Append("    => handle  : ").Append(vacation.Handle).Append('\n');
                sb.Append("\nSTART MESSAGE\n").Append(vacation.Reason).Append("\nEND MESSAGE\n");
                break;
        }
    }

    /// <summary>System flags first, lower-cased in Pigeonhole's order, then keywords as given.</summary>
    private static IEnumerable<string> PrintOrder(IReadOnlyList<string> flags)
    {
        foreach (var system in SystemFlags)
        {
            if (flags.Any(f => f.Equals(system, StringComparison.OrdinalIgnoreCase)))
            {
                yield return system;
            }
        }

        foreach (var flag in flags)
        {
            if (!flag.StartsWith('\\'))
            {
                yield return flag;
            }
        }
    }
}
