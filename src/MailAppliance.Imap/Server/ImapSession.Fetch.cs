using System.Globalization;
using MailAppliance.Imap.Protocol;
using MailAppliance.Mime;
using MailAppliance.Mime.Imap;
using MailAppliance.Storage.Maildir;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Server;

/// <summary>
/// FETCH (RFC 9051 §6.4.5) with BINARY (RFC 3516) and CONDSTORE (RFC 7162 CHANGEDSINCE, MODSEQ). Cached views come
/// from the index; body sections are streamed from the message file by the part offsets, in batches, so even
/// FETCH 1:* over a huge mailbox holds only one batch of rows.
/// </summary>
public sealed partial class ImapSession
{
    // Messages per catalogue read: bounds what a FETCH 1:* over a huge mailbox holds at once.
    private const int CatalogBatchSize = 5000;

    private async Task FetchAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        var selected = (ImapSessionState.Selected)_state;
        var args = command.Arguments;
        if (args.Count is < 2 or > 3 || args[0].AsText() is not { } setText || !FetchItemParser.TryParse(args[1], out var items, out var error))
        {
            await BadAsync(command.Tag, args.Count < 2 ? "FETCH takes a message set and items" : "Invalid FETCH arguments");
            return;
        }

        var mailbox = selected.Mailbox;
        var fromCatalog = items.All(i => i.Kind is FetchKind.Uid or FetchKind.Flags or FetchKind.InternalDate or FetchKind.Rfc822Size
            or FetchKind.ModSeq or FetchKind.Envelope or FetchKind.Body or FetchKind.BodyStructure);
        if (fromCatalog)
        {
            // Flags and modseqs come from this session's view: bring it up to date with what other sessions did
            // (new messages and flag changes; expunges wait, as the client's numbers must hold during FETCH).
            await SyncSelectedAsync(allowExpunge: false, force: false, cancellationToken);
        }

        var indexes = ResolveSet(mailbox, setText, command.IsUid, out var setError);
        if (setError is not null)
        {
            await BadAsync(command.Tag, setError);
            return;
        }

        long? changedSince = null;
        var vanished = false;
        if (args.Count == 3)
        {
            // RFC 7162 §3.1.4 CHANGEDSINCE, §3.2.6 VANISHED (UID FETCH only, with QRESYNC enabled).
            var modifiers = args[2] as ImapList;
            for (var i = 0; modifiers is not null && i < modifiers.Items.Count; i++)
            {
                if (modifiers.Items[i] is ImapAtom c && c.Is("CHANGEDSINCE") && i + 1 < modifiers.Items.Count
                    && long.TryParse(modifiers.Items[i + 1].AsText(), NumberStyles.None, CultureInfo.InvariantCulture, out var since))
                {
                    changedSince = since;
                    i++;
                }
                else if (modifiers.Items[i] is ImapAtom v && v.Is("VANISHED") && command.IsUid && _modes.QResync)
                {
                    vanished = true;
                }
                else
                {
                    modifiers = null;
                }
            }

            if (modifiers is null || changedSince is null)
            {
                await BadAsync(command.Tag, "Unknown FETCH modifier");
                return;
            }
        }

        if (command.IsUid && !items.Any(i => i.Kind == FetchKind.Uid))
        {
            items.Insert(0, new FetchItem(FetchKind.Uid) { Label = "UID" });
        }

        if (changedSince is not null && !items.Any(i => i.Kind == FetchKind.ModSeq))
        {
            items.Add(new FetchItem(FetchKind.ModSeq) { Label = "MODSEQ" });
        }

        if (items.Any(i => i.Kind == FetchKind.ModSeq))
        {
            // RFC 7162 §3.1: FETCH MODSEQ or CHANGEDSINCE enables CONDSTORE.
            EnableCondStore();
        }

        if (vanished)
        {
            // The expunged messages of the set, since the client's modseq, go first (RFC 7162 §3.2.6).
            var changes = await _services.Store.GetChangesAsync(mailbox.Info, changedSince!.Value, cancellationToken);
            var set = SequenceSet.TryParse(setText, out var uidSet) ? uidSet : null;
            var gone = changes.Expunged.Where(u => set?.Contains(u, mailbox.LargestUid) ?? false).Order().ToList();
            if (gone.Count > 0)
            {
                _out.Raw("* VANISHED (EARLIER) ").Raw(SequenceSet.Format(gone)).Crlf();
            }
        }

