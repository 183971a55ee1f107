CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL
);
CREATE TABLE principals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('human', 'service')),
    role TEXT NOT NULL REFERENCES roles (name),
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    principal_id BIGINT NOT NULL REFERENCES principals (id),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE TABLE admin_credentials (
    principal_id BIGINT PRIMARY KEY REFERENCES principals (id),
    password_hash TEXT NOT NULL,
    totp_secret BYTEA NOT NULL,
    last_totp_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE admin_sessions (
    token_hash BYTEA PRIMARY KEY,
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
