namespace MailAppliance.Imap.Server;

/// <summary>
/// What the client turned on for this session (ENABLE, or implicitly by using a command): they change how the
/// server reports (MODSEQ in FETCH, VANISHED instead of EXPUNGE, UTF-8 names, IMAP4rev2 forms).
/// </summary>
public sealed class SessionModes
{
    /// <summary>RFC 7162 CONDSTORE: FETCH responses carry MODSEQ.</summary>
    public bool CondStore { get; set; }

    /// <summary>RFC 7162 QRESYNC: expunges are reported as VANISHED (implies CONDSTORE).</summary>
    public bool QResync { get; set; }

    /// <summary>RFC 6855 UTF8=ACCEPT: mailbox names in UTF-8.</summary>
    public bool Utf8 { get; set; }

    /// <summary>RFC 9051: IMAP4rev2 (no RECENT, ESEARCH for SEARCH, LIST after SELECT).</summary>
    public bool Rev2 { get; set; }
}
