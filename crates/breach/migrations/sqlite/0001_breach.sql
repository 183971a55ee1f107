-- The breach engine's schema. Person sets (dataset members, exposed people, impact versions) are
-- stored as chunks of a compact binary encoding (see src/codec.rs): recomputing impact reads
-- millions of memberships, which row-per-member storage would make the slowest step.
--
-- Datasets: the company's systems and the elements each holds. A load writes a row with status
-- 'loading', its chunks in short transactions, then flips the row to 'ready'; only ready rows
-- count, so a failed load leaves nothing that is used. Names are unique among ready datasets.
CREATE TABLE breach_datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    elements BIGINT NOT NULL,
    columns TEXT NOT NULL,
    source TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    members BIGINT NOT NULL,
    unlinked_rows BIGINT NOT NULL,
    shared_rows BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('loading', 'ready')),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX breach_datasets_ready_name ON breach_datasets (name) WHERE status = 'ready';
CREATE TABLE breach_member_chunks (
    dataset_id BIGINT NOT NULL REFERENCES breach_datasets (id) ON DELETE CASCADE,
    chunk_no BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (dataset_id, chunk_no)
);
-- Identifiers in a dataset's rows that resolved to nobody, counted by element.
CREATE TABLE breach_dataset_unlinked (
    dataset_id BIGINT NOT NULL REFERENCES breach_datasets (id) ON DELETE CASCADE,
    element TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, element)
);
-- Incidents; every change is also an event (the audit trail and the timeline).
CREATE TABLE breach_incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    key_exposure TEXT NOT NULL,
    cpni TEXT NOT NULL,
    sec_registrant BIGINT NOT NULL,
    detected_at BIGINT,
    contained_at BIGINT,
    determined_at BIGINT,
    aware_at BIGINT,
    materiality_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE breach_incident_events (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES breach_incidents (id),
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX breach_incident_events_incident ON breach_incident_events (incident_id, occurred_at);
-- Exposures of an incident: a dataset (optionally some elements only), a principal's reads over
-- a window, or an exposed file. Principal and file exposures keep their people as chunks.
CREATE TABLE breach_exposures (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES breach_incidents (id),
    kind TEXT NOT NULL CHECK (kind IN ('dataset', 'principal', 'file')),
    form TEXT NOT NULL CHECK (form IN ('clear', 'encrypted')),
    occurred_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    dataset_id BIGINT REFERENCES breach_datasets (id),
    element_mask BIGINT NOT NULL,
    principal TEXT,
    window_from BIGINT,
    window_to BIGINT,
    source TEXT NOT NULL,
    detected TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    people BIGINT NOT NULL,
    unlinked_rows BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('loading', 'ready')),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX breach_exposures_incident ON breach_exposures (incident_id, status);
CREATE TABLE breach_exposure_chunks (
    exposure_id BIGINT NOT NULL REFERENCES breach_exposures (id) ON DELETE CASCADE,
    chunk_no BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (exposure_id, chunk_no)
);
CREATE TABLE breach_exposure_unlinked (
    exposure_id BIGINT NOT NULL REFERENCES breach_exposures (id) ON DELETE CASCADE,
    element TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (exposure_id, element)
);
-- Impact versions: each recomputation is kept whole or not at all (one transaction).
CREATE TABLE breach_impacts (
    id INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES breach_incidents (id),
    version BIGINT NOT NULL,
    key_exposure TEXT NOT NULL,
    exposures TEXT NOT NULL,
    states TEXT NOT NULL,
    population BIGINT NOT NULL,
    touched BIGINT NOT NULL,
    affected BIGINT NOT NULL,
    computed_at BIGINT NOT NULL,
    computed_by TEXT NOT NULL,
    elapsed_ms BIGINT NOT NULL,
    UNIQUE (incident_id, version)
);
CREATE TABLE breach_impact_chunks (
    impact_id BIGINT NOT NULL REFERENCES breach_impacts (id) ON DELETE CASCADE,
    chunk_no BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (impact_id, chunk_no)
);
-- People of an impact version counted by account kind, state and exposed elements: the source
-- of cohorts (by kind and elements) and of the obligations plan (by state).
CREATE TABLE breach_impact_groups (
    impact_id BIGINT NOT NULL REFERENCES breach_impacts (id) ON DELETE CASCADE,
    account_kind TEXT NOT NULL,
    state TEXT NOT NULL,
    clear BIGINT NOT NULL,
    encrypted BIGINT NOT NULL,
    people BIGINT NOT NULL,
    PRIMARY KEY (impact_id, account_kind, state, clear, encrypted)
);
CREATE TABLE breach_impact_population (
    impact_id BIGINT NOT NULL REFERENCES breach_impacts (id) ON DELETE CASCADE,
    account_kind TEXT NOT NULL,
    people BIGINT NOT NULL,
    PRIMARY KEY (impact_id, account_kind)
);
