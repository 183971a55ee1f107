-- Key rotations: one row per target root-key version, advanced in the same transaction as each
-- re-wrapped batch, so a killed rotation is found and finished by the next `keys rotate`.
-- The work itself is found by `vault_people.kek_version < target_version`; the counts are for
-- progress and reports.
CREATE TABLE vault_rotation_jobs (
    id INTEGER PRIMARY KEY,
    target_version BIGINT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('running', 'done')),
    total BIGINT NOT NULL,
    rewrapped BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    batches BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
