using System.Text;
using MailAppliance.Mime;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Storage.Tests.Mailstore;

/// <summary>
/// SEARCH text keys over the trigram index and over message files (for rows whose indexed text is incomplete):
/// substrings with i;unicode-casemap, as Dovecot 2.3 without FTS answers (each case below was asked of it).
/// </summary>
public sealed class TextSearchTests : IAsyncLifetime
{
    private const string Multipart =
        "From: Alice <alice@example.com>\r\nTo: \"Quoted, Name\" <q@example.com>, x@y.z\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus   Berlin\r\n" +
        "X-Fold: first\r\n  second\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble india\r\n" +
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nalpha Stra=C3=9Fe caf=C3=A9 soft=\r\nbreak\r\n" +
        "--b1\r\nContent-Type: application/octet-stream\r\nX-Part-Header: bravo\r\n\r\ncharlie\r\n" +
        "--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: delta\r\n\r\necho\r\n" +
        "--b1\r\nContent-Type: text/html\r\n\r\n<b>foxtrot</b>\r\n" +
        "--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"g.txt\"\r\n\r\ngolf\r\n--b1--\r\nepilogue kilo\r\n";

    private const string Plain =
        "From: user-from@domain.org (RealFrom)\r\nTo: groupname: g1@domain.org, g2@domain.org;\r\nSubject: plain\r\n\r\n" +
        "\u00dcn\u00efc\u00f6d\u00e9 x\u00b2 \u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2\r\nline one\r\n";

    private MailstoreFixture _f = null!;

