using Npgsql;

namespace MailAppliance.Storage.Mailstore;

public sealed partial class MailStore
{
    /// <summary>This process's catalogue of immutable message facts, shared by every session (see <see cref="MessageCatalog"/>).</summary>
    public MessageCatalog Catalog { get; }

    /// <summary>
    /// The sizes, INTERNALDATE and asked-for views of <paramref name="uids"/> (ascending), in their order: from the
    /// catalogue, reading from the index only the blocks and views not read before. A UID without a row is
    /// returned with <see cref="MessageFacts.Found"/> false.
    /// </summary>
    public async Task<MessageFacts[]> GetFactsAsync(MailboxInfo mailbox, IReadOnlyList<uint> uids, MessageViews views, CancellationToken cancellationToken)
    {
        var facts = Catalog.For(mailbox.Id);
        var rows = new FactsRow?[uids.Count];
        var unseen = new List<int>();
        for (var i = 0; i < uids.Count; i++)
        {
            var block = facts.Block(uids[i] >> MessageCatalog.BlockBits);
            if (block is not null && uids[i] <= block.SeenTo)
            {
                rows[i] = block.Find(uids[i]);
            }
            else
            {
                unseen.Add(i);
            }
        }

        if (unseen.Count > 0)
        {
            await ReadBlocksAsync(mailbox, facts, unseen.Select(i => uids[i]).ToList(), cancellationToken);
            foreach (var i in unseen)
            {
                rows[i] = facts.Block(uids[i] >> MessageCatalog.BlockBits)?.Find(uids[i]);
            }
        }

        if (views != MessageViews.None)
        {
            await ReadViewsAsync(mailbox, facts, rows, views, cancellationToken);
        }

        Catalog.Trim();
        var result = new MessageFacts[uids.Count];
        for (var i = 0; i < uids.Count; i++)
        {
            result[i] = rows[i] is { } row
                ? new MessageFacts(row.Uid, true, row.Size, row.CrlfSize, new DateTimeOffset(row.InternalDateTicks, TimeSpan.Zero), row.Envelope, row.Body, row.BodyStructure)
                : MessageFacts.Missing(uids[i]);
        }

        return result;
    }

    /// <summary>
    /// Reads the blocks of <paramref name="uids"/> above what each has seen, in one statement per run of adjacent
    /// blocks; the statement also reads the mailbox's UIDNEXT in the same snapshot, so a block knows up to which
    /// UID it is complete (a delivery makes its rows and its UIDNEXT visible in one commit).
    /// </summary>
    private async Task ReadBlocksAsync(MailboxInfo mailbox, MailboxFacts facts, List<uint> uids, CancellationToken cancellationToken)
    {
        var keys = uids.Select(u => u >> MessageCatalog.BlockBits).Distinct().Order().ToList();
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var start = 0;
        while (start < keys.Count)
        {
            var end = start;
            while (end + 1 < keys.Count && keys[end + 1] == keys[end] + 1)
            {
                end++;
            }

            var low = Math.Max(keys[start] << MessageCatalog.BlockBits, (facts.Block(keys[start])?.SeenTo ?? 0) + 1);
            var high = ((ulong)keys[end] << MessageCatalog.BlockBits) + MessageCatalog.BlockSize - 1;
            await using var command = new NpgsqlCommand("""
                SELECT b.uidnext, m.uid, m.size, m.crlf_size, m.internal_date
                FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id AND m.uid BETWEEN $2 AND $3
                WHERE b.id = $1 ORDER BY m.uid
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = low });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)Math.Min(high, uint.MaxValue) });
            var read = new Dictionary<uint, List<FactsRow>>();
            long uidNext = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    uidNext = reader.GetInt64(0);
                    if (reader.IsDBNull(1))
                    {
                        continue;
                    }

                    var uid = (uint)reader.GetInt64(1);
                    var row = new FactsRow(uid, reader.GetInt64(2), reader.GetInt64(3), DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc).Ticks);
                    var key = uid >> MessageCatalog.BlockBits;
                    if (!read.TryGetValue(key, out var list))
                    {
                        read[key] = list = [];
                    }

                    list.Add(row);
                }
            }

            if (uidNext == 0)
            {
                throw new MailstoreException(MailstoreError.NoSuchMailbox, $"mailbox {mailbox.Name} no longer exists");
            }

            for (var i = start; i <= end; i++)
            {
                var blockHigh = (keys[i] << MessageCatalog.BlockBits) + (MessageCatalog.BlockSize - 1);
                facts.Extend(keys[i], read.GetValueOrDefault(keys[i]) ?? [], (uint)Math.Min(blockHigh, Math.Max(0, uidNext - 1)));
            }

            start = end + 1;
        }
    }

    /// <summary>Reads the asked-for views of the rows that lack one (a view is NULL in the index only for very old rows).</summary>
    private async Task ReadViewsAsync(MailboxInfo mailbox, MailboxFacts facts, FactsRow?[] rows, MessageViews views, CancellationToken cancellationToken)
    {
        bool Lacks(FactsRow r) =>
            ((views & MessageViews.Envelope) != 0 && r.Envelope is null) || ((views & MessageViews.Body) != 0 && r.Body is null)
            || ((views & MessageViews.BodyStructure) != 0 && r.BodyStructure is null);

        var lacking = rows.OfType<FactsRow>().Where(Lacks).ToDictionary(r => r.Uid);
        if (lacking.Count == 0)
        {
            return;
        }

        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT uid, envelope, body, bodystructure FROM message_views WHERE mailbox_id = $1 AND uid = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = mailbox.Id });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = lacking.Keys.Select(u => (long)u).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (lacking.TryGetValue((uint)reader.GetInt64(0), out var row))
            {
                facts.KeepViews(row, View(reader, 1), View(reader, 2), View(reader, 3));
            }
        }

        static byte[]? View(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetFieldValue<byte[]>(column);
    }
}
