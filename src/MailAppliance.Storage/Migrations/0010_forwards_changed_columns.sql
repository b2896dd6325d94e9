-- What RCPT-time resolutions depend on in a forward: its targets, keep and pause. Counting a destination's refusals
-- (spam_rejections) changes none of them, so it no longer tells the 'directory_changed' listeners: with the
-- statement-level trigger of 0009, every forwarded message's outcome made every node forget its cached resolutions.
DROP TRIGGER forwards_changed ON forwards;
CREATE TRIGGER forwards_changed AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF user_id, targets, keep, paused_at ON forwards
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
