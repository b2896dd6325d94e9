namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// The rules every installation starts with, in the same format as the admin's file (which can rescore or replace
/// any of them by name). Scores are SpamAssassin's order of magnitude for the same tells.
/// </summary>
public static class BuiltInRules
{
    public const string Source = "built-in";

    public const string Text = """
        # RFC 5322 §3.6: Date and From are required; Message-ID should be there. Their absence is a bulk-sender tell.
        header   __HAS_DATE          exists:Date
        meta     MISSING_DATE        !__HAS_DATE
        score    MISSING_DATE        1.4
        describe MISSING_DATE        Missing Date: header

        header   __HAS_MESSAGE_ID    exists:Message-ID
        meta     MISSING_MID         !__HAS_MESSAGE_ID
        score    MISSING_MID         0.5
        describe MISSING_MID         Missing Message-ID: header

        header   __HAS_FROM          exists:From
        meta     MISSING_FROM        !__HAS_FROM
        score    MISSING_FROM        1.0
        describe MISSING_FROM        Missing From: header

        header   __HAS_SUBJECT       exists:Subject
        meta     MISSING_SUBJECT     !__HAS_SUBJECT
        score    MISSING_SUBJECT     0.5
        describe MISSING_SUBJECT     Missing Subject: header

        header   FORGED_HELO         eval:helo_forged()
        score    FORGED_HELO         2.5
        describe FORGED_HELO         HELO names us or an address that is not the client's

        header   HELO_NOT_FQDN       eval:helo_not_fqdn()
        score    HELO_NOT_FQDN       0.5
        describe HELO_NOT_FQDN       HELO is not a fully qualified domain name

        header   FROM_NEQ_ENVFROM    eval:from_not_envelope()
        score    FROM_NEQ_ENVFROM    0.3
        describe FROM_NEQ_ENVFROM    From: domain differs from the envelope sender's

        body     MIME_HTML_ONLY      eval:html_only()
        score    MIME_HTML_ONLY      0.7
        describe MIME_HTML_ONLY      Message only has text/html MIME parts

        header   SUBJ_ALL_CAPS       eval:subject_all_caps()
        score    SUBJ_ALL_CAPS       1.0
        describe SUBJ_ALL_CAPS       Subject is all capitals

        body     BODY_MOSTLY_CAPS    eval:body_mostly_caps()
        score    BODY_MOSTLY_CAPS    1.5
        describe BODY_MOSTLY_CAPS    Body text is mostly capitals

        uri      NUMERIC_HTTP_ADDR   eval:uri_bare_ip()
        score    NUMERIC_HTTP_ADDR   1.5
        describe NUMERIC_HTTP_ADDR   URI to a bare IP address

        body     LINK_TEXT_MISMATCH  eval:link_text_mismatch()
        score    LINK_TEXT_MISMATCH  2.0
        describe LINK_TEXT_MISMATCH  Link text names another host than the link goes to

        body     MIME_BASE64_TEXT    eval:base64_text()
        score    MIME_BASE64_TEXT    1.0
        describe MIME_BASE64_TEXT    Plain ASCII text disguised with base64

        body     EMPTY_MESSAGE       eval:empty_body()
        score    EMPTY_MESSAGE       0.5
        describe EMPTY_MESSAGE       Message has no text and no attachment

        # The Generic Test for Unsolicited Bulk Email (SpamAssassin's test string).
        body     GTUBE               /XJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\*C\.34X/
        score    GTUBE               1000
        describe GTUBE               Generic Test for Unsolicited Bulk Email

        # Authentication results, computed before scoring (RFC 7208, RFC 6376, RFC 7489).
        header   SPF_PASS            eval:spf(pass)
        score    SPF_PASS            -0.1
        header   SPF_FAIL            eval:spf(fail)
        score    SPF_FAIL            1.0
        header   SPF_SOFTFAIL        eval:spf(softfail)
        score    SPF_SOFTFAIL        0.7
        header   DKIM_VALID          eval:dkim(pass)
        score    DKIM_VALID          -0.1
        header   DKIM_VALID_AU       eval:dkim_aligned()
        score    DKIM_VALID_AU       -0.1
        header   DKIM_INVALID        eval:dkim(fail)
        score    DKIM_INVALID        0.1
        header   DMARC_PASS          eval:dmarc(pass)
        score    DMARC_PASS          -0.1
        header   DMARC_FAIL          eval:dmarc(fail)
        score    DMARC_FAIL          2.0
        describe DMARC_FAIL          DMARC policy of the From domain fails
        """;

    public static RuleParser.Parsed Parse() => RuleParser.Parse(Text, Source, BuiltInEvals.Names);
}
