using System.Text;

namespace MailAppliance.IntegrationTests.Imap.Clients;

/// <summary>
/// Python's imaplib against the real appliance: every command it can send, over IMAPS and STARTTLS, with results
/// checked against the messages delivered through the MX port (as the appliance stored them).
/// </summary>
public sealed class ImaplibTests : IClassFixture<ImapClientFixture>
{
    private const string Plain = "From: Bob <bob@example.net>\r\nTo: alice@example.test\r\nSubject: first\r\nMessage-ID: <m1@example.net>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nhello one\r\n";

    private const string Multipart = "From: Carol <carol@example.org>\r\nSubject: second\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npart one\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--b1--\r\n";

    private const string Large = "From: Dave <dave@example.com>\r\nSubject: third\r\n\r\nneedle in the body\r\n";

    private readonly ImapClientFixture _app;

    public ImaplibTests(ImapClientFixture app) => _app = app;

    /// <summary>Delivers the three messages and copies the stored files (CRLF) where the script reads them by subject.</summary>
    private async Task<string> DeliverThreeAsync(string local)
    {
        await _app.DeliverAsync(local, Plain, Multipart, Large);
        var directory = Path.Combine(_app.Root, "expected-" + local);
        Directory.CreateDirectory(directory);
        foreach (var (file, i) in _app.Messages(local).Select((f, i) => (f, i)))
        {
            var text = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
            await File.WriteAllBytesAsync(Path.Combine(directory, $"{i}.eml"), Encoding.Latin1.GetBytes(text));
        }

        return directory;
    }

    private static string ExpectedBySubject(string directory) => $$"""
        import os
        expected = {}
        for name in os.listdir("{{directory}}"):
            raw = open(os.path.join("{{directory}}", name), "rb").read()
            expected[re.search(rb"^Subject: (.*)\r$", raw, re.M).group(1).decode()] = raw
        eq(len(expected), 3)
        def subject_of(m, n, uid=False):
            data = ok((m.uid if uid else m.fetch)(*(("FETCH",) if uid else ()), str(n), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
            return data[0][1].decode().split(":", 1)[1].strip()
        """;

    [Fact]
    public async Task Logs_in_over_imaps_starttls_and_authenticate_and_refuses_plaintext()
    {
        var user = await _app.UserAsync("login");
        await _app.ImaplibAsync($$"""
            user = "{{user}}"
            # IMAPS: the greeting's capabilities, CAPABILITY before and after login, NOOP, LOGOUT.
            m = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=ctx, timeout=30)
            caps = m.capabilities
            assert "IMAP4REV1" in caps and "AUTH=PLAIN" in caps and "STARTTLS" not in caps, caps
            typ, data = m.login(user, "pw")
            eq(typ, "OK")
            caps = ok(m.capability())[0].decode().upper().split()
            for c in ("IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "QUOTA", "ENABLE", "CONDSTORE"):
                assert c in caps, (c, caps)
            ok(m.noop())
            eq(m.logout()[0], "BYE")

            # STARTTLS on the plain port: advertised, and LOGIN refused before it (LOGINDISABLED).
            m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=30)
            assert "STARTTLS" in m.capabilities and "LOGINDISABLED" in m.capabilities, m.capabilities
            try:
                m.login(user, "pw")
                raise AssertionError("plaintext LOGIN accepted")
            except imaplib.IMAP4.error as e:
                pass
            m.logout()
            m = starttls(user)
            eq(m.state, "AUTH")
            m.logout()

            # AUTHENTICATE PLAIN and LOGIN (SASL), and a wrong password.
            for mechanism, answers in (("PLAIN", None), ("LOGIN", [user, "pw"])):
                m = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=ctx, timeout=30)
                if answers is None:
                    ok(m.authenticate("PLAIN", lambda _: ("\0" + user + "\0pw").encode()))
                else:
                    queue = list(answers)
                    ok(m.authenticate("LOGIN", lambda _: queue.pop(0).encode()))
                eq(m.state, "AUTH")
                m.logout()
            m = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=ctx, timeout=30)
            try:
                m.login(user, "wrong")
                raise AssertionError("wrong password accepted")
            except imaplib.IMAP4.error as e:
                assert "AUTHENTICATIONFAILED" in str(e), e
            m.logout()

            # NAMESPACE, ENABLE, and ID (sent with imaplib's xatom, as it has no method for it).
            m = imaps(user)
            ok(m.xatom("ID", '("name" "imaplib")'))
            server_id = m.response("ID")[1][0]
            assert server_id is not None and server_id.startswith(b"("), server_id
            ns = ok(m.namespace())[0].decode()
            assert ns.startswith('(("" "'), ns
            ok(m.enable("CONDSTORE"))
            enabled = m.response("ENABLED")[1]
            assert b"CONDSTORE" in (enabled[0] or b"").upper(), enabled
            m.logout()
            print("ok")
            """);
    }

