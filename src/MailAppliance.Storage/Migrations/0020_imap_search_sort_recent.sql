-- IMAP SEARCH matches substrings (RFC 9051 §6.4.4), not words: the word index (tsvector) gives way to the folded
-- text itself (SearchText: top-level header lines, the other parts' headers, the From/To/Cc/Bcc addresses, the
-- text parts) with trigram indexes (pg_trgm), which serve LIKE '%key%' and the field regular expressions; the
-- row's text is the check, so an index hit is an exact answer. search_complete is false (or NULL: a row from
-- before this migration) when the text was cut at its size limit: SEARCH then reads that message's file.
-- btree_gin puts mailbox_id into the same GIN index, so a search walks one mailbox's posting lists only.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN IF EXISTS search;
ALTER TABLE messages
    ADD COLUMN search_header    text NULL,
    ADD COLUMN search_mime      text NULL,
    ADD COLUMN search_addresses text NULL,
    ADD COLUMN search_body      text NULL,
    ADD COLUMN search_complete  boolean NULL,
    -- SortKeys (binary): sent date, base subject, first From/To/Cc mailbox and display names, Message-ID and
    -- references for SORT (RFC 5256, RFC 5957) and THREAD. NULL: read from the message file.
    ADD COLUMN sort_keys        bytea NULL;

CREATE INDEX messages_search_text ON messages USING gin (
    mailbox_id, search_header gin_trgm_ops, search_mime gin_trgm_ops, search_addresses gin_trgm_ops, search_body gin_trgm_ops);
CREATE INDEX messages_search_unsure ON messages (mailbox_id, uid) WHERE search_complete IS NOT TRUE;

-- \Recent (RFC 3501 §2.3.2): the first UID that no read-write session has been told about yet. A SELECT (and a
-- selected session that sees new messages) claims everything below the UID it has seen, so exactly one session
-- gets each message as \Recent. Existing mailboxes start with nothing recent; a new one with everything.
ALTER TABLE mailboxes ADD COLUMN first_recent_uid bigint NOT NULL DEFAULT 1;
UPDATE mailboxes SET first_recent_uid = uidnext;

-- Claims the messages below p_upto for the calling session: returns the previous first recent UID (the caller's
-- recent messages are those from it up to p_upto), under the mailbox row's lock so two sessions never share one.
CREATE FUNCTION claim_recent(p_mailbox bigint, p_upto bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    previous bigint;
BEGIN
    SELECT first_recent_uid INTO previous FROM mailboxes WHERE id = p_mailbox FOR UPDATE;
    IF previous IS NOT NULL AND previous < p_upto THEN
        UPDATE mailboxes SET first_recent_uid = p_upto WHERE id = p_mailbox;
    END IF;
    RETURN previous;
END
$$;

-- RFC 5464 METADATA: per-mailbox and server annotations of a user (mailbox_id NULL: the server entries). Entry
-- names are lower-cased (they compare case-insensitively), values are bytes.
CREATE TABLE metadata (
    user_id     bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    mailbox_id  bigint NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    entry       text NOT NULL,
    value       bytea NOT NULL
);
CREATE UNIQUE INDEX metadata_entry ON metadata (user_id, coalesce(mailbox_id, 0), entry);
