using MailAppliance.Core.Addresses;
using MailAppliance.Core.Text;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary><c>domain</c>, <c>user</c> and <c>alias</c> verbs.</summary>
public static class DirectoryVerbs
{
    public static async Task DomainAdd(AdminContext c)
    {
        var domain = Domain(Single(c, "domain add DOMAIN"));
        await c.Directory.AddDomainAsync(domain, c.CancellationToken);
        c.Output.Done($"added domain {domain}", new { added = "domain", domain = domain.Ascii });
    }

    public static async Task DomainRemove(AdminContext c)
    {
        var domain = Domain(Single(c, "domain remove DOMAIN"));
        await c.Directory.RemoveDomainAsync(domain, c.CancellationToken);
        c.Output.Done($"removed domain {domain}", new { removed = "domain", domain = domain.Ascii });
    }

    public static async Task DomainList(AdminContext c)
    {
        None(c, "domain list");
        var domains = await c.Directory.ListDomainsAsync(c.CancellationToken);
        c.Output.Table(domains, ["DOMAIN", "UNICODE", "USERS", "ALIASES"],
            d => [d.Name, d.UnicodeName, d.Users.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Aliases.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    public static async Task UserAdd(AdminContext c)
    {
        var address = Address(Single(c, "user add ADDRESS [--password-stdin] [--quota SIZE]"));
        long? quota = null;
        if (c.Command.Value("--quota") is { } quotaText)
        {
            quota = ByteSize.TryParse(quotaText, out var bytes) && bytes > 0 ? bytes : throw new UsageException($"--quota: '{quotaText}' is not a size (bytes, or with K, M, G)");
        }

        var hash = c.Command.Has("--password-stdin") ? c.Hasher.Hash(ReadPassword(c)) : null;
        await c.Directory.AddUserAsync(address, hash, quota, c.CancellationToken);
        var note = hash is null ? " (no password: it cannot log in until 'user passwd')" : "";
        c.Output.Done($"added user {address}{note}", new { added = "user", address = address.ToString(), quotaBytes = quota, hasPassword = hash is not null });
    }

    public static async Task UserPasswd(AdminContext c)
    {
        var address = Address(Single(c, "user passwd ADDRESS --password-stdin"));
        if (!c.Command.Has("--password-stdin"))
        {
            throw new UsageException("user passwd needs --password-stdin (the password is read from standard input, never from the command line)");
        }

        await c.Directory.SetPasswordAsync(address, c.Hasher.Hash(ReadPassword(c)), c.CancellationToken);
        c.Output.Done($"changed the password of {address}", new { changed = "password", address = address.ToString() });
    }

    public static async Task UserRemove(AdminContext c)
    {
        var address = Address(Single(c, "user remove ADDRESS"));
        await c.Directory.RemoveUserAsync(address, c.CancellationToken);
        c.Output.Done($"removed user {address} (the maildir stays on disk)", new { removed = "user", address = address.ToString() });
    }

    public static async Task UserList(AdminContext c)
    {
        var domain = OptionalDomain(c, "user list [DOMAIN]");
        var users = await c.Directory.ListUsersAsync(domain, c.CancellationToken);
        c.Output.Table(users, ["ADDRESS", "QUOTA", "ENABLED", "PASSWORD", "CREATED"],
            u => [u.Address, u.QuotaBytes is { } q ? ByteSize.Format(q) : "-", u.Enabled ? "yes" : "no", u.HasPassword ? "set" : "none", u.CreatedAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)]);
    }

    public static async Task AliasAdd(AdminContext c)
    {
        if (c.Arguments.Count < 2)
        {
            throw new UsageException("usage: alias add ALIAS TARGET...");
        }

        var alias = Address(c.Arguments[0]);
        var targets = c.Arguments.Skip(1).Select(Address).ToList();
        await c.Directory.AddAliasAsync(alias, targets, c.CancellationToken);
        c.Output.Done($"alias {alias} -> {string.Join(", ", targets)}", new { added = "alias", alias = alias.ToString(), targets = targets.Select(t => t.ToString()) });
    }

    public static async Task AliasRemove(AdminContext c)
    {
        if (c.Arguments.Count < 1)
        {
            throw new UsageException("usage: alias remove ALIAS [TARGET...]");
        }

        var alias = Address(c.Arguments[0]);
        var targets = c.Arguments.Skip(1).Select(Address).ToList();
        await c.Directory.RemoveAliasAsync(alias, targets, c.CancellationToken);
        c.Output.Done(targets.Count == 0 ? $"removed alias {alias}" : $"removed {string.Join(", ", targets)} from alias {alias}",
            new { removed = targets.Count == 0 ? "alias" : "targets", alias = alias.ToString(), targets = targets.Select(t => t.ToString()) });
    }

    public static async Task AliasList(AdminContext c)
    {
        var domain = OptionalDomain(c, "alias list [DOMAIN]");
        var aliases = await c.Directory.ListAliasesAsync(domain, c.CancellationToken);
        c.Output.Table(aliases, ["ALIAS", "TARGETS"], a => [a.Address, string.Join(", ", a.Targets)]);
    }

    private static string ReadPassword(AdminContext c)
    {
        // One line from standard input; the line end is not part of the password.
        var password = c.Input.ReadLine();
        if (string.IsNullOrEmpty(password))
        {
            throw new UsageException("--password-stdin: no password on standard input");
        }

        return password;
    }

    private static string Single(AdminContext c, string usage) =>
        c.Arguments.Count == 1 ? c.Arguments[0] : throw new UsageException($"usage: {usage}");

    private static void None(AdminContext c, string usage)
    {
        if (c.Arguments.Count != 0)
        {
            throw new UsageException($"usage: {usage}");
        }
    }

    private static DomainName? OptionalDomain(AdminContext c, string usage) => c.Arguments.Count switch
    {
        0 => null,
        1 => Domain(c.Arguments[0]),
        _ => throw new UsageException($"usage: {usage}"),
    };

    private static DomainName Domain(string text) =>
        DomainName.TryParse(text, out var domain, out var error) ? domain : throw new DirectoryException(DirectoryError.InvalidAddress, error);

    internal static MailAddress Address(string text) =>
        MailAddress.TryParse(text, out var address, out var error) ? address : throw new DirectoryException(DirectoryError.InvalidAddress, error);
}