    [Fact]
    public async Task Manages_mailboxes_list_lsub_create_rename_delete_subscribe_status()
    {
        var user = await _app.UserAsync("boxes");
        await _app.DeliverAsync("boxes", Plain);
        await _app.ImaplibAsync($$"""
            m = imaps("{{user}}")
            def names(data):
                out = []
                for d in data:
                    if isinstance(d, tuple):
                        out.append(d[1].decode())
                    elif d:
                        out.append(re.match(rb'\((.*?)\) (?:"(.)"|NIL) (.*)$', d).group(3).decode().strip('"'))
                return sorted(out)
            root = ok(m.list('""', '""'))[0].decode()
            sep = re.match(r'\(.*?\) "(.)" ""', root).group(1)
            special = ["Drafts", "Junk", "Sent", "Trash"]
            eq(names(ok(m.list())), sorted(["INBOX"] + special))
            ok(m.create("Projects"))
            ok(m.create("Projects" + sep + "2026"))
            eq(names(ok(m.list())), sorted(["INBOX", "Projects", "Projects" + sep + "2026"] + special))
            eq(names(ok(m.list('""', "Proj*"))), ["Projects", "Projects" + sep + "2026"])
            eq(names(ok(m.list('""', "Proj%"))), ["Projects"])
            typ, data = m.create("Projects")
            eq(typ, "NO")

            ok(m.subscribe("Projects"))
            assert "Projects" in names(ok(m.lsub())), m.lsub()
            ok(m.unsubscribe("Projects"))
            assert "Projects" not in names([d for d in ok(m.lsub()) if d]), m.lsub()

            ok(m.rename("Projects" + sep + "2026", "Archive"))
            listed = names(ok(m.list()))
            assert "Archive" in listed and "Projects" + sep + "2026" not in listed, listed

            status = ok(m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"))[0].decode()
            assert re.search(r"MESSAGES 1\b", status) and re.search(r"UNSEEN 1\b", status) and re.search(r"UIDNEXT 2\b", status), status
            status = ok(m.status("Archive", "(MESSAGES)"))[0].decode()
            assert "MESSAGES 0" in status, status
            typ, data = m.status("Nope", "(MESSAGES)")
            eq(typ, "NO")

            ok(m.delete("Archive"))
            ok(m.delete("Projects"))
            eq(names(ok(m.list())), sorted(["INBOX"] + special))
            typ, data = m.delete("INBOX")
            eq(typ, "NO")
            m.logout()
            print("ok")
            """);
    }

