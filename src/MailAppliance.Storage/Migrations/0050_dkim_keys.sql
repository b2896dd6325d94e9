-- DKIM signing keys: the index of the key files under <DataDirectory>/dkim/<domain>/<selector>.key. The private key
-- stays in its file (mode 0600); the public key is kept here so `dns records` and other nodes need no file access.

CREATE TABLE dkim_keys (
    domain      text NOT NULL CHECK (domain = lower(domain) AND domain <> ''),
    selector    text NOT NULL CHECK (selector <> ''),
    algorithm   text NOT NULL CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),
    public_key  text NOT NULL,
    key_file    text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, selector)
);
