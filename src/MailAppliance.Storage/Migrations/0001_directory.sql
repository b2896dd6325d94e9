-- The directory: domains we receive mail for, and every address in them (a user or an alias, never both).

CREATE TABLE domains (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name = lower(name) AND name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per address the appliance answers for. address_key is the comparison form
-- (lower-cased local part, A-label domain); display keeps the local part as the admin typed it.
CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   bigint NOT NULL REFERENCES domains (id) ON DELETE RESTRICT,
    local_part  text NOT NULL,
    address_key text NOT NULL UNIQUE,
    display     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('user', 'alias')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_domain ON addresses (domain_id);

CREATE TABLE users (
    address_id     bigint PRIMARY KEY REFERENCES addresses (id) ON DELETE CASCADE,
    password_hash  text NULL,
    quota_bytes    bigint NULL CHECK (quota_bytes IS NULL OR quota_bytes > 0),
    quota_messages bigint NULL CHECK (quota_messages IS NULL OR quota_messages > 0),
    enabled        boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- alias -> targets, in the order given. A target is a local address (user or alias) or an external one.
CREATE TABLE alias_targets (
    alias_id    bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    target      text NOT NULL,
    target_key  text NOT NULL,
    position    integer NOT NULL,
    PRIMARY KEY (alias_id, target_key)
);
CREATE INDEX alias_targets_target_key ON alias_targets (target_key);