    [Fact]
    public async Task Fetches_searches_stores_copies_appends_and_expunges_by_sequence_number()
    {
        var user = await _app.UserAsync("msgs");
        var directory = await DeliverThreeAsync("msgs");
        await _app.ImaplibAsync($$"""
            {{ExpectedBySubject(directory)}}
            m = imaps("{{user}}")
            eq(ok(m.select("INBOX")), [b"3"])
            eq(ok(m.search(None, "ALL"))[0].split(), [b"1", b"2", b"3"])
            by_subject = {subject_of(m, n): n for n in (1, 2, 3)}
            eq(sorted(by_subject), ["first", "second", "third"])

            for subject, n in by_subject.items():
                raw = expected[subject]
                cut = raw.index(b"\r\n\r\n") + 4
                header, text = raw[:cut], raw[cut:]
                data = ok(m.fetch(str(n), "(BODY.PEEK[])"))
                eq(data[0][1], raw)
                size = ok(m.fetch(str(n), "(RFC822.SIZE)"))[0].decode()
                assert ("RFC822.SIZE %d" % len(raw)) in size, (size, len(raw))
                eq(ok(m.fetch(str(n), "(BODY.PEEK[HEADER])"))[0][1], header)
                eq(ok(m.fetch(str(n), "(BODY.PEEK[TEXT])"))[0][1], text)
                eq(ok(m.fetch(str(n), "(RFC822.HEADER)"))[0][1], header)
                eq(ok(m.fetch(str(n), "(BODY.PEEK[]<0.10>)"))[0][1], raw[:10])
                eq(ok(m.fetch(str(n), "(BODY.PEEK[]<5.20>)"))[0][1], raw[5:25])
                eq(ok(m.fetch(str(n), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1], ("Subject: %s\r\n\r\n" % subject).encode())
                fields = ok(m.fetch(str(n), "(BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT RECEIVED)])"))[0][1]
                assert b"Subject:" not in fields and b"Received:" not in fields and fields.endswith(b"\r\n\r\n"), fields
                flags = ok(m.fetch(str(n), "(FLAGS)"))[0]
                assert b"\\Seen" not in flags, flags
                date = ok(m.fetch(str(n), "(INTERNALDATE)"))[0]
                assert imaplib.Internaldate2tuple(date) is not None, date
                assert abs(time.mktime(imaplib.Internaldate2tuple(date)) - time.time()) < 600, date
                uid = ok(m.fetch(str(n), "(UID)"))[0].decode()
                assert re.match(r"%d \(UID \d+\)" % n, uid), uid

            # ENVELOPE and BODYSTRUCTURE.
            env = ok(m.fetch(str(by_subject["first"]), "(ENVELOPE)"))[0].decode()
            assert '"first"' in env and '"<m1@example.net>"' in env and '("bob" nil "bob" "example.net")' in env.lower() and "Mon, 02 Nov 2026 10:00:00 +0000" in env, env
            bs = ok(m.fetch(str(by_subject["second"]), "(BODYSTRUCTURE)"))[0].decode().upper()
            assert '"TEXT" "PLAIN"' in bs and '"TEXT" "HTML"' in bs and '"MIXED"' in bs and '"BOUNDARY" "B1"' in bs, bs
            bs = ok(m.fetch(str(by_subject["second"]), "(BODY)"))[0].decode().upper()
            assert '"TEXT" "PLAIN"' in bs and '"MIXED"' in bs, bs
            bs = ok(m.fetch(str(by_subject["first"]), "(BODYSTRUCTURE)"))[0].decode().upper()
            assert '("TEXT" "PLAIN"' in bs, bs
            # Parts of the multipart message.
            n2 = str(by_subject["second"])
            eq(ok(m.fetch(n2, "(BODY.PEEK[1])"))[0][1], b"part one")
            eq(ok(m.fetch(n2, "(BODY.PEEK[2])"))[0][1], b"<p>two</p>")
            mime = ok(m.fetch(n2, "(BODY.PEEK[1.MIME])"))[0][1]
            eq(mime, b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
            eq(ok(m.fetch(n2, "(BINARY.PEEK[1])"))[0][1], b"part one")
            size = ok(m.fetch(n2, "(BINARY.SIZE[2])"))[0].decode()
            assert "BINARY.SIZE[2] 10" in size, size
            # The macros: FAST, ALL, FULL.
            for macro in ("FAST", "ALL", "FULL"):
                data = ok(m.fetch("1:3", macro))
                eq(len(data), 3)
                assert all(b"FLAGS" in d and b"RFC822.SIZE" in d and b"INTERNALDATE" in d for d in data), data

            # A non-peek fetch sets \Seen (and reports it); RFC822 and RFC822.TEXT too.
            n1 = str(by_subject["first"])
            data = ok(m.fetch(n1, "(BODY[])"))
            eq(data[0][1], expected["first"])
            assert b"\\Seen" in ok(m.fetch(n1, "(FLAGS)"))[0]
            n3 = str(by_subject["third"])
            raw3 = expected["third"]
            eq(ok(m.fetch(n3, "(RFC822.TEXT)"))[0][1], raw3[raw3.index(b"\r\n\r\n") + 4:])
            assert b"\\Seen" in ok(m.fetch(n3, "(FLAGS)"))[0]
            eq(ok(m.fetch(n2, "(RFC822)"))[0][1], expected["second"])

            # SEARCH.
            def search(*criteria):
                return sorted(int(x) for x in ok(m.search(None, *criteria))[0].split())
            eq(search("ALL"), [1, 2, 3])
            eq(search("SUBJECT", "second"), [by_subject["second"]])
            eq(search("FROM", "carol"), [by_subject["second"]])
            eq(search("BODY", "needle"), [by_subject["third"]])
            eq(search("TEXT", '"hello one"'), [by_subject["first"]])
            eq(search("HEADER", "Message-ID", "m1@example.net"), [by_subject["first"]])
            eq(search("SEEN"), [1, 2, 3])
            eq(search("UNSEEN"), [])
            eq(search("NOT", "SUBJECT", "first"), sorted([by_subject["second"], by_subject["third"]]))
            eq(search("OR", "SUBJECT", "first", "SUBJECT", "third"), sorted([by_subject["first"], by_subject["third"]]))
            eq(search("LARGER", str(len(expected["second"]) - 1)), [by_subject["second"]])
            eq(search("SMALLER", "100"), [])
            eq(search("SINCE", time.strftime("%d-%b-%Y", time.gmtime(time.time() - 86400 * 2))), [1, 2, 3])
            eq(search("BEFORE", "01-Jan-2000"), [])
            eq(search("SENTON", "02-Nov-2026"), [by_subject["first"]])
            eq(search("2:3"), [2, 3])
            eq(search("CHARSET", "UTF-8", "SUBJECT", "third"), [by_subject["third"]])

            # STORE: +FLAGS, -FLAGS, FLAGS, .SILENT, keywords.
            data = ok(m.store("1", "+FLAGS", "(\\Flagged)"))
            assert b"\\Flagged" in data[0] and b"\\Seen" in data[0], data
            data = ok(m.store("1", "-FLAGS", "(\\Seen)"))
            assert b"\\Seen" not in data[0] and b"\\Flagged" in data[0], data
            data = ok(m.store("2", "FLAGS", "(\\Answered $Label1)"))
            assert b"\\Answered" in data[0] and b"$Label1" in data[0] and b"\\Seen" not in data[0], data
            data = ok(m.store("3", "+FLAGS.SILENT", "(\\Draft)"))
            eq(data, [None])
            assert b"\\Draft" in ok(m.fetch("3", "(FLAGS)"))[0]
            eq(search("FLAGGED"), [1])
            eq(search("KEYWORD", "$Label1"), [2])
            eq(search("ANSWERED"), [2])
            eq(search("DRAFT"), [3])
            eq(search("UNSEEN"), sorted([1, 2]))

            # COPY into a new mailbox (TRYCREATE before it exists), then STATUS and contents there.
            typ, data = m.copy("1:2", "Archive")
            eq(typ, "NO")
            ok(m.create("Archive"))
            ok(m.copy("1:2", "Archive"))
            copyuid = m.response("COPYUID")[1][0].decode()
            assert re.match(r"\d+ (1:2|1,2) (1:2|1,2)$", copyuid), copyuid
            status = ok(m.status("Archive", "(MESSAGES)"))[0].decode()
            assert "MESSAGES 2" in status, status

            # APPEND with flags and a date; APPENDUID; the bytes come back as sent.
            appended = b"From: me@example.test\r\nSubject: appended\r\n\r\nwritten by imaplib\r\n"
            date = imaplib.Time2Internaldate(time.mktime((2025, 6, 1, 12, 0, 0, 0, 0, -1)))
            ok(m.append("INBOX", "(\\Seen $Sent)", date, appended))
            appenduid = m.response("APPENDUID")[1][0].decode()
            assert re.match(r"\d+ 4$", appenduid), appenduid
            ok(m.noop())
            eq(search("ALL"), [1, 2, 3, 4])
            eq(ok(m.fetch("4", "(BODY.PEEK[])"))[0][1], appended)
            data = ok(m.fetch("4", "(FLAGS INTERNALDATE)"))[0]
            assert b"\\Seen" in data and b"$Sent" in data and b"01-Jun-2025" in data, data
            ok(m.check())

            # EXPUNGE removes \Deleted messages and renumbers.
            ok(m.store("2", "+FLAGS.SILENT", "(\\Deleted)"))
            eq(ok(m.expunge()), [b"2"])
            eq(search("ALL"), [1, 2, 3])
            eq(search("SUBJECT", "appended"), [3])

            # UNSELECT keeps \Deleted messages, CLOSE expunges them.
            ok(m.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
            ok(m.unselect())
            eq(m.state, "AUTH")
            eq(ok(m.select("INBOX")), [b"3"])
            ok(m.close())
            eq(ok(m.select("INBOX")), [b"2"])

            # EXAMINE is read-only: fetching a body does not set \Seen.
            ok(m.store("1:2", "-FLAGS.SILENT", "(\\Seen)"))
            ok(m.close())
            m.select("INBOX", readonly=True)
            assert "READ-ONLY" in m.untagged_responses, m.untagged_responses
            ok(m.fetch("1", "(BODY[])"))
            assert b"\\Seen" not in ok(m.fetch("1", "(FLAGS)"))[0]
            m.logout()

            # Over STARTTLS too: the same INBOX, now two messages.
            m = starttls("{{user}}")
            eq(ok(m.select("INBOX")), [b"2"])
            eq(ok(m.select("Archive")), [b"2"])
            m.logout()
            print("ok")
            """);
    }

