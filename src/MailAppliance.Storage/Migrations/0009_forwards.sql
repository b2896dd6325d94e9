-- A user's forward (user forward ADDRESS TARGET... [--keep]): the targets, whether a copy stays in the mailbox, and
-- what the receivers said of it. A forward the destination refused as spam (5.7.x) several times in a row is paused
-- (paused_at, paused_reason): mail then stays in the mailbox and the user and admin see why.
CREATE TABLE forwards (
    user_id          bigint PRIMARY KEY REFERENCES users (address_id) ON DELETE CASCADE,
    targets          text[] NOT NULL CHECK (cardinality(targets) > 0),
    keep             boolean NOT NULL DEFAULT false,
    spam_rejections  integer NOT NULL DEFAULT 0,
    paused_at        timestamptz NULL,
    paused_reason    text NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER forwards_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON forwards
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
