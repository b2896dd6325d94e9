using System.Text;
using MailAppliance.Storage.Spool;

namespace MailAppliance.Fuzz;

/// <summary>
/// Well-formed and nearly well-formed inputs per target: afl++'s starting corpus, and the tokens the FsCheck
/// generators build hostile inputs from.
/// </summary>
public static class Seeds
{
    private const string Message =
        "From: \"Alice\" <alice@example.test>\r\nTo: bob@example.test, group: c@d.e;\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
        + "Date: Thu, 13 Feb 1969 23:32:54 -0330\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\n"
        + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9=\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + "Subject: inner\r\n\r\nbody\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + "SGVsbG8gd29ybGQ=\r\n--b--\r\nepilogue\r\n";

    private const string SpoolFile =
        "MailAppliance-Spool: 2\nQueue-Id: 0123456789abcdef\nReceived-At: 2026-12-05T12:00:00Z\nMail-From: a@example.net\n"
        + "Rcpt-To: alice@example.test\tNOTIFY=SUCCESS,FAILURE\tORCPT=rfc822;alice@example.test\nClient: 127.0.0.1\nHelo: client\n\n"
        + "Subject: x\r\n\r\nbody\r\n";

    /// <summary>Seed inputs per target name.</summary>
    public static IReadOnlyDictionary<string, string[]> ByTarget { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["smtp-command"] =
        [
            "EHLO client.example\r\nMAIL FROM:<a@example.net> SIZE=100 BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<b@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2B@x\r\nDATA\r\n",
            "MAIL FROM:<> RET=HDRS ENVID=x\r\nRCPT TO:<@r1,@r2:u@[127.0.0.1]>\r\nRCPT TO:<\"q\\\"x\"@example.test>\r\nBDAT 100 LAST\r\nAUTH PLAIN AGFsaWNlAHB3\r\nVRFY x\r\nQUIT\r\n",
        ],
        ["smtp-data"] = ["Subject: x\r\n\r\n..stuffed\r\nline\r\n.\r\nMAIL FROM:<x@y>\r\n", "a\n.\nb\r\n.\r\n", "\r\n.\r\n"],
        ["imap-command"] =
        [
            "a1 LOGIN alice \"p\\\"w\"\r\na2 SELECT INBOX\r\na3 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BODYSTRUCTURE)\r\n",
            "a4 SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (SEEN FROM alice) NOT BEFORE 1-Feb-2020 HEADER X-A b UID 1:5,7 MODSEQ 5\r\n",
            "a5 APPEND INBOX (\\Seen $Label) \"05-Dec-2026 12:00:00 +0000\" {11}\r\nSubject: x\r\n\r\na6 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n",
            "a7 LOGIN {5+}\r\nalice {2}\r\npw\r\na8 CREATE \"&AOk-t&AOk-\"\r\n",
        ],
        ["imap-section"] = ["1.2.HEADER.FIELDS (From To)\n" + Message, "2.MIME\n" + Message, "3.1.TEXT\n" + Message, "HEADER.FIELDS.NOT (Subject)\n" + Message],
        ["pop3-command"] = ["USER alice\r\nPASS a b c\r\nSTAT\r\nLIST 1\r\nTOP 1 10\r\nUIDL\r\nRETR 1\r\nDELE 1\r\nAUTH PLAIN\r\nQUIT\r\n"],
        ["sasl"] = ["AGFsaWNlAHB3\nYWxpY2U=\ncHc=\n", "=\n*\n"],
        ["mime"] = [Message, "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: y\r\n\r\nz\r\n--d--\r\n"],
        ["address"] = ["\"Alice\" <alice@example.test>, group: c@d.e, (comment) <@r:x@y>;", "=?utf-8?B?w6k=?= <a@b>", "user+tag@xn--caf-dma.example"],
        ["date"] = ["Thu, 13 Feb 1969 23:32:54 -0330", "5 Dec 2026 12:00 GMT", "1-Feb-2020", "05-Dec-2026 12:00:00 +0000"],
        ["line-reader"] = ["\x08" + "\x01line one\r\nline two\nthree\r\n"],
        ["spool"] = [SpoolFile],
        ["uidlist"] =
        [
            "3 V1234 N5 G0123456789abcdef0123456789abcdef\n1 :1712345678.M1P2.host,S=10,W=12\n4 W12 S10 :1712345679.M2P2.host\n",
            "1 1234 5\n1 1712345678.M1P2.host\n",
            "0 $Label\n1 Junk\n",
        ],
        ["maildir-names"] = ["1712345678.M1P2.host,S=10,W=12:2,FSab\n.Sent.2024\n.&AOk-t&AOk-\n"],
        ["sieve"] =
        [
            "require [\"fileinto\", \"imap4flags\", \"variables\", \"regex\", \"relational\", \"comparator-i;ascii-numeric\"];\r\n"
            + "if allof (header :contains \"subject\" \"report\", not exists \"X-Junk\") { addflag \"\\\\Seen\"; fileinto \"Reports\"; stop; }\r\n"
            + "elsif header :regex \"from\" \"^\\\"?(.*)\\\"? <(.+)@example\\\\.org>$\" { set \"who\" \"${1}\"; fileinto \"From/${who}\"; }\r\n"
            + "elsif header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"3\" { discard; }\r\n"
            + "else { keep; } # comment\r\n/* block\r\ncomment */\r\n",
            "require [\"vacation\", \"body\", \"envelope\", \"date\", \"editheader\", \"reject\", \"copy\"];\r\n"
            + "if envelope :localpart :is \"to\" \"bob\" { vacation :days 3 :subject \"away\" text:\r\nGone.\r\n..dots\r\n.\r\n; }\r\n"
            + "if body :text :matches \"*report*\" { redirect :copy \"carol@example.test\"; }\r\n"
            + "if date :is \"date\" \"year\" \"2026\" { addheader \"X-Year\" \"2026\"; deleteheader \"x-spam-score\"; }\r\n"
            + "if size :over 10K { reject \"too big\"; }\r\n",
        ],
        ["managesieve-command"] =
        [
            "AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHB3\"\r\nCAPABILITY\r\nLISTSCRIPTS\r\nPUTSCRIPT \"s\" {5+}\r\nkeep;\r\n"
            + "CHECKSCRIPT {6}\r\nstop;\n\r\nSETACTIVE \"s\"\r\nGETSCRIPT \"s\"\r\nRENAMESCRIPT \"s\" \"t\"\r\nHAVESPACE \"t\" 100\r\n"
            + "NOOP \"tag\\\\\\\"\"\r\nDELETESCRIPT \"t\"\r\nUNAUTHENTICATE\r\nLOGOUT\r\n",
            "AUTHENTICATE \"LOGIN\"\r\n\"YWxpY2U=\"\r\n{4+}\r\ncHc=\r\nSTARTTLS\r\n",
        ],
    };

    /// <summary>The seed inputs of a target as bytes (UTF-8).</summary>
    public static IEnumerable<byte[]> For(string target)
    {
        var seeds = ByTarget.TryGetValue(target, out var texts) ? texts.Select(s => Encoding.UTF8.GetBytes(s)).ToList() : [];
        if (target == "spool")
        {
            // A version 2 file as the spool writes it: header, message, verdict trailer and footer.
            var envelope = new SpoolEnvelope
            {
                QueueId = "0123456789abcdef",
                ReceivedAt = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero),
                MailFrom = "a@example.net",
                Recipients = [new SpoolRecipient("alice@example.test", "SUCCESS,FAILURE", "rfc822;alice@example.test")],
                ClientAddress = "127.0.0.1",
            };
            var verdict = new SpoolVerdict { Score = 1.5, Symbols = [new VerdictSymbol("X_Y", 1.5)], Headers = ["X-A: b"] };
            seeds.Add([.. SpoolFormat.Header(envelope), .. Encoding.ASCII.GetBytes("Subject: x\r\n\r\nbody\r\n"), .. SpoolFormat.Trailer(verdict)]);
        }

        return seeds;
    }
}
