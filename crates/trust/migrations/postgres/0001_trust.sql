-- Trust Center: attestations and their documents, access requests (NDA acceptance), grants and
-- the view/download log; advisories and incident notices with revisions; subscribers; the
-- vulnerability disclosure programme (researchers, reports, comments, attachments, bounty
-- table, payouts).
CREATE TABLE trust_attestations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL,
    standard TEXT NOT NULL,
    scope TEXT NOT NULL,
    description TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'teaser', 'gated', 'hidden')),
    doc_name TEXT,
    doc_type TEXT,
    doc_size BIGINT,
    doc_sha256 TEXT,
    doc_bytes BYTEA,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_access_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attestation_id BIGINT NOT NULL REFERENCES trust_attestations (id),
    name TEXT NOT NULL,
    company TEXT NOT NULL,
    email TEXT NOT NULL,
    reason TEXT NOT NULL,
    nda_version TEXT NOT NULL,
    nda_accepted_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX trust_access_requests_status ON trust_access_requests (status, created_at);
CREATE TABLE trust_auto_approve (
    domain TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES trust_access_requests (id),
    attestation_id BIGINT NOT NULL REFERENCES trust_attestations (id),
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_access_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attestation_id BIGINT NOT NULL REFERENCES trust_attestations (id),
    kind TEXT NOT NULL CHECK (kind IN ('view', 'download')),
    grant_id BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX trust_access_log_att ON trust_access_log (attestation_id, kind);
CREATE TABLE trust_advisories (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('advisory', 'incident')),
    topic TEXT NOT NULL CHECK (topic IN ('advisories', 'certifications', 'incidents')),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_md TEXT NOT NULL,
    cvss_vector TEXT,
    incident_id TEXT,
    lookup_url TEXT,
    version BIGINT NOT NULL,
    published_at BIGINT,
    updated_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_advisory_revisions (
    advisory_id BIGINT NOT NULL REFERENCES trust_advisories (id),
    version BIGINT NOT NULL,
    summary TEXT NOT NULL,
    body_md TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (advisory_id, version)
);
CREATE TABLE trust_subscribers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    topics TEXT NOT NULL,
    confirm_hash TEXT,
    confirm_expires_at BIGINT,
    confirmed_at BIGINT,
    unsubscribe_hash TEXT NOT NULL UNIQUE,
    unsubscribed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_researchers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    handle TEXT NOT NULL UNIQUE,
    hall_of_fame BIGINT NOT NULL DEFAULT 0,
    reputation BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE trust_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    researcher_id BIGINT NOT NULL REFERENCES trust_researchers (id),
    title TEXT NOT NULL,
    asset TEXT NOT NULL,
    weakness TEXT NOT NULL,
    description TEXT NOT NULL,
    steps TEXT NOT NULL,
    impact TEXT NOT NULL,
    cvss_vector TEXT,
    score_tenths BIGINT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    duplicate_of BIGINT,
    follow_hash TEXT NOT NULL UNIQUE,
    state_changed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX trust_reports_state ON trust_reports (state, state_changed_at);
CREATE TABLE trust_report_comments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES trust_reports (id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    state_from TEXT,
    state_to TEXT,
    at BIGINT NOT NULL
);
CREATE TABLE trust_report_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES trust_reports (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);
CREATE TABLE trust_bounty_table (
    severity TEXT PRIMARY KEY,
    min_cents BIGINT NOT NULL,
    max_cents BIGINT NOT NULL
);
CREATE TABLE trust_payouts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES trust_reports (id),
    researcher_id BIGINT NOT NULL REFERENCES trust_researchers (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE trust_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
