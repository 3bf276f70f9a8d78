-- D2L's ID-key signing (docs/security.md, "ID keys"). The keys are kept because every signed
-- call's HMAC is checked with them; they are stored encrypted (AES-256-GCM under the server's
-- SECRET_KEY_FILE), never in plain text.
CREATE TABLE id_key_apps (
    app_id TEXT PRIMARY KEY NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The app key, encrypted (auth::id_key::Sealer).
    app_key TEXT NOT NULL,
    -- Space-separated scopes every call of the app holds.
    scope TEXT NOT NULL,
    -- The browser flow's callback must have this URL's scheme, host and port.
    trusted_url TEXT,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX id_key_apps_institution ON id_key_apps (institution_id);

-- A user's id/key pair for one app: the same pair each time, until revoked.
CREATE TABLE id_key_users (
    -- What signed calls send as x_b.
    key_user_id TEXT PRIMARY KEY NOT NULL,
    app_id TEXT NOT NULL REFERENCES id_key_apps (app_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The user key, encrypted (auth::id_key::Sealer).
    user_key TEXT NOT NULL,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- One live pair per (app, user); a revoked pair stays for the record and a new one may follow.
CREATE UNIQUE INDEX id_key_users_live ON id_key_users (app_id, user_id) WHERE revoked_at IS NULL;
CREATE INDEX id_key_users_user ON id_key_users (user_id);
