using System.Diagnostics;
using MailAppliance.Storage.Maildir;
using Npgsql;

namespace MailAppliance.Bench.Imap;

/// <summary>
/// Fills a mailbox with N index rows straight in SQL (generate_series): what SELECT and FETCH (FLAGS ENVELOPE)
/// read, with cached ENVELOPE/BODYSTRUCTURE blobs taken from real messages of a template mailbox, plausible sizes
/// and dates, two in three messages \Seen. No files: these mailboxes are for the index-only commands. The
/// folder's tree stamp is recorded first, so the server's freshness check does not reconstruct them away.
/// </summary>
internal static class PopulateRun
{
    public static async Task<int> RunVerbAsync(Options options, CancellationToken cancellationToken)
    {
        var messages = options.Int("messages", 100_000);
        var name = MailboxName.FromImap(options.Required("mailbox")).Value;
        var template = MailboxName.FromImap(options.Text("template", "INBOX")).Value;
        await using var bench = await BenchStore.OpenAsync(options.Required("data"), cancellationToken);
        var user = await bench.FindUserAsync(options.Required("user"), cancellationToken);
        var store = bench.Store;
        var mailbox = await store.FindMailboxAsync(user, name, cancellationToken) ?? await store.CreateMailboxAsync(user, name, cancellationToken);
        await store.RefreshIfBehindAsync(user, mailbox, cancellationToken);
        await store.RefreshIfBehindAsync(user, mailbox, cancellationToken);
        var source = await store.FindMailboxAsync(user, template, cancellationToken) ?? throw new InvalidOperationException("no template mailbox " + template);

        var started = Stopwatch.GetTimestamp();
        await using var connection = await bench.DataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "DELETE FROM messages WHERE mailbox_id = $1", cancellationToken, mailbox.Id);
        const int Chunk = 100_000;
        for (var first = 1; first <= messages; first += Chunk)
        {
            var last = Math.Min(messages, first + Chunk - 1);
            // Blobs cycle over the template's first 50 messages; sizes 1–60 KB; a message every 30 minutes.
            await ExecuteAsync(connection, """
                INSERT INTO messages (mailbox_id, uid, base_name, file_name, size, crlf_size, internal_date, flags, keywords, modseq)
                SELECT $1, g, 'bench.' || g, 'cur/bench.' || g || ':2,S', s, s,
                       timestamptz '2020-01-01' + (30 * g) * interval '1 minute', CASE WHEN g % 3 = 0 THEN 0 ELSE 16 END, '{}', g
                FROM generate_series($2::bigint, $3::bigint) g, LATERAL (SELECT 1000 + (g * 7919) % 60000 AS s) z
                """, cancellationToken, mailbox.Id, (long)first, (long)last);
            await ExecuteAsync(connection, """
                WITH t AS (SELECT array_agg(envelope ORDER BY uid) AS e, array_agg(bodystructure ORDER BY uid) AS b, count(*)::int AS n
                           FROM (SELECT uid, envelope, bodystructure FROM message_views WHERE mailbox_id = $2 AND envelope IS NOT NULL ORDER BY uid LIMIT 50) s)
                INSERT INTO message_views (mailbox_id, uid, envelope, bodystructure)
                SELECT $1, g, t.e[1 + g % t.n], t.b[1 + g % t.n]
                FROM t, generate_series($3::bigint, $4::bigint) g
                """, cancellationToken, mailbox.Id, source.Id, (long)first, (long)last);
            Console.Error.Write($"\rpopulate: {last:N0} rows");
        }

        await ExecuteAsync(connection, "UPDATE mailboxes SET uidnext = $2, highestmodseq = $2 WHERE id = $1", cancellationToken, mailbox.Id, (long)messages + 1);
        await ExecuteAsync(connection, "VACUUM ANALYZE messages, message_views", cancellationToken);
        Console.Error.WriteLine();
        Console.WriteLine($"populate: {messages:N0} rows into {name} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return 0;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