    [Fact]
    public async Task Uid_fetch_search_store_copy_move_and_expunge()
    {
        var user = await _app.UserAsync("uids");
        var directory = await DeliverThreeAsync("uids");
        await _app.ImaplibAsync($$"""
            {{ExpectedBySubject(directory)}}
            m = imaps("{{user}}")
            ok(m.select("INBOX"))
            uids = [int(x) for x in ok(m.uid("SEARCH", None, "ALL"))[0].split()]
            eq(uids, [1, 2, 3])
            for uid in uids:
                data = ok(m.uid("FETCH", str(uid), "(UID BODY.PEEK[])"))
                raw = data[0][1]
                assert ("UID %d" % uid).encode() in data[0][0], data[0][0]
                subject = re.search(rb"^Subject: (.*)\r$", raw, re.M).group(1).decode()
                eq(raw, expected[subject])
            by_subject = {subject_of(m, uid, uid=True): uid for uid in uids}
            eq(sorted(by_subject), ["first", "second", "third"])
            eq([int(x) for x in ok(m.uid("SEARCH", None, "SUBJECT", "third"))[0].split()], [by_subject["third"]])
            eq(ok(m.uid("SEARCH", None, "UID", "2:*"))[0].split(), [b"2", b"3"])
            # A UID range past the last UID still matches the last message (RFC 9051 §6.4.8 "*").
            eq(ok(m.uid("FETCH", "99:*", "(UID)"))[0], b"3 (UID 3)")
            eq(ok(m.uid("FETCH", "50:60", "(UID)")), [None])

            data = ok(m.uid("STORE", "2", "+FLAGS", "(\\Flagged)"))
            assert b"UID 2" in data[0] and b"\\Flagged" in data[0], data
            eq(ok(m.uid("SEARCH", None, "FLAGGED"))[0], b"2")

            ok(m.create("Kept"))
            ok(m.create("Moved"))
            ok(m.uid("COPY", "1:2", "Kept"))
            copyuid = m.response("COPYUID")[1][0].decode()
            assert re.match(r"\d+ (1:2|1,2) (1:2|1,2)$", copyuid), copyuid
            ok(m.uid("MOVE", "2", "Moved"))
            eq(m.response("EXPUNGE")[1], [b"2"])
            eq(ok(m.uid("SEARCH", None, "ALL"))[0].split(), [b"1", b"3"])
            eq(ok(m.status("Moved", "(MESSAGES)"))[0].decode().count("MESSAGES 1"), 1)

            # UID EXPUNGE only expunges the named \Deleted messages (UIDPLUS).
            ok(m.uid("STORE", "1,3", "+FLAGS.SILENT", "(\\Deleted)"))
            ok(m.uid("EXPUNGE", "3"))
            eq(m.response("EXPUNGE")[1], [b"2"])
            eq(ok(m.uid("SEARCH", None, "ALL"))[0].split(), [b"1"])
            eq(ok(m.uid("SEARCH", None, "DELETED"))[0].split(), [b"1"])

            # What arrived in the other mailboxes is what was delivered, flags included.
            ok(m.select("Moved"))
            data = ok(m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])"))
            eq(len([d for d in data if isinstance(d, tuple)]), 1)
            assert b"\\Flagged" in data[0][0], data[0][0]
            eq(data[0][1], expected[[s for s, u in by_subject.items() if u == 2][0]])
            ok(m.select("Kept"))
            data = [d for d in ok(m.uid("FETCH", "1:*", "(BODY.PEEK[])")) if isinstance(d, tuple)]
            eq(sorted(d[1] for d in data), sorted(expected[s] for s, u in by_subject.items() if u in (1, 2)))
            m.logout()
            print("ok")
            """);
    }

