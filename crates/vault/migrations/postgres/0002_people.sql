-- People: every sensitive field sealed under the person's own data key (wrapped under the KEK of
-- `kek_version`). NULL field = absent. A shredded person keeps only id, external id, kind, state
-- and timestamps: wrapped key, sealed fields and blind indexes are gone.
CREATE TABLE vault_people (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id BYTEA NOT NULL UNIQUE,
    external_id TEXT NOT NULL UNIQUE,
    account_kind TEXT NOT NULL,
    state TEXT,
    kek_version BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    wrapped_key BYTEA,
    record_mac BYTEA,
    first_name BYTEA, last_name BYTEA, street BYTEA, city BYTEA, zip BYTEA, dob BYTEA, ssn BYTEA,
    drivers_license BYTEA, phone BYTEA, email BYTEA, imei BYTEA, imsi BYTEA,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    shredded_at BIGINT
);
CREATE INDEX vault_people_kind ON vault_people (account_kind, updated_at);
CREATE INDEX vault_people_kek ON vault_people (kek_version);
-- Blind indexes: field code (Field::index), index version, truncated HMAC digest.
CREATE TABLE vault_bidx (
    field SMALLINT NOT NULL,
    version BIGINT NOT NULL,
    digest BYTEA NOT NULL,
    person_id BIGINT NOT NULL
);
CREATE INDEX vault_bidx_lookup ON vault_bidx (field, version, digest);
CREATE INDEX vault_bidx_person ON vault_bidx (person_id);
-- Blind-index versions: which root-key version keys each, and whether it is live.
CREATE TABLE vault_index_versions (
    version BIGINT PRIMARY KEY,
    root_version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('building', 'active', 'retired')),
    created_at BIGINT NOT NULL
);
-- Resumable imports: how far each file got, committed with each batch.
CREATE TABLE vault_import_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    lines_done BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
