-- Imports (`mailappliance import ...`) and box polls (`fetch add ...`).

-- What an import stored into a mailbox, so that a second run adds only what is missing (the message's bytes as
-- stored, SHA-256) and --dedupe finds a Message-ID (or, without one, a hash of the body and key headers) again.
CREATE TABLE imported_messages (
    mailbox_id    bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    content_hash  bytea NOT NULL,
    dedupe_key    text NOT NULL,
    uid           bigint NOT NULL,
    PRIMARY KEY (mailbox_id, content_hash)
);
CREATE INDEX imported_messages_dedupe ON imported_messages (mailbox_id, dedupe_key);

-- Box polls: a remote IMAP or POP3 account fetched periodically into a user's INBOX (fetchmail's job).
CREATE TABLE fetch_accounts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    protocol       text NOT NULL CHECK (protocol IN ('imap', 'pop3')),
    host           text NOT NULL,
    port           integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security       text NOT NULL CHECK (security IN ('tls', 'starttls', 'plain')),
    login          text NOT NULL,
    password       text NOT NULL,
    every_seconds  integer NOT NULL CHECK (every_seconds >= 60),
    keep           boolean NOT NULL DEFAULT true,
    next_run       timestamptz NOT NULL DEFAULT now(),
    lease_until    timestamptz NULL,                       -- a node is fetching it (a dead node's lease runs out)
    last_run       timestamptz NULL,
    last_result    text NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, protocol, host, port, login)
);

-- What a poll has already fetched: IMAP "<folder> <uidvalidity> <uid>", POP3 the UIDL. Written in the transaction
-- that stores the message, so a crash between storing and remembering cannot fetch it twice.
CREATE TABLE fetch_seen (
    account_id  bigint NOT NULL REFERENCES fetch_accounts (id) ON DELETE CASCADE,
    remote_id   text NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, remote_id)
);
