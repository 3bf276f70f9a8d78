DROP TABLE oauth_refresh_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_grants;
ALTER TABLE oauth_clients DROP COLUMN prompts_consent;
ALTER TABLE oauth_clients DROP COLUMN issues_refresh_tokens;
ALTER TABLE oauth_clients DROP COLUMN access_token_lifetime;
ALTER TABLE oauth_clients DROP COLUMN redirect_uris;
ALTER TABLE oauth_clients DROP COLUMN grant_type;
