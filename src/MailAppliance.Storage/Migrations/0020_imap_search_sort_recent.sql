-- IMAP SEARCH matches substrings (RFC 9051 §6.4.4), not words: the word index (tsvector) gives way to the folded
-- text itself (SearchText: top-level header lines, the other parts' headers, the From/To/Cc/Bcc addresses, the
-- text parts) in message_search, with trigram indexes (pg_trgm) that serve LIKE '%key%' and the field regular
-- expressions; the row's text is the check, so an index hit is an exact answer. complete is false when the text
-- was cut at its size limit: SEARCH then reads that message's file. btree_gin puts mailbox_id into the same GIN
-- index, so a search walks one mailbox's posting lists only.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN IF EXISTS search;

-- SortKeys (binary): sent date, base subject, first From/To/Cc mailbox and display names, Message-ID and
-- references for SORT (RFC 5256, RFC 5957) and THREAD. NULL: read from the message file (and kept).
ALTER TABLE messages ADD COLUMN sort_keys bytea NULL;

CREATE TABLE message_search (
    mailbox_id  bigint NOT NULL,
    uid         bigint NOT NULL,
    header      text NOT NULL,
    mime        text NOT NULL,
    addresses   text NOT NULL,
    body        text NOT NULL,
    complete    boolean NOT NULL,
    PRIMARY KEY (mailbox_id, uid),
    FOREIGN KEY (mailbox_id, uid) REFERENCES messages (mailbox_id, uid) ON DELETE CASCADE
);
CREATE INDEX message_search_text ON message_search USING gin (
    mailbox_id, header gin_trgm_ops, mime gin_trgm_ops, addresses gin_trgm_ops, body gin_trgm_ops);
CREATE INDEX message_search_incomplete ON message_search (mailbox_id, uid) WHERE NOT complete;

-- A trigram index costs more to update than a whole delivery otherwise does, so deliveries leave their text here
-- (a plain row) and the search indexer moves it into message_search in batches, when deliveries pause. SEARCH
-- reads the pending rows of a mailbox as they are (there are few); a row without text (a message indexed before
-- this migration, or copied from one) is filled from its file by the indexer, and read from its file by SEARCH
-- meanwhile.
CREATE TABLE search_pending (
    mailbox_id  bigint NOT NULL,
    uid         bigint NOT NULL,
    header      text NULL,
    mime        text NULL,
    addresses   text NULL,
    body        text NULL,
    complete    boolean NULL,
    PRIMARY KEY (mailbox_id, uid),
    FOREIGN KEY (mailbox_id, uid) REFERENCES messages (mailbox_id, uid) ON DELETE CASCADE
);
INSERT INTO search_pending (mailbox_id, uid) SELECT mailbox_id, uid FROM messages;

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
