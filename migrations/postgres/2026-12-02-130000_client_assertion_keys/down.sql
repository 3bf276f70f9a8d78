DROP TABLE oauth_assertion_jtis;
ALTER TABLE oauth_clients DROP COLUMN jwks;
