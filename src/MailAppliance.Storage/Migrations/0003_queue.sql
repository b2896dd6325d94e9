-- What happened to each recipient of each spooled message. The spool files are the source of truth: a spool file
-- without rows gets them again at start-up; a spool file is deleted once every row here is settled.
CREATE TABLE queue_recipients (
    queue_id         text NOT NULL,
    recipient        text NOT NULL,
    status           text NOT NULL CHECK (status IN ('queued', 'deferred', 'delivered', 'failed', 'discarded')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_result      text NULL,
    mail_from        text NOT NULL,
    size             bigint NOT NULL,
    received_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue_id, recipient)
);
CREATE INDEX queue_recipients_due ON queue_recipients (next_attempt_at) WHERE status IN ('queued', 'deferred');