    public async Task InitializeAsync() => _f = await MailstoreFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    public static TheoryData<TextSearchKind, string, string, uint[]> Keys => new()
    {
        { TextSearchKind.Body, "", "alpha", [1] },
        { TextSearchKind.Body, "", "STRASSE", [] },
        { TextSearchKind.Body, "", "stra\u00dfe", [1] },
        { TextSearchKind.Body, "", "cafe", [1] },       // "café" decomposes to "CAFE" + U+0301
        { TextSearchKind.Body, "", "caf\u00e9", [1] },
        { TextSearchKind.Body, "", "softbreak", [1] },  // quoted-printable soft line break
        { TextSearchKind.Body, "", "bravo", [] },        // a MIME header is not body
        { TextSearchKind.Body, "", "charlie", [] },      // not a text part
        { TextSearchKind.Body, "", "echo", [1] },        // the text of an embedded message
        { TextSearchKind.Body, "", "<B>FOXTROT", [1] },  // HTML as written
        { TextSearchKind.Body, "", "golf", [1] },        // a text attachment is text
        { TextSearchKind.Body, "", "india", [] },        // preambles and epilogues are not
        { TextSearchKind.Body, "", "kilo", [] },
        { TextSearchKind.Body, "", "x2", [2] },          // NFKD: ² is 2
        { TextSearchKind.Body, "", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3", [2] },
        { TextSearchKind.Body, "", "unicode", [] },      // accents count
        { TextSearchKind.Body, "", "one line", [] },
        { TextSearchKind.Text, "", "bravo", [1] },
        { TextSearchKind.Text, "", "delta", [1] },
        { TextSearchKind.Text, "", "x-fold: first  second", [1] },
        { TextSearchKind.Text, "", "first second", [] },
        { TextSearchKind.Text, "", "content-type: text/html", [1] },
        { TextSearchKind.Text, "", "text/html foxtrot", [] },
        { TextSearchKind.Text, "", "gr\u00fc\u00dfe", [1] },
        { TextSearchKind.Header, "Subject", "", [1, 2] },
        { TextSearchKind.Header, "X-Part-Header", "", [] },  // top-level fields only
        { TextSearchKind.Header, "subject", "aus   berlin", [1] },
        { TextSearchKind.Header, "subject", "aus berlin", [] },
        { TextSearchKind.Header, "x-fold", "first  second", [1] },
        { TextSearchKind.Subject, "", "aus berlin", [1] },
        { TextSearchKind.Subject, "", "aus   berlin", [] },
        { TextSearchKind.Subject, "", "gr\u00fc\u00dfe aus berlin", [1] },
        { TextSearchKind.Subject, "", "", [1, 2] },
        { TextSearchKind.Subject, "", "LAIN", [2] },
        { TextSearchKind.Header, "Subject", "e aus ", [1] },
        { TextSearchKind.Header, "Subject", "100%", [] },
        { TextSearchKind.Address, "TO", "\"quoted, name\" <q@", [1] },
        { TextSearchKind.Address, "TO", "name <q@", [] },
        { TextSearchKind.Address, "TO", "<x@y.z>", [1] },
        { TextSearchKind.Address, "TO", "com>, x", [] },    // each address on its own
        { TextSearchKind.Address, "FROM", "realfrom <user-from@", [2] },
        { TextSearchKind.Address, "TO", "groupname", [2] },
        { TextSearchKind.Address, "TO", "g2@domain", [2] },
        { TextSearchKind.Address, "FROM", "q@example", [] },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task The_pending_rows_answer_like_dovecot(TextSearchKind kind, string field, string key, uint[] expected)
    {
        var (_, inbox) = await DeliverBothAsync($"pending-{Guid.NewGuid():N}@example.test");
        var matches = await _f.Store.SearchTextAsync(inbox, new TextSearch(kind, field, key), CancellationToken.None);
        Assert.Empty(matches.Unsure);
        Assert.Equal(expected, matches.Matched.Order());
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task The_trigram_index_answers_like_dovecot(TextSearchKind kind, string field, string key, uint[] expected)
    {
        var (_, inbox) = await DeliverBothAsync($"index-{Guid.NewGuid():N}@example.test");
        while (await _f.Store.IndexPendingAsync(100, CancellationToken.None) > 0)
        {
        }

        var matches = await _f.Store.SearchTextAsync(inbox, new TextSearch(kind, field, key), CancellationToken.None);
        Assert.Empty(matches.Unsure);
        Assert.Equal(expected, matches.Matched.Order());
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Reading_the_files_answers_the_same(TextSearchKind kind, string field, string key, uint[] expected)
    {
        var (_, inbox) = await DeliverBothAsync($"files-{Guid.NewGuid():N}@example.test");
        var search = new TextSearch(kind, field, key);
        var confirmed = await _f.Store.ConfirmTextAsync(inbox, [1, 2], [search], CancellationToken.None);
        Assert.Equal(expected, confirmed[search].Order());
    }

    [Fact]
    public async Task Rows_without_search_text_are_unsure_until_the_indexer_reads_their_files()
    {
        var (user, inbox) = await DeliverBothAsync($"old-{Guid.NewGuid():N}@example.test");
        await using (var wipe = _f.DataSource.CreateCommand("UPDATE search_pending SET header = NULL, mime = NULL, addresses = NULL, body = NULL, complete = NULL WHERE mailbox_id = $1"))
        {
            // As after migration 0020 or a reconstruct: the messages are known, their text is not.
            wipe.Parameters.AddWithValue(inbox.Id);
            await wipe.ExecuteNonQueryAsync();
        }

        var search = new TextSearch(TextSearchKind.Body, "", "alpha");
        var before = await _f.Store.SearchTextAsync(inbox, search, CancellationToken.None);
        Assert.Empty(before.Matched);
        Assert.Equal([1u, 2u], before.Unsure.Order());
        Assert.Equal([1u], (await _f.Store.ConfirmTextAsync(inbox, [1, 2], [search], CancellationToken.None))[search]);

        while (await _f.Store.IndexPendingAsync(1, CancellationToken.None) > 0)
        {
        }

        var after = await _f.Store.SearchTextAsync(inbox, search, CancellationToken.None);
        Assert.Equal([1u], after.Matched);
        Assert.Empty(after.Unsure);
        Assert.Equal(0, await _f.Store.CountPendingSearchAsync(CancellationToken.None));

        // Expunged messages leave the index with their rows.
        await _f.Store.ExpungeAsync(user, inbox, [1], CancellationToken.None);
        Assert.Empty((await _f.Store.SearchTextAsync(inbox, search, CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task The_background_indexer_empties_the_pending_rows_once_deliveries_pause()
    {
        var (_, inbox) = await DeliverBothAsync($"bg-{Guid.NewGuid():N}@example.test");
        var indexer = new SearchIndexer(_f.Store, TimeProvider.System, NullLogger<SearchIndexer>.Instance) { Quiet = TimeSpan.Zero, BatchSize = 1 };
        await RunUntilDrainedAsync(indexer);

        await AssertAllIndexedAsync(inbox);
    }

    [Fact]
    public async Task The_background_indexer_takes_batches_side_by_side_while_nothing_else_runs()
    {
        var (_, inbox) = await DeliverBothAsync($"side-{Guid.NewGuid():N}@example.test"); // two pending rows at least
        var indexer = new SearchIndexer(_f.Store, TimeProvider.System, NullLogger<SearchIndexer>.Instance) { Quiet = TimeSpan.Zero, BatchSize = 1, Workers = 2 };
        var first = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        indexer.BatchIndexed += n => first.TrySetResult(n);
        await RunUntilDrainedAsync(indexer, async () =>
            Assert.Equal(2, await first.Task.WaitAsync(TimeSpan.FromSeconds(60)))); // two batches of one, each its own message

        await AssertAllIndexedAsync(inbox);
    }

    [Fact]
    public async Task The_background_indexer_waits_while_a_clients_command_is_served()
    {
        await DeliverBothAsync($"rd-{Guid.NewGuid():N}@example.test");
        var pending = await _f.Store.CountPendingSearchAsync(CancellationToken.None);
        Assert.True(pending > 0);
        var indexer = new SearchIndexer(_f.Store, TimeProvider.System, NullLogger<SearchIndexer>.Instance)
        {
            Quiet = TimeSpan.FromMilliseconds(10), MaxDeferral = TimeSpan.FromHours(1), BatchSize = 1,
        };
        var waited = 0;
        var waitedTwice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        indexer.Deferred += () =>
        {
            if (Interlocked.Increment(ref waited) == 2)
            {
                waitedTwice.TrySetResult();
            }
        };
        indexer.BatchIndexed += n =>
        {
            if (n == 0)
            {
                drained.TrySetResult();
            }
        };

        using var stop = new CancellationTokenSource();
        Task running;
        using (_f.Store.ClientCommand()) // a FETCH being answered
        {
            Assert.True(_f.Store.ClientsBusy(TimeSpan.Zero));
            running = indexer.RunAsync(stop.Token);
            await waitedTwice.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(pending, await _f.Store.CountPendingSearchAsync(CancellationToken.None)); // nothing indexed meanwhile
        }

        await drained.Task.WaitAsync(TimeSpan.FromSeconds(60)); // the command over and a pause past: the index catches up
        await stop.CancelAsync();
        await running;
        Assert.Equal(0, await _f.Store.CountPendingSearchAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Text_past_the_index_limit_is_found_in_the_file()
    {
        var user = await _f.UserAsync($"long-{Guid.NewGuid():N}@example.test");
        var store = _f.NewStore(options: new MailstoreOptions(_f.DataDirectory) { MaxSearchTextBytes = 1000 });
        var body = new StringBuilder();
        while (body.Length < 200_000)
        {
            body.Append("filler text line number ").Append(body.Length).Append("\r\n");
        }

        body.Append("needle-at-the-end\r\n");
        await store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(Encoding.UTF8.GetBytes("Subject: long\r\n\r\n" + body)), CancellationToken.None);
        var inbox = (await store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        var search = new TextSearch(TextSearchKind.Body, "", "NEEDLE-at-the-end");
        var matches = await store.SearchTextAsync(inbox, search, CancellationToken.None);
        Assert.Empty(matches.Matched);
        Assert.Equal([1u], matches.Unsure);
        Assert.Equal([1u], (await store.ConfirmTextAsync(inbox, [1], [search], CancellationToken.None))[search]);
        Assert.Equal([1u], (await store.SearchTextAsync(inbox, new TextSearch(TextSearchKind.Body, "", "filler text line number 24"), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task Every_subject_field_is_searched_and_migration_0082_fills_the_subject_table_as_the_indexer_does()
    {
        var user = await _f.UserAsync($"subjects-{Guid.NewGuid():N}@example.test");
        foreach (var message in new[] { "Subject: first  one\r\nSubject: Second\tTwo\r\n\r\nx\r\n", "From: a@b.c\r\n\r\nno subject\r\n", "Subject:\r\n\r\nempty\r\n" })
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
        }

        var inbox = (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!;
        while (await _f.Store.IndexPendingAsync(100, CancellationToken.None) > 0)
        {
        }

        var cases = new (TextSearch Search, uint[] Expected)[]
        {
            (new TextSearch(TextSearchKind.Subject, "", "second two"), [1]),
            (new TextSearch(TextSearchKind.Subject, "", "first one"), [1]),
            (new TextSearch(TextSearchKind.Subject, "", "one second"), []),   // two fields are not one value
            (new TextSearch(TextSearchKind.Subject, "", "one\nsecond"), []),
            (new TextSearch(TextSearchKind.Subject, "", ""), [1, 3]),         // the field exists, even empty
            (new TextSearch(TextSearchKind.Header, "SUBJECT", "second\ttwo"), [1]),
            (new TextSearch(TextSearchKind.Header, "SUBJECT", "second two"), []),
            (new TextSearch(TextSearchKind.Header, "SUBJECT", "first  one"), [1]),
            (new TextSearch(TextSearchKind.Header, "SUBJECT", "one\nsubject"), []),
            (new TextSearch(TextSearchKind.Header, "SUBJECT", ""), [1, 3]),
        };
        foreach (var (search, expected) in cases)
        {
            var matches = await _f.Store.SearchTextAsync(inbox, search, CancellationToken.None);
            Assert.Empty(matches.Unsure);
            Assert.True(expected.SequenceEqual(matches.Matched.Order()), $"{search}: {string.Join(",", matches.Matched.Order())}");
            Assert.Equal(expected, (await _f.Store.ConfirmTextAsync(inbox, [1, 2, 3], [search], CancellationToken.None))[search].Order());
        }

        // Rows indexed before the migration: its INSERT, run again on them, writes what the indexer wrote.
        var indexed = await SubjectRowsAsync(inbox);
        Assert.Equal(["FIRST  ONE\nSECOND\tTWO", ""], indexed.Values);
        using var resource = new StreamReader(typeof(MailStore).Assembly.GetManifestResourceStream("Migrations/0082_message_subjects.sql")!);
        var migration = await resource.ReadToEndAsync();
        var insert = migration[migration.IndexOf("INSERT INTO message_subjects", StringComparison.Ordinal)..];
        insert = insert[..insert.IndexOf(';', StringComparison.Ordinal)];
        await using (var command = _f.DataSource.CreateCommand($"DELETE FROM message_subjects WHERE mailbox_id = {inbox.Id}; {insert} AND s.mailbox_id = {inbox.Id}"))
        {
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(indexed, await SubjectRowsAsync(inbox));
    }

    private async Task<SortedDictionary<long, string>> SubjectRowsAsync(MailboxInfo inbox)
    {
        var rows = new SortedDictionary<long, string>();
        await using var command = _f.DataSource.CreateCommand("SELECT uid, subject FROM message_subjects WHERE mailbox_id = $1");
        command.Parameters.AddWithValue(inbox.Id);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt64(0)] = reader.GetString(1);
        }

        return rows;
    }

    [Fact]
    public void A_match_across_two_pieces_of_a_large_part_is_found()
    {
        var text = new string('a', 64 * 1024 - 3) + "needle" + new string('b', 100);
        var raw = Encoding.UTF8.GetBytes("Content-Type: text/plain\r\n\r\n" + text);
        using var file = new MemoryStream(raw);
        var structure = MimeParser.Parse(raw);
        Assert.True(TextSearch.BodyContains(structure, file, SearchText.Normalize("needle")));
    }

    /// <summary>Nothing is pending, and the plain message of <see cref="DeliverBothAsync"/> is found through the index alone.</summary>
    private async Task AssertAllIndexedAsync(MailboxInfo inbox)
    {
        Assert.Equal(0, await _f.Store.CountPendingSearchAsync(CancellationToken.None));
        var matches = await _f.Store.SearchTextAsync(inbox, new TextSearch(TextSearchKind.Body, "", "alpha"), CancellationToken.None);
        Assert.Equal([1u], matches.Matched);
        Assert.Empty(matches.Unsure);
    }

    /// <summary>Runs the indexer until a pass finds nothing pending; <paramref name="running"/> is awaited while it runs.</summary>
    private static async Task RunUntilDrainedAsync(SearchIndexer indexer, Func<Task>? running = null)
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        indexer.BatchIndexed += n =>
        {
            if (n == 0)
            {
                drained.TrySetResult();
            }
        };

        using var stop = new CancellationTokenSource();
        var task = indexer.RunAsync(stop.Token);
        if (running is not null)
        {
            await running();
        }

        await drained.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await task;
    }

    private async Task<(MailUser User, MailboxInfo Inbox)> DeliverBothAsync(string address)
    {
        var user = await _f.UserAsync(address);
        foreach (var message in new[] { Multipart, Plain })
        {
            await _f.Store.DeliverAsync(new DeliveryRequest(user, MailboxName.Inbox), new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
        }

        return (user, (await _f.Store.FindMailboxAsync(user, MailboxName.Inbox, CancellationToken.None))!);
    }
}
