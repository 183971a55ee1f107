-- Notification campaigns (crates/notify): campaigns, templates, recipients (one per person and
-- campaign, with the hash of their lookup code), identity-protection codes, the outbox (one row
-- per campaign, person and channel) and the suppression list. Codes people type in are stored
-- only as SHA-256 hashes.
CREATE TABLE notify_campaigns (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    incident_id BIGINT NOT NULL,
    impact_version BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    channels TEXT NOT NULL,
    settings TEXT NOT NULL,
    principal TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE notify_templates (
    campaign_id BIGINT NOT NULL REFERENCES notify_campaigns(id),
    cohort TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, cohort, channel, language)
);

CREATE TABLE notify_recipients (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES notify_campaigns(id),
    person_id BIGINT NOT NULL,
    public_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    cohort TEXT NOT NULL,
    elements BIGINT NOT NULL,
    account_kind TEXT NOT NULL,
    state TEXT NOT NULL,
    language TEXT NOT NULL,
    minor BIGINT NOT NULL,
    lookup_hash TEXT NOT NULL UNIQUE,
    UNIQUE (campaign_id, person_id)
);
CREATE INDEX notify_recipients_external ON notify_recipients (external_id);

CREATE TABLE notify_codes (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    engagement TEXT NOT NULL,
    enrol_by TEXT NOT NULL,
    minor BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    campaign_id BIGINT,
    recipient_id BIGINT UNIQUE,
    assigned_at BIGINT
);
CREATE INDEX notify_codes_free ON notify_codes (minor, recipient_id, id);

CREATE TABLE notify_outbox (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES notify_campaigns(id),
    recipient_id BIGINT NOT NULL REFERENCES notify_recipients(id),
    person_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    idem_key TEXT NOT NULL UNIQUE,
    verify_hash TEXT NOT NULL UNIQUE,
    message_id TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (campaign_id, person_id, channel)
);
CREATE INDEX notify_outbox_due ON notify_outbox (campaign_id, state, next_attempt_at);

CREATE TABLE notify_suppressions (
    address_hash TEXT NOT NULL PRIMARY KEY,
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
