-- Guard: credentials (Argon2 PHC strings), attempt counters, known devices, one-time codes,
-- events, protected lines and their requests, care sessions, exposed values, forced resets.
CREATE TABLE guard_credentials (
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pin', 'password')),
    phc TEXT NOT NULL,
    pepper_id BIGINT NOT NULL,
    origin TEXT NOT NULL,
    set_at BIGINT NOT NULL,
    compromised_at BIGINT,
    reset_name TEXT,
    PRIMARY KEY (account_id, kind)
);
CREATE TABLE guard_account_attempts (
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    failures BIGINT NOT NULL,
    untrusted BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind)
);
CREATE TABLE guard_windows (
    scope TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    successes BIGINT NOT NULL,
    accounts BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
CREATE INDEX guard_windows_start ON guard_windows (window_start);
CREATE TABLE guard_devices (
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    first_success_at BIGINT NOT NULL,
    last_success_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, device_id)
);
CREATE TABLE guard_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    reset_name TEXT
);
CREATE INDEX guard_codes_live ON guard_codes (account_id, purpose, subject);
CREATE INDEX guard_codes_subject ON guard_codes (subject, purpose) WHERE subject <> '';
CREATE TABLE guard_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    count BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    network TEXT NOT NULL,
    device TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX guard_events_account ON guard_events (account_id, at);
CREATE INDEX guard_events_source ON guard_events (source, at) WHERE source <> '';
CREATE INDEX guard_events_network ON guard_events (network, at) WHERE network <> '';
CREATE INDEX guard_events_at ON guard_events (at);
CREATE TABLE guard_lines (
    msisdn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    sim_lock_at BIGINT,
    port_lock_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX guard_lines_account ON guard_lines (account_id);
CREATE TABLE guard_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    msisdn TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    device TEXT NOT NULL,
    requester TEXT NOT NULL,
    fraud_reported_at BIGINT
);
CREATE INDEX guard_requests_at ON guard_requests (at);
CREATE INDEX guard_requests_line ON guard_requests (msisdn, at);
CREATE TABLE guard_care_sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    verified_at BIGINT
);
CREATE TABLE guard_exposed (
    digest BYTEA PRIMARY KEY,
    incident TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE TABLE guard_resets (
    name TEXT PRIMARY KEY,
    kinds TEXT NOT NULL,
    code_ttl_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE TABLE guard_reset_members (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reset_name TEXT NOT NULL,
    account_id TEXT NOT NULL,
    marked_at BIGINT,
    notified_at BIGINT,
    UNIQUE (reset_name, account_id)
);
CREATE INDEX guard_reset_members_seq ON guard_reset_members (reset_name, seq);
