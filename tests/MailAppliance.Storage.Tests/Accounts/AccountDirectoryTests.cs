using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Testing;

namespace MailAppliance.Storage.Tests.Accounts;

public class AccountDirectoryTests : IClassFixture<DatabaseFixture>
{
    private readonly AccountDirectory _directory;
    private readonly string _domain;

    public AccountDirectoryTests(DatabaseFixture database)
    {
        _directory = new AccountDirectory(database.Database);
        // Every test works in a domain of its own, so tests in this class never see each other.
        _domain = $"d{Guid.NewGuid():N}"[..12] + ".test";
        _directory.AddDomainAsync(DomainName.Parse(_domain)).GetAwaiter().GetResult();
    }

    private MailAddress A(string local) => MailAddress.Parse($"{local}@{_domain}");

    [Fact]
    public async Task Domains_are_added_once_listed_and_removed()
    {
        var other = DomainName.Parse("Bücher-" + _domain);
        await _directory.AddDomainAsync(other);
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddDomainAsync(DomainName.Parse(other.Unicode.ToUpperInvariant())));
        Assert.Equal(DirectoryError.DomainExists, error.Error);

        var listed = (await _directory.ListDomainsAsync()).Single(d => d.Name == other.Ascii);
        Assert.StartsWith("xn--", listed.Name, StringComparison.Ordinal);
        Assert.Equal(other.Unicode, listed.UnicodeName);

