-- A change to the DKIM key index (dkim generate, a key made inactive, an edit by hand) tells the listeners on
-- 'dkim_keys_changed' at commit: a running serve forgets the keys it remembers and signs the next message with the
-- new set, without reading the index for every message it sends.
CREATE FUNCTION dkim_keys_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dkim_keys_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER dkim_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dkim_keys
    FOR EACH STATEMENT EXECUTE FUNCTION dkim_keys_changed_notify();
