using MailAppliance.Core.Addresses;

namespace MailAppliance.Storage.Accounts;

/// <summary>
/// The targets of a forward as people give them (<c>user forward ADDRESS TARGET...</c>, the console's forward form):
/// each a valid address, none the user itself (a copy stays with <c>--keep</c> instead). One rule for both.
/// </summary>
public static class ForwardTargets
{
    /// <summary>False with the reason; <paramref name="invalidAddress"/> tells a malformed address (the directory's
    /// refusal) from a malformed request (the user itself, nothing given).</summary>
    public static bool TryParse(MailAddress user, IEnumerable<string> texts, out IReadOnlyList<MailAddress> targets, out string error, out bool invalidAddress)
    {
        invalidAddress = false;
        var parsed = new List<MailAddress>();
        targets = parsed;
        error = "";
        foreach (var text in texts.SelectMany(t => t.Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!MailAddress.TryParse(text, out var target, out var reason))
            {
                error = reason;
                invalidAddress = true;
                return false;
            }

            if (target.Key == user.Key)
            {
                error = $"{user} cannot forward to itself (use --keep to keep a copy)";
                return false;
            }

            if (parsed.All(p => p.Key != target.Key))
            {
                parsed.Add(target);
            }
        }

        if (parsed.Count == 0)
        {
            error = "no target given";
            return false;
        }

        return true;
    }
}
