-- MTA-STS policies fetched for recipient domains (RFC 8461 §5.1): kept across restarts, so that a policy in
-- enforce mode keeps protecting deliveries while an attacker blocks the policy fetch or strips the DNS record.
CREATE TABLE mta_sts_policies (
    domain      text PRIMARY KEY,
    policy_id   text NOT NULL,          -- the id of the _mta-sts TXT record the policy was fetched under
    policy      text NOT NULL,          -- the policy as fetched (re-parsed on load)
    fetched_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL    -- fetched_at + max_age
);

CREATE INDEX mta_sts_policies_expiry ON mta_sts_policies (expires_at);