        await _directory.RemoveDomainAsync(other);
        Assert.DoesNotContain(await _directory.ListDomainsAsync(), d => d.Name == other.Ascii);
    }

    [Fact]
    public async Task Removing_an_unknown_domain_is_an_error()
    {
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveDomainAsync(DomainName.Parse("never-" + _domain)));
        Assert.Equal(DirectoryError.UnknownDomain, error.Error);
    }

    [Fact]
    public async Task A_domain_with_users_or_aliases_cannot_be_removed()
    {
        await _directory.AddUserAsync(A("someone"), null, null);
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveDomainAsync(DomainName.Parse(_domain)));
        Assert.Equal(DirectoryError.DomainNotEmpty, error.Error);
        Assert.Contains("1 user", error.Message, StringComparison.Ordinal);
        Assert.Contains(await _directory.ListDomainsAsync(), d => d.Name == _domain);
    }

    [Fact]
    public async Task Users_are_added_with_hash_and_quota_and_listed()
    {
        await _directory.AddUserAsync(A("Alice"), "{PBKDF2-SHA256}$1000$AAAA$AAAA", 1L << 30);
        var user = (await _directory.ListUsersAsync(DomainName.Parse(_domain))).Single(u => u.Address.StartsWith("Alice@", StringComparison.Ordinal));
        Assert.Equal(1L << 30, user.QuotaBytes);
        Assert.True(user.HasPassword);
        Assert.True(user.Enabled);
    }

    [Fact]
    public async Task A_user_in_an_unknown_domain_is_refused()
    {
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddUserAsync(MailAddress.Parse("x@nowhere-" + _domain), null, null));
        Assert.Equal(DirectoryError.UnknownDomain, error.Error);
    }

    [Fact]
    public async Task Duplicate_users_are_refused_whatever_the_case()
    {
        await _directory.AddUserAsync(A("bob"), null, null);
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddUserAsync(MailAddress.Parse($"BOB@{_domain.ToUpperInvariant()}"), null, null));
        Assert.Equal(DirectoryError.AddressExists, error.Error);
        Assert.Single(await _directory.ListUsersAsync(DomainName.Parse(_domain)), u => u.Address.Equals($"bob@{_domain}", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Passwords_change_for_known_users_only()
    {
        await _directory.AddUserAsync(A("carol"), null, null);
        Assert.Null(await _directory.FindLoginAsync(A("carol")));
        await _directory.SetPasswordAsync(A("CAROL"), "{PBKDF2-SHA256}$1000$AAAA$BBBB");
        Assert.Equal("{PBKDF2-SHA256}$1000$AAAA$BBBB", (await _directory.FindLoginAsync(A("carol")))!.Value.PasswordHash);

        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.SetPasswordAsync(A("nobody"), "x"));
        Assert.Equal(DirectoryError.UnknownUser, error.Error);
    }

    [Fact]
    public async Task Removing_users_removes_them_and_unknown_ones_are_errors()
    {
        await _directory.AddUserAsync(A("dave"), null, null);
        await _directory.RemoveUserAsync(A("Dave"));
        Assert.IsType<Resolution.Unknown>(await _directory.ResolveAsync(A("dave")));
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveUserAsync(A("dave")));
        Assert.Equal(DirectoryError.UnknownUser, error.Error);
    }

    [Fact]
    public async Task Aliases_expand_to_users_and_external_addresses_through_other_aliases()
    {
        await _directory.AddUserAsync(A("erin"), null, null);
        await _directory.AddUserAsync(A("frank"), null, null);
        await _directory.AddAliasAsync(A("team"), [A("erin"), A("frank")]);
        await _directory.AddAliasAsync(A("all"), [A("team"), A("erin"), MailAddress.Parse("partner@elsewhere.example")]);

        var resolved = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(A("ALL")));
        Assert.Equal([$"erin@{_domain}", $"frank@{_domain}"], resolved.Users.Select(u => u.Address).Order());
        Assert.Equal(["partner@elsewhere.example"], resolved.External);

        var alias = (await _directory.ListAliasesAsync(DomainName.Parse(_domain))).Single(a => a.Address == $"all@{_domain}");
        Assert.Equal([$"team@{_domain}", $"erin@{_domain}", "partner@elsewhere.example"], alias.Targets);
    }

    [Fact]
    public async Task A_users_forward_is_resolved_with_the_user_directly_and_through_an_alias()
    {
        await _directory.AddUserAsync(A("hal"), null, null);
        await _directory.AddUserAsync(A("ivy"), null, null);
        await _directory.AddAliasAsync(A("desk"), [A("hal")]);
        await _directory.SetForwardAsync(A("hal"), [MailAddress.Parse("Hal@Away.example"), A("ivy")], keep: false);

        foreach (var address in new[] { A("hal"), A("desk") })
        {
            var moved = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(address));
            Assert.Equal([$"ivy@{_domain}"], moved.Users.Select(u => u.Address)); // a local target expands, hal's box is skipped
            Assert.Equal(["Hal@away.example"], moved.External);
        }

        await _directory.SetForwardAsync(A("hal"), [MailAddress.Parse("hal@away.example")], keep: true);
        var kept = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(A("hal")));
        Assert.Equal([$"hal@{_domain}"], kept.Users.Select(u => u.Address));
        Assert.Equal(["hal@away.example"], kept.External);

        await _directory.SetForwardAsync(A("hal"), [MailAddress.Parse("hal@away.example")], keep: false);
        Assert.True(await _directory.RecordForwardOutcomeAsync(A("hal"), refusedAsSpam: true, "550 5.7.1 spam", pauseAfter: 1));
        var paused = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(A("hal"))); // a paused forward keeps the mail here
        Assert.Equal([$"hal@{_domain}"], paused.Users.Select(u => u.Address));
        Assert.Empty(paused.External);

        Assert.True(await _directory.ClearForwardAsync(A("hal")));
        var plain = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(A("desk")));
        Assert.Equal([$"hal@{_domain}"], plain.Users.Select(u => u.Address));
        Assert.Empty(plain.External);
    }

    [Fact]
    public async Task Adding_to_an_existing_alias_appends_targets_once()
    {
        await _directory.AddUserAsync(A("gina"), null, null);
        await _directory.AddAliasAsync(A("sales"), [A("gina")]);
        await _directory.AddAliasAsync(A("sales"), [A("gina"), MailAddress.Parse("rep@outside.example")]);
        var alias = (await _directory.ListAliasesAsync(DomainName.Parse(_domain))).Single(a => a.Address == $"sales@{_domain}");
        Assert.Equal([$"gina@{_domain}", "rep@outside.example"], alias.Targets);
    }

    [Fact]
    public async Task An_alias_pointing_to_itself_is_a_loop()
    {
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddAliasAsync(A("self"), [A("Self")]));
        Assert.Equal(DirectoryError.AliasLoop, error.Error);
    }

    [Fact]
    public async Task A_change_that_closes_a_loop_is_refused_and_writes_nothing()
    {
        await _directory.AddUserAsync(A("hank"), null, null);
        await _directory.AddAliasAsync(A("loop-a"), [A("hank")]);
        await _directory.AddAliasAsync(A("loop-b"), [A("loop-a")]);
        await _directory.AddAliasAsync(A("loop-c"), [A("loop-b")]);

        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddAliasAsync(A("loop-a"), [A("loop-c")]));
        Assert.Equal(DirectoryError.AliasLoop, error.Error);
        var a = (await _directory.ListAliasesAsync(DomainName.Parse(_domain))).Single(x => x.Address == $"loop-a@{_domain}");
        Assert.Equal([$"hank@{_domain}"], a.Targets);
    }

    [Fact]
    public async Task A_local_target_must_exist_and_nothing_is_half_written()
    {
        await _directory.AddUserAsync(A("ivy"), null, null);
        var error = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddAliasAsync(A("typo"), [A("ivy"), A("ivvy")]));
        Assert.Equal(DirectoryError.UnknownLocalTarget, error.Error);
        Assert.Contains("ivvy", error.Message, StringComparison.Ordinal);
        Assert.IsType<Resolution.Unknown>(await _directory.ResolveAsync(A("typo")));
    }

    [Fact]
    public async Task An_address_is_either_a_user_or_an_alias()
    {
        await _directory.AddUserAsync(A("jack"), null, null);
        await _directory.AddAliasAsync(A("jacky"), [A("jack")]);

        var aliasOverUser = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddAliasAsync(A("jack"), [MailAddress.Parse("x@ext.example")]));
        Assert.Equal(DirectoryError.AddressExists, aliasOverUser.Error);
        var userOverAlias = await Assert.ThrowsAsync<DirectoryException>(() => _directory.AddUserAsync(A("JACKY"), null, null));
        Assert.Equal(DirectoryError.AddressExists, userOverAlias.Error);
        Assert.Contains("alias", userOverAlias.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Targets_of_aliases_cannot_be_removed_from_under_them()
    {
        await _directory.AddUserAsync(A("kate"), null, null);
        await _directory.AddAliasAsync(A("inner"), [A("kate")]);
        await _directory.AddAliasAsync(A("outer"), [A("inner")]);

        Assert.Equal(DirectoryError.StillReferenced, (await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveUserAsync(A("kate")))).Error);
        Assert.Equal(DirectoryError.StillReferenced, (await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveAliasAsync(A("inner"), []))).Error);

        await _directory.RemoveAliasAsync(A("outer"), []);
        await _directory.RemoveAliasAsync(A("inner"), []);
        await _directory.RemoveUserAsync(A("kate"));
        Assert.IsType<Resolution.Unknown>(await _directory.ResolveAsync(A("inner")));
    }

    [Fact]
    public async Task Single_targets_can_be_removed_but_not_the_last_one()
    {
        await _directory.AddUserAsync(A("liam"), null, null);
        await _directory.AddAliasAsync(A("help"), [A("liam"), MailAddress.Parse("desk@vendor.example")]);
        await _directory.RemoveAliasAsync(A("help"), [MailAddress.Parse("DESK@vendor.example")]);
        Assert.Equal(DirectoryError.StillReferenced, (await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveAliasAsync(A("help"), [A("liam")]))).Error);
        Assert.Equal(DirectoryError.UnknownAlias, (await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveAliasAsync(A("help"), [A("nobody")]))).Error);
        Assert.Equal(DirectoryError.UnknownAlias, (await Assert.ThrowsAsync<DirectoryException>(() => _directory.RemoveAliasAsync(A("nohelp"), []))).Error);
    }

    [Fact]
    public async Task Unknown_local_addresses_and_foreign_domains_resolve_differently()
    {
        Assert.IsType<Resolution.Unknown>(await _directory.ResolveAsync(A("postmaster-not-configured")));
        Assert.IsType<Resolution.NotLocal>(await _directory.ResolveAsync(MailAddress.Parse("someone@not-ours.example")));
    }

    [Fact]
    public async Task A_user_resolves_with_its_quota()
    {
        await _directory.AddUserAsync(A("mia"), null, 5000);
        var resolved = Assert.IsType<Resolution.Recipients>(await _directory.ResolveAsync(A("MIA")));
        var user = Assert.Single(resolved.Users);
        Assert.Equal(5000, user.QuotaBytes);
        Assert.Empty(resolved.External);
    }

    [Fact]
    public async Task Concurrent_adds_of_the_same_user_create_exactly_one()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            try
            {
                await _directory.AddUserAsync(A("race"), null, null);
                return true;
            }
            catch (DirectoryException e) when (e.Error == DirectoryError.AddressExists)
            {
                return false;
            }
        }));
        Assert.Single(results, r => r);
    }
}
