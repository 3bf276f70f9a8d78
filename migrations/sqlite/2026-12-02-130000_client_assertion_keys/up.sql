-- Private-key JWT client authentication (RFC 7523, issue 12): a client-credentials client's
-- registered public keys, and the assertion ids it has used, so that each is used once.
-- A JWKS document (RSA public keys only, `kid` optional); NULL: the client has no keys and
-- authenticates with its secret. A client with keys must authenticate with an assertion.
ALTER TABLE oauth_clients ADD COLUMN jwks TEXT;

-- The `jti` of each accepted assertion, kept until the assertion could no longer be accepted
-- (its `exp` plus the clock-skew leeway); a second use within that time is refused.
CREATE TABLE oauth_assertion_jtis (
    client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, jti)
);
