using System.Text;
using MailAppliance.Storage.Mailstore;
using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Mailstore;

public sealed class SearchWordsTests : IAsyncLifetime
{
    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public void Words_are_runs_of_letters_and_digits_lower_cased_once_each_in_order()
    {
        Assert.Equal(["quarterly", "report", "q3", "jane", "example", "com", "don", "t", "déjà", "vu", "東京"],
            SearchWords.Split("Quarterly REPORT (Q3): jane@Example.com -- don't; DÉJÀ-vu 東京 report"));
        Assert.Empty(SearchWords.Split(" \r\n--\0 "));
    }

    [Fact]
    public void A_run_longer_than_postgresql_takes_as_a_lexeme_is_left_out()
    {
        var words = SearchWords.Split("short " + new string('x', 2048) + " " + new string('y', 2047));
        Assert.Equal(["short", new string('y', 2047)], words);
    }

    [Fact]
    public async Task Delivered_text_is_found_by_the_words_of_a_search_cut_the_same_way()
    {
        var user = await _f.UserAsync("search@example.test");
        var text = "From: a@example.net\r\nSubject: Invoice 2026-11 for Müller GmbH\r\n\r\nPlease pay to iban DE0012 by jane.doe@billing.example.\r\n";
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(MailstoreFixture.Message("unrelated")), CancellationToken.None);
        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;

        foreach (var query in new[] { "invoice", "INVOICE 2026", "müller", "gmbh", "jane.doe@billing.example", "billing", "de0012", "inv", "2026-11" })
        {
            Assert.Equal([1u], await _f.Store.SearchTextAsync(inbox, query, CancellationToken.None));
        }

        Assert.Empty(await _f.Store.SearchTextAsync(inbox, "invoices", CancellationToken.None));
        Assert.Equal([1u, 2u], (await _f.Store.SearchTextAsync(inbox, "example.net", CancellationToken.None)).Order()); // both senders
    }
}
