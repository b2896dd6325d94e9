-- Report events: one row per decision of the message flow (INTERFACE.md "Reports"). Partitioned by day (UTC) so
-- that Reports:RetentionDays is kept by dropping whole partitions, never by a DELETE that bloats the table, and so
-- that a time-bounded query reads only the days it asks for. Partitions are created ahead by the writer and the
-- maintenance round (report_events_ensure_partition); rows are written in batches by one writer per process.
CREATE SEQUENCE report_events_id AS bigint;

CREATE TABLE report_events (
    time        timestamptz NOT NULL,
    id          bigint NOT NULL DEFAULT nextval('report_events_id'),
    kind        text NOT NULL CHECK (kind IN ('rejected', 'accepted', 'delivered', 'forwarded', 'discarded', 'deferred', 'bounced')),
    stage       text NULL CHECK (stage IN ('connect', 'helo', 'mail', 'rcpt', 'data')),
    queue_id    text NULL,
    message_id  text NULL,
    sender      text NULL,
    recipient   text NULL,
    user_name   text NULL,
    domain      text NULL,
    client_ip   text NULL,
    reply       text NULL,
    reason      text NULL,
    folder      text NULL,
    target      text NULL,
    srs_sender  text NULL,
    score       double precision NULL,
    threshold   double precision NULL,
    verdict     text NULL CHECK (verdict IN ('ham', 'spam', 'virus')),
    symbols     jsonb NULL
) PARTITION BY RANGE (time);

ALTER SEQUENCE report_events_id OWNED BY report_events.id;

-- Followers read "everything after id N"; the trail reads one queue id; listings read a time range.
CREATE INDEX report_events_id_index ON report_events (id);
CREATE INDEX report_events_time_index ON report_events (time);
CREATE INDEX report_events_queue_id_index ON report_events (queue_id) WHERE queue_id IS NOT NULL;

-- The partition for one UTC day, unless it exists. Two processes may race: the loser finds it there.
CREATE FUNCTION report_events_ensure_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text := 'report_events_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF report_events FOR VALUES FROM (%L) TO (%L)',
        name, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
EXCEPTION WHEN duplicate_table OR unique_violation THEN
    NULL;
END
$$;

-- Followers (report --follow, the console's live view) LISTEN here and read what is new: one notification per
-- batch, folded by PostgreSQL within a transaction.
CREATE FUNCTION report_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('report_events', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER report_events_inserted AFTER INSERT ON report_events
    FOR EACH STATEMENT EXECUTE FUNCTION report_events_notify();

SELECT report_events_ensure_partition((now() AT TIME ZONE 'UTC')::date + d) FROM generate_series(-1, 2) AS d;
