-- POP3 maildrop locks (RFC 1939 §8) as leases instead of advisory locks on a connection held for the session: a
-- logged-in POP3 client no longer pins one pooled connection (fifty of them exhausted the pool, and RCPT and IMAP
-- LOGIN failed for everyone). A lock names its node; a dead node's locks are taken over at once (its marker in
-- <DataDirectory>/nodes is no longer locked) or when their lease runs out.
CREATE TABLE maildrop_locks (
    mailbox_id  bigint PRIMARY KEY,
    node        text NOT NULL,
    token       uuid NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX maildrop_locks_node ON maildrop_locks (node);
