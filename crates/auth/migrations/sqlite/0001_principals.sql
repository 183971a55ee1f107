CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL
);
CREATE TABLE principals (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('human', 'service')),
    role TEXT NOT NULL REFERENCES roles (name),
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    principal_id BIGINT NOT NULL REFERENCES principals (id),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE TABLE admin_credentials (
    principal_id BIGINT PRIMARY KEY REFERENCES principals (id),
    password_hash TEXT NOT NULL,
    totp_secret BLOB NOT NULL,
    last_totp_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE admin_sessions (
    token_hash BLOB PRIMARY KEY,
    principal_id BIGINT NOT NULL REFERENCES principals (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE signin_failures (
    scope TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
