-- Every change to the spam policy (thresholds, allow and block lists), by whichever process or by hand in psql,
-- tells the listeners on 'spam_settings_changed' at commit, so the policies they remember are read again at once.
CREATE FUNCTION spam_settings_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('spam_settings_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER spam_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON spam_settings
    FOR EACH STATEMENT EXECUTE FUNCTION spam_settings_changed_notify();
CREATE TRIGGER spam_list_entries_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON spam_list_entries
    FOR EACH STATEMENT EXECUTE FUNCTION spam_settings_changed_notify();