        var views = MessageViews.None;
        foreach (var item in items)
        {
            views |= item.Kind switch
            {
                FetchKind.Envelope => MessageViews.Envelope,
                FetchKind.Body => MessageViews.Body,
                FetchKind.BodyStructure => MessageViews.BodyStructure,
                FetchKind.Section when item.IsWholeMessage => MessageViews.None,
                FetchKind.Section or FetchKind.Binary or FetchKind.BinarySize or FetchKind.Preview => MessageViews.Structure,
                _ => MessageViews.None,
            };
        }

        if (fromCatalog)
        {
            await FetchFromCatalogAsync(mailbox, indexes!, items, views, changedSince, cancellationToken);
            await OkAsync(command, "FETCH completed", allowExpunge: command.IsUid);
            return;
        }

        var setsSeen = !mailbox.ReadOnly && items.Any(i => i.SetsSeen);
        var failed = false;
        foreach (var chunk in indexes!.Chunk(_options.FetchBatchSize))
        {
            var uids = chunk.Where(i => i < mailbox.Count).Select(i => mailbox.Messages[i].Uid).ToList();
            var seenNow = new HashSet<uint>();
            if (setsSeen)
            {
                var unseen = uids.Where(u => (mailbox.Messages[mailbox.IndexOf(u)].Flags & MaildirFlags.Seen) == 0).ToList();
                if (unseen.Count > 0)
                {
                    var stored = await _services.Store.StoreFlagsAsync(selected.User, mailbox.Info, unseen, FlagMode.Add, MaildirFlags.Seen, [], null, cancellationToken);
                    seenNow.UnionWith(stored.Changed.Select(c => c.Uid));
                }
            }

            var records = await _services.Store.FetchRecordsAsync(mailbox.Info, uids, views, cancellationToken);
            foreach (var record in records)
            {
                var info = record.Info;
                var index = mailbox.IndexOf(info.Uid);
                if (index < 0)
                {
                    continue;
                }

                mailbox.Update(new MessageState(info.Uid, info.Flags, info.Keywords as string[] ?? info.Keywords.ToArray(), info.ModSeq));
                if (changedSince is { } limit && info.ModSeq <= limit)
                {
                    continue;
                }

                failed |= !await WriteFetchAsync(mailbox, index, record, items, seenNow.Contains(info.Uid), cancellationToken);
            }
        }

