-- Scanners: one row per scan (secrets, PII or network), its findings (a fingerprint per distinct
-- value, never the value; or one row per open port) with every location, and per-file summaries
-- of the personal data elements a PII scan saw.
CREATE TABLE scan_scans (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('secrets', 'pii', 'net')),
    target TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    principal TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    rate_limit BIGINT,
    probes_sent BIGINT NOT NULL DEFAULT 0,
    rate_milli BIGINT NOT NULL DEFAULT 0,
    files_scanned BIGINT NOT NULL DEFAULT 0,
    bytes_scanned BIGINT NOT NULL DEFAULT 0,
    findings BIGINT NOT NULL DEFAULT 0,
    max_severity TEXT NOT NULL DEFAULT 'info',
    error TEXT
);
CREATE INDEX scan_scans_kind ON scan_scans (kind, id);
CREATE TABLE scan_findings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scan_id BIGINT NOT NULL REFERENCES scan_scans (id) ON DELETE CASCADE,
    rule_id TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    confidence TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    host TEXT,
    port BIGINT,
    proto TEXT,
    state TEXT,
    service TEXT,
    product TEXT,
    version TEXT,
    service_detail TEXT,
    evidence TEXT
);
CREATE INDEX scan_findings_scan ON scan_findings (scan_id, id);
CREATE TABLE scan_locations (
    finding_id BIGINT NOT NULL REFERENCES scan_findings (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    member TEXT,
    commit_id TEXT,
    line BIGINT NOT NULL,
    col BIGINT NOT NULL
);
CREATE INDEX scan_locations_finding ON scan_locations (finding_id);
CREATE TABLE scan_file_summaries (
    scan_id BIGINT NOT NULL REFERENCES scan_scans (id) ON DELETE CASCADE,
    location TEXT NOT NULL,
    element TEXT NOT NULL,
    distinct_values BIGINT NOT NULL
);
CREATE INDEX scan_file_summaries_scan ON scan_file_summaries (scan_id);
