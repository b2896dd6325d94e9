-- Every change to the directory (domains, addresses, users, alias targets), by whichever process or by hand in
-- psql, tells the listeners on 'directory_changed' at commit, so what they remember of it (RCPT-time resolutions)
-- is forgotten at once. One notification per transaction and table: PostgreSQL folds identical ones.
CREATE FUNCTION directory_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('directory_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER domains_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domains
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
CREATE TRIGGER addresses_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON addresses
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
CREATE TRIGGER alias_targets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alias_targets
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed_notify();