    [Fact]
    public async Task Reports_quota_and_idles_until_a_delivery()
    {
        var user = await _app.UserAsync("idler", quota: "10M");
        await _app.DeliverAsync("idler", Plain);
        await _app.ImaplibAsync($$"""
            import smtplib
            m = imaps("{{user}}")
            roots, quotas = ok(m.getquotaroot("INBOX"))
            eq(roots, [b'"INBOX" ""'])
            assert re.match(r'"" \(STORAGE \d+ (10240|9765)\)$', quotas[0].decode()), quotas
            quota = ok(m.getquota('""'))[0].decode()
            assert re.match(r'"" \(STORAGE \d+ (10240|9765)\)$', quota), quota
            typ, data = m.setquota('""', "(STORAGE 1)")
            eq(typ, "NO")

            # IDLE (imaplib in this python has no idle(); the raw exchange through its socket helpers).
            eq(ok(m.select("INBOX")), [b"1"])
            tag = m._new_tag()
            m.send(tag + b" IDLE\r\n")
            line = m.readline()
            assert line.startswith(b"+"), line
            started = time.monotonic()
            s = smtplib.SMTP("127.0.0.1", {{_app.SmtpPort}}, timeout=30)
            s.sendmail("sender@example.net", ["{{user}}"], b"Subject: while idle\r\n\r\nwake up\r\n")
            s.quit()
            m.sock.settimeout(20)
            line = m.readline()
            eq(line, b"* 2 EXISTS\r\n")
            print("IDLE saw the delivery after %.3f s" % (time.monotonic() - started))
            m.send(b"DONE\r\n")
            while True:
                line = m.readline()
                if line.startswith(tag):
                    break
            assert line.startswith(tag + b" OK"), line
            eq(ok(m.fetch("2", "(BODY.PEEK[TEXT])"))[0][1], b"wake up\r\n")
            eq(m.logout()[0], "BYE")
            """);
    }
}
