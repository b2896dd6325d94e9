-- Sieve: the index of each user's scripts (the files under <home>/sieve/ are the truth, as Pigeonhole keeps them;
-- these rows mirror them for listing and quotas), duplicate tracking (RFC 7352) and the vacation response memory
-- (RFC 5230 §4.2).

CREATE TABLE sieve_scripts (
    user_id     bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    name        text NOT NULL,
    size        bigint NOT NULL,
    sha256      text NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (user_id) WHERE active;

CREATE TABLE sieve_duplicates (
    user_id     bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    key         text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX sieve_duplicates_expiry ON sieve_duplicates (expires_at);

CREATE TABLE sieve_vacation_responses (
    user_id     bigint NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    sender      text NOT NULL,
    handle      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, sender, handle)
);
CREATE INDEX sieve_vacation_responses_expiry ON sieve_vacation_responses (expires_at);
