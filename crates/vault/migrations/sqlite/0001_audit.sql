-- The tamper-evident access log (crates/vault/src/audit). Append-only: rows are never updated or
-- deleted by Custodian; `audit verify` detects anyone who does.
--
-- One row per access, `seq` strictly consecutive from 1 (INTEGER PRIMARY KEY, so a fork is a
-- primary-key violation); `hash` = SHA-256(prev_hash || canonical encoding of the row and its
-- sorted person ids).
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY CHECK (seq > 0),
    at BIGINT NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    purpose TEXT NOT NULL,
    request_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    person_count BIGINT NOT NULL,
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);
-- The breach query: what did principal P touch between T1 and T2.
CREATE INDEX access_log_principal_at ON access_log (principal, at);

-- The people each entry names (a search's results, an import's batch), one row each.
CREATE TABLE access_log_person (
    seq BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    PRIMARY KEY (seq, person_id)
) WITHOUT ROWID;
-- "Who touched person X": covers (person_id, seq) because the table has no rowid.
CREATE INDEX access_log_person_person ON access_log_person (person_id);

-- Signed checkpoints: every N entries and on demand. Each names the previous checkpoint, so
-- deleting one breaks the chain of checkpoints.
CREATE TABLE access_log_checkpoint (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    at BIGINT NOT NULL,
    prev_seq BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    signature BLOB NOT NULL
);

-- The single head row: the last seq and hash, the last checkpoint, and a MAC over them. Every
-- append locks this row first, which serialises appenders across processes.
CREATE TABLE access_log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL,
    checkpoint_seq BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    mac BLOB NOT NULL
);
INSERT INTO access_log_head (id, seq, hash, checkpoint_seq, key_version, mac)
VALUES (1, 0, zeroblob(32), 0, 0, X'');
