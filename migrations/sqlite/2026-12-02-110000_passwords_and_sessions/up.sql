-- Users may sign in (issue 12): an argon2 password hash, browser sessions, and the failed
-- sign-ins that throttle guessing (per account and per client address, across processes).
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
    -- The cookie d2lSessionVal; the cookie d2lSecureSessionVal is the secret, stored hashed.
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_of_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "user:<id>" or "ip:<address>"
    throttle_key TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures (throttle_key, failed_at);
