-- Spam policy and the statistical classifier (Pipeline/Scoring).
-- A scope is the global level (scope_kind 0, scope ''), a domain (1, its A-label in lower case) or a user (2, the
-- address key). Settings and lists at a narrower scope win over wider ones.

CREATE TABLE spam_settings (
    scope_kind       smallint NOT NULL CHECK (scope_kind IN (0, 1, 2)),
    scope            text NOT NULL,
    tag              double precision NULL,
    reject           double precision NULL,
    discard_forward  double precision NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_kind, scope)
);

CREATE TABLE spam_list_entries (
    scope_kind  smallint NOT NULL CHECK (scope_kind IN (0, 1, 2)),
    scope       text NOT NULL,
    entry       text NOT NULL CHECK (entry = lower(entry) AND entry <> ''),
    action      text NOT NULL CHECK (action IN ('allow', 'block')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_kind, scope, entry)
);

-- One classifier per owner: '' is the global one, else a user's address key. seq grows with every learn; each
-- weight row carries the seq of its last change, so a process refreshes its cached model by reading only the rows
-- changed since the seq it has (the owner row is locked for the whole learn, so seqs commit in order).
CREATE TABLE spam_classifier_owners (
    owner           text PRIMARY KEY,
    spam_learned    bigint NOT NULL DEFAULT 0,
    ham_learned     bigint NOT NULL DEFAULT 0,
    bias            double precision NOT NULL DEFAULT 0,
    bias_gradients  double precision NOT NULL DEFAULT 0,
    seq             bigint NOT NULL DEFAULT 0
);

CREATE TABLE spam_classifier_weights (
    owner      text NOT NULL REFERENCES spam_classifier_owners (owner) ON DELETE CASCADE,
    bucket     integer NOT NULL,
    weight     real NOT NULL,
    gradients  real NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (owner, bucket)
);
CREATE INDEX spam_classifier_weights_seq ON spam_classifier_weights (owner, seq);

-- What each owner learned, by message digest: learning the same message twice counts once, and a message moved
-- back out of Junk is learned again as the other class.
CREATE TABLE spam_learned_messages (
    owner       text NOT NULL REFERENCES spam_classifier_owners (owner) ON DELETE CASCADE,
    digest      bytea NOT NULL,
    spam        boolean NOT NULL,
    learned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, digest)
);
