-- OAuth 2.0 apps that users authorize (issue 12): the authorization-code grant with PKCE,
-- rotating refresh tokens, and what an app is registered with.
ALTER TABLE oauth_clients ADD COLUMN grant_type TEXT NOT NULL DEFAULT 'client_credentials';
-- Space-separated; each must match the authorization request's redirect_uri exactly.
ALTER TABLE oauth_clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
-- Seconds; NULL: the server's --token-ttl.
ALTER TABLE oauth_clients ADD COLUMN access_token_lifetime BIGINT;
ALTER TABLE oauth_clients ADD COLUMN issues_refresh_tokens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oauth_clients ADD COLUMN prompts_consent BOOLEAN NOT NULL DEFAULT FALSE;

-- A user's authorization of an app: what one code exchange started, with the refresh tokens
-- that descend from it. Revoking it ends its access and refresh tokens at once.
CREATE TABLE oauth_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX oauth_grants_of_user ON oauth_grants (user_id, client_id);

-- Authorization codes, single use, stored as SHA-256 hashes.
CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- The grant its exchange made: a second exchange of the code revokes it.
    grant_id BIGINT REFERENCES oauth_grants (id) ON DELETE CASCADE
);

-- Refresh tokens, single use and rotating, stored as SHA-256 hashes.
CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX oauth_refresh_tokens_of_grant ON oauth_refresh_tokens (grant_id);
