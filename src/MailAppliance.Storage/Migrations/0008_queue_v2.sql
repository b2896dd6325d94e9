-- Queue v2: a row per recipient (and per forward target expanded from it) that any node may claim.
-- * DSN parameters from MAIL/RCPT (RFC 3461) travel with the recipient.
-- * A claim is a lease: claimed_by names the node, claim_expires_at ends it unless the node renews it. Rows are
--   claimed with FOR UPDATE SKIP LOCKED, so nodes never wait on each other, and a dead node's claims are taken over.
-- * Every status change names the status it expects (and the claim it holds), so no node overwrites another's
--   outcome, and no worker overwrites an administrator's hold or delete.
-- * 'failed' (version 1's "spool file missing") is no longer written; 'bounced' means a DSN was owed and sent.
ALTER TABLE queue_recipients DROP CONSTRAINT IF EXISTS queue_recipients_status_check;
ALTER TABLE queue_recipients ADD CONSTRAINT queue_recipients_status_check
    CHECK (status IN ('queued', 'deferred', 'held', 'delivered', 'bounced', 'forwarded', 'discarded', 'failed'));

ALTER TABLE queue_recipients
    ADD COLUMN notify           text NULL,
    ADD COLUMN orcpt            text NULL,
    ADD COLUMN ret              text NULL,
    ADD COLUMN envid            text NULL,
    ADD COLUMN parent           text NULL,
    ADD COLUMN route            text NULL,
    ADD COLUMN srs_sender       text NULL,
    ADD COLUMN claimed_by       text NULL,
    ADD COLUMN claim_expires_at timestamptz NULL,
    ADD COLUMN delay_warned     boolean NOT NULL DEFAULT false;

CREATE INDEX queue_recipients_claims ON queue_recipients (claimed_by) WHERE claimed_by IS NOT NULL;

-- Every delivery attempt with the reply it got (queue show).
CREATE TABLE queue_attempts (
    id           bigserial PRIMARY KEY,
    queue_id     text NOT NULL,
    recipient    text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    node         text NOT NULL,
    status       text NOT NULL,
    reply        text NOT NULL
);
CREATE INDEX queue_attempts_message ON queue_attempts (queue_id, id);

-- A message is taken into the queue: nodes listening on queue_changed look at once (not at their next poll).
CREATE FUNCTION queue_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('queue_changed', '');
    RETURN NULL;
END $$;
CREATE TRIGGER queue_recipients_changed AFTER INSERT ON queue_recipients FOR EACH STATEMENT EXECUTE FUNCTION queue_changed_notify();
