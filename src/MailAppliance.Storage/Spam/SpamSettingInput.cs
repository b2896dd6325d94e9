using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Storage.Spam;

/// <summary>How a scope given by name failed: the request itself is malformed, or it names what does not exist.</summary>
public enum SpamInputError
{
    None,
    Malformed,
    NotFound,
}

/// <summary>
/// The one reading of spam settings as people type them — threshold kinds and values, allow/block entries, the
/// level (<c>--user</c>/<c>--domain</c>) — shared by the <c>spam</c> verbs and the console's forms, so both accept and
/// refuse exactly the same input with the same words.
/// </summary>
public static class SpamSettingInput
{
    public const string ThresholdKinds = "tag|reject|discard-forward";

    public static string Name(SpamThresholdKind kind) => kind switch
    {
        SpamThresholdKind.Tag => "tag",
        SpamThresholdKind.Reject => "reject",
        _ => "discard-forward",
    };

    public static bool TryParseKind(string text, out SpamThresholdKind kind)
    {
        (var ok, kind) = text switch
        {
            "tag" => (true, SpamThresholdKind.Tag),
            "reject" => (true, SpamThresholdKind.Reject),
            "discard-forward" => (true, SpamThresholdKind.DiscardForward),
            _ => (false, SpamThresholdKind.Tag),
        };
        return ok;
    }

    /// <summary>A threshold: a finite decimal number with a point (<c>5</c>, <c>-1.5</c>, <c>4.25</c>), culture-free.</summary>
    public static bool TryParseThreshold(string text, out double value, out string error)
    {
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
        {
            error = "";
            return true;
        }

        error = $"'{text}' is not a number";
        return false;
    }

    /// <summary>An allow/block entry: an address (its key, lower case) or a domain (its A-label).</summary>
    public static bool TryParseEntry(string text, out string entry, out string error)
    {
        var trimmed = text.Trim();
        if (trimmed.Contains('@', StringComparison.Ordinal))
        {
            if (MailAddress.TryParse(trimmed, out var address, out var reason))
            {
                (entry, error) = (address.Key, "");
                return true;
            }

            (entry, error) = ("", $"'{text}': {reason}");
            return false;
        }

        if (DomainName.TryParse(trimmed, out var domain, out var domainError))
        {
            (entry, error) = (domain.Ascii, "");
            return true;
        }

        (entry, error) = ("", $"'{text}': {domainError}");
        return false;
    }

    /// <summary>
    /// The level named by a user address or a domain (both given is malformed; neither is global). A user must be a
    /// mailbox of ours and a domain one of our domains.
    /// </summary>
    public static async Task<(SpamScope? Scope, SpamInputError Error, string Message)> ResolveScopeAsync(AccountDirectory directory, string? user, string? domain,
        CancellationToken cancellationToken)
    {
        if (user is not null && domain is not null)
        {
            return (null, SpamInputError.Malformed, "give --user or --domain, not both");
        }

        if (user is not null)
        {
            if (!MailAddress.TryParse(user, out var address, out var error))
            {
                return (null, SpamInputError.Malformed, $"--user: {error}");
            }

            return await directory.ResolveAsync(address, cancellationToken) is Resolution.Recipients { Users: var users }
                && users.Any(u => u.Address.Equals(address.ToString(), StringComparison.OrdinalIgnoreCase))
                ? (SpamScope.ForUser(address.Key), SpamInputError.None, "")
                : (null, SpamInputError.NotFound, $"no user {address}");
        }

        if (domain is not null)
        {
            if (!DomainName.TryParse(domain, out var name, out var error))
            {
                return (null, SpamInputError.Malformed, $"--domain: {error}");
            }

            return (await directory.ListDomainsAsync(cancellationToken)).Any(d => d.Name == name.Ascii)
                ? (SpamScope.ForDomain(name.Ascii), SpamInputError.None, "")
                : (null, SpamInputError.NotFound, $"no domain {name.Ascii}");
        }

        return (SpamScope.Global, SpamInputError.None, "");
    }
}