        await OkAsync(command, failed ? "FETCH completed; some message files could not be read" : "FETCH completed", allowExpunge: command.IsUid);
    }

    /// <summary>
    /// FETCH of what the catalogue holds (sizes, INTERNALDATE, cached views) and the session's view holds (UID,
    /// FLAGS, MODSEQ): no index row is read for a warm mailbox. A message whose view the index lacks (rows from before
    /// views were cached) is answered the long way, from its file.
    /// </summary>
    private async Task FetchFromCatalogAsync(SelectedMailbox mailbox, List<int> indexes, List<FetchItem> items, MessageViews views, long? changedSince, CancellationToken cancellationToken)
    {
        foreach (var chunk in indexes.Chunk(CatalogBatchSize))
        {
            var inRange = chunk.Where(i => i < mailbox.Count).ToList();
            var facts = await _services.Store.GetFactsAsync(mailbox.Info, inRange.Select(i => mailbox.Messages[i].Uid).ToList(), views, cancellationToken);
            var lacking = new List<uint>();
            for (var k = 0; k < inRange.Count; k++)
            {
                var index = inRange[k];
                var state = mailbox.Messages[index];
                var fact = facts[k];
                if (!fact.Found || (changedSince is { } limit && state.ModSeq <= limit))
                {
                    continue; // expunged before anyone read it: nothing to show
                }

                if (((views & MessageViews.Envelope) != 0 && fact.Envelope is null) || ((views & MessageViews.Body) != 0 && fact.Body is null)
                    || ((views & MessageViews.BodyStructure) != 0 && fact.BodyStructure is null))
                {
                    lacking.Add(state.Uid);
                    continue;
                }

                WriteCatalogFetch(mailbox, index, state, fact, items);
                await _out.FlushIfLargeAsync(cancellationToken);
            }

            foreach (var record in lacking.Count == 0 ? [] : await _services.Store.FetchRecordsAsync(mailbox.Info, lacking, views | MessageViews.Structure, cancellationToken))
            {
                var index = mailbox.IndexOf(record.Info.Uid);
                if (index >= 0)
                {
                    await WriteFetchAsync(mailbox, index, record, items, seenNow: false, cancellationToken);
                }
            }
        }
    }

    private void WriteCatalogFetch(SelectedMailbox mailbox, int index, MessageState state, MessageFacts fact, List<FetchItem> items)
    {
        if (state.Keywords.Length > 0 && items.Any(i => i.Kind == FetchKind.Flags))
        {
            // No FETCH may show a keyword the client has not seen in FLAGS.
            mailbox.AnnounceKeywords(state.Keywords, _out);
        }

        _out.Bytes("* "u8).Number(index + 1).Bytes(" FETCH ("u8);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                _out.Space();
            }

            var item = items[i];
            switch (item.Kind)
            {
                case FetchKind.Uid:
                    _out.Bytes("UID "u8).Number(state.Uid);
                    break;
                case FetchKind.Flags:
                    _out.Bytes("FLAGS "u8);
                    mailbox.WriteFlags(_out, state.Uid, state.Flags, state.Keywords);
                    break;
                case FetchKind.InternalDate:
                    _out.Bytes("INTERNALDATE "u8).QuotedDateTime(fact.InternalDate);
                    break;
                case FetchKind.Rfc822Size:
                    _out.Bytes("RFC822.SIZE "u8).Number(fact.CrlfSize);
                    break;
                case FetchKind.ModSeq:
                    _out.Bytes("MODSEQ ("u8).Number(state.ModSeq).Bytes(")"u8);
                    break;
                case FetchKind.Envelope:
                    _out.Raw(item.Label).Space().Bytes(fact.Envelope);
                    break;
                case FetchKind.Body:
                    _out.Raw(item.Label).Space().Bytes(fact.Body);
                    break;
                default:
                    _out.Raw(item.Label).Space().Bytes(fact.BodyStructure);
                    break;
            }
        }

        _out.Bytes(")\r\n"u8);
    }

    private async Task<bool> WriteFetchAsync(SelectedMailbox mailbox, int index, MessageRecord record, List<FetchItem> items, bool seenNow, CancellationToken cancellationToken)
    {
        var info = record.Info;
        Stream? file = null;
        MessageStructure? structure = null;
        var ok = true;
        try
        {
            if (seenNow || items.Any(i => i.Kind == FetchKind.Flags))
            {
                // No FETCH may show a keyword the client has not seen in FLAGS.
                mailbox.AnnounceKeywords(info.Keywords, _out);
            }

            _out.Raw("* ").Number(index + 1).Raw(" FETCH (");
            var first = true;
            var flagsWritten = false;
            foreach (var item in items)
            {
                if (!first)
                {
                    _out.Space();
                }

                first = false;
                switch (item.Kind)
                {
                    case FetchKind.Uid:
                        _out.Raw("UID ").Number(info.Uid);
                        break;
                    case FetchKind.Flags:
                        _out.Raw("FLAGS ").Raw(mailbox.FormatFlags(info.Uid, info.Flags, info.Keywords));
                        flagsWritten = true;
                        break;
                    case FetchKind.InternalDate:
                        _out.Raw("INTERNALDATE \"").Raw(SearchParser.FormatDateTime(info.InternalDate)).Raw("\"");
                        break;
                    case FetchKind.Rfc822Size:
                        _out.Raw("RFC822.SIZE ").Number(info.CrlfSize);
                        break;
                    case FetchKind.ModSeq:
                        _out.Raw("MODSEQ (").Number(info.ModSeq).Raw(")");
                        break;
                    case FetchKind.EmailId:
                        _out.Raw("EMAILID (").Raw(EmailObjectId(info)).Raw(")");
                        break;
                    case FetchKind.ThreadId:
                        // RFC 8474 §5.2: NIL when the server does not keep thread ids.
                        _out.Raw("THREADID NIL");
                        break;
                    case FetchKind.Preview:
                        (file, structure) = await EnsureStructureAsync(mailbox, record, file, structure);
                        _out.Raw("PREVIEW ");
                        if (file is null || structure is null)
                        {
                            _out.Raw("NIL");
                            break;
                        }

                        _out.NString(await MessagePreview.MakeAsync(structure, file, cancellationToken));
                        break;
                    case FetchKind.Envelope:
                    case FetchKind.Body:
                    case FetchKind.BodyStructure:
                        var cached = item.Kind switch
                        {
                            FetchKind.Envelope => record.Envelope,
                            FetchKind.Body => record.Body,
                            _ => record.BodyStructure,
                        };
                        if (cached is null)
                        {
                            (file, structure) = await EnsureStructureAsync(mailbox, record, file, structure);
                            if (structure is null)
                            {
                                ok = false;
                                _out.Raw(item.Label).Raw(" NIL");
                                break;
                            }

                            cached = item.Kind switch
                            {
                                FetchKind.Envelope => ImapViews.Envelope(structure),
                                FetchKind.Body => ImapViews.Body(structure),
                                _ => ImapViews.BodyStructure(structure),
                            };
                        }

                        _out.Raw(item.Label).Space().Bytes(cached);
                        break;
                    case FetchKind.Section when item.IsWholeMessage:
                        file ??= _services.Store.OpenMessage(mailbox.Info, info);
                        _out.Raw(item.Label).Space();
                        if (file is null)
                        {
                            ok = false;
                            _out.Raw("NIL");
                            break;
                        }

                        // RFC822.SIZE bytes: the file with bare LFs as CRLF and NUL as 0x80 (RFC 9051 §4.3), as the
                        // section resolver serves BODY[] (structure.CrlfLength is the row's CRLF size).
                        file.Position = 0;
                        await using (var whole = new CrlfNormalizingStream(file, leaveOpen: true, replaceNul: true))
                        {
                            await _out.LiteralAsync(whole, info.CrlfSize, binary: false, cancellationToken);
                        }

                        break;
                    case FetchKind.Section:
                    case FetchKind.Binary:
                    case FetchKind.BinarySize:
                        (file, structure) = await EnsureStructureAsync(mailbox, record, file, structure);
                        _out.Raw(item.Label).Space();
                        if (file is null || structure is null)
                        {
                            ok = false;
                            _out.Raw(item.Kind == FetchKind.BinarySize ? "0" : "NIL");
                            break;
                        }

                        if (item.Kind == FetchKind.Section)
                        {
                            await WriteSectionAsync(file, structure, item, cancellationToken);
                        }
                        else
                        {
                            if (!structure.HasHeaderValues)
                            {
                                // The cached structure has no header values, so no Content-Transfer-Encoding to undo.
                                file.Position = 0;
                                structure = await MimeParser.ParseAsync(file, cancellationToken: cancellationToken);
                            }

                            await WriteBinaryAsync(file, structure, item, cancellationToken);
                        }

                        break;
                }
            }

            if (seenNow && !flagsWritten)
            {
                // RFC 9051 §6.4.5: BODY[] sets \Seen, and the new flags are reported with the data.
                _out.Raw(" FLAGS ").Raw(mailbox.FormatFlags(info.Uid, info.Flags, info.Keywords));
            }

            _out.Raw(")").Crlf();
            await _out.FlushIfLargeAsync(cancellationToken);
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }
        }

        return ok;
    }

    private async Task<(Stream? File, MessageStructure? Structure)> EnsureStructureAsync(SelectedMailbox mailbox, MessageRecord record, Stream? file, MessageStructure? structure)
    {
        file ??= _services.Store.OpenMessage(mailbox.Info, record.Info);
        if (structure is null && record.Structure is { } bytes && MessageStructure.TryDeserialize(bytes, out var cached))
        {
            structure = cached;
        }

        if (structure is null && file is not null)
        {
            file.Position = 0;
            structure = await MimeParser.ParseAsync(file);
        }

        return (file, structure);
    }

    private async Task WriteSectionAsync(Stream file, MessageStructure structure, FetchItem item, CancellationToken cancellationToken)
    {
        var content = structure.Resolve(item.Section!);
        if (content is null)
        {
            // RFC 9051 §6.4.5: a section that does not exist is an empty string.
            _out.Raw("\"\"");
            return;
        }

        await using var stream = item.PartialStart is { } start
            ? content.OpenPartial(file, start, item.PartialLength ?? long.MaxValue)
            : content.Open(file);
        await _out.LiteralAsync(stream, stream.Length, binary: false, cancellationToken);
    }

    /// <summary>RFC 3516: the part's content with its transfer encoding undone (decoded into a buffer to learn its size).</summary>
    private async Task WriteBinaryAsync(Stream file, MessageStructure structure, FetchItem item, CancellationToken cancellationToken)
    {
        var part = FindPart(structure, item.Parts);
        if (part is null)
        {
            _out.Raw(item.Kind == FetchKind.BinarySize ? "0" : "NIL");
            return;
        }

        var spec = item.Parts.Count == 0 ? SectionSpec.Whole : new SectionSpec(item.Parts, SectionText.None, []);
        var content = structure.Resolve(spec)!;
        var decode = item.Parts.Count > 0 && part.Kind is not (MimePartKind.Multipart or MimePartKind.Message);
        await using var buffer = part.BodyLength > 1024 * 1024
            ? new FileStream(Path.Combine(Directory.CreateDirectory(_options.TempDirectory).FullName, $"binary-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose)
            : (Stream)new MemoryStream();
        await using (var raw = content.Open(file))
        {
            if (decode)
            {
                await using var decoded = new TransferDecodingStream(raw, part.ContentTransferEncoding, leaveOpen: true);
                await decoded.CopyToAsync(buffer, cancellationToken);
            }
            else
            {
                await raw.CopyToAsync(buffer, cancellationToken);
            }
        }

        if (item.Kind == FetchKind.BinarySize)
        {
            _out.Number(buffer.Length);
            return;
        }

        var start = Math.Min(item.PartialStart ?? 0, buffer.Length);
        var length = Math.Min(item.PartialLength ?? long.MaxValue, buffer.Length - start);
        buffer.Position = start;
        var hasNul = false;
        var scan = new byte[64 * 1024];
        int n;
        var scanned = 0L;
        while (scanned < length && (n = await buffer.ReadAsync(scan.AsMemory(0, (int)Math.Min(scan.Length, length - scanned)), cancellationToken)) > 0)
        {
            hasNul |= scan.AsSpan(0, n).Contains((byte)0);
            scanned += n;
        }

        buffer.Position = start;
        await _out.LiteralAsync(buffer, length, binary: hasNul, cancellationToken);
    }

    /// <summary>RFC 8474 EMAILID: derived from the maildir base name, which a message keeps for its life in a folder.</summary>
    private static string EmailObjectId(MessageInfo info)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(info.BaseName));
        return "M" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    /// <summary>The part that section numbers name (RFC 9051 §6.4.5 numbering, as the section resolver does it).</summary>
    private static MessagePart? FindPart(MessageStructure structure, IReadOnlyList<int> parts)
    {
        MessagePart target = structure.Root;
        MessagePart? context = structure.Root;
        foreach (var n in parts)
        {
            MessagePart? next = context switch
            {
                null => null,
                { Kind: MimePartKind.Multipart } mp => n <= mp.Children.Count ? mp.Children[n - 1] : null,
                _ => n == 1 ? context : null,
            };
            if (next is null)
            {
                return null;
            }

            target = next;
            context = next switch
            {
                { Kind: MimePartKind.Message, Message: { } m } when SectionResolver.IsImapMessage(next) => m,
                { Kind: MimePartKind.Multipart } => next,
                _ => null,
            };
        }

        return target;
    }
}
