-- The index of the maildir tree. The tree is the source of truth; every row here can be rebuilt from it
-- (reconstruct), with the same UIDVALIDITY, UIDs, flags, keywords and subscriptions.

CREATE TABLE mailboxes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    name           text NOT NULL,                       -- IMAP name, '/' hierarchy, 'INBOX' for the root
    uidvalidity    bigint NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),
    uidnext        bigint NOT NULL CHECK (uidnext BETWEEN 1 AND 4294967296),
    highestmodseq  bigint NOT NULL DEFAULT 1,
    guid           text NULL,
    tree_stamp     text NULL,                           -- uidlist and new/ as last indexed: a change means "look again"
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

CREATE TABLE messages (
    mailbox_id     bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid            bigint NOT NULL,
    base_name      text NOT NULL,                       -- maildir name without the :2, info
    file_name      text NOT NULL,                       -- where it was last seen: 'new/<name>', 'cur/<name>' or 'tmp/<name>'
    size           bigint NOT NULL,                     -- bytes on disk
    crlf_size      bigint NOT NULL,                     -- RFC822.SIZE: the size with CRLF line ends
    internal_date  timestamptz NOT NULL,
    flags          integer NOT NULL DEFAULT 0,          -- MaildirFlags
    keywords       text[] NOT NULL DEFAULT '{}',
    modseq         bigint NOT NULL,
    pending        boolean NOT NULL DEFAULT false,      -- committed here, not yet moved into new/ (crash recovery)
    delivery_key   text NULL,                           -- queue id + recipient: a retried delivery is recognised
    envelope       bytea NULL,
    bodystructure  bytea NULL,
    body           bytea NULL,
    structure      bytea NULL,                          -- serialised MIME part tree with offsets
    search         tsvector NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE UNIQUE INDEX messages_delivery_key ON messages (mailbox_id, delivery_key) WHERE delivery_key IS NOT NULL;
CREATE INDEX messages_pending ON messages (mailbox_id) WHERE pending;
CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_search ON messages USING gin (search);

-- Expunged UIDs with the modseq of their removal, for CONDSTORE/QRESYNC clients.
CREATE TABLE expunged (
    mailbox_id  bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid         bigint NOT NULL,
    modseq      bigint NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);

CREATE TABLE subscriptions (
    user_id  bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    name     text NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- Exact usage per user, changed in the same transaction as the messages it counts.
CREATE TABLE quota_usage (
    user_id   bigint PRIMARY KEY REFERENCES addresses (id) ON DELETE CASCADE,
    bytes     bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    messages  bigint NOT NULL DEFAULT 0 CHECK (messages >= 0)
);
