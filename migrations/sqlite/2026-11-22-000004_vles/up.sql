-- VLEs: LMSs and other systems an institution registers, each calling the LP API through an
-- OAuth client of its own bound to a service user.

CREATE TABLE vles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    kind BIGINT NOT NULL,
    lti TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    url TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oauth_clients (client_id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX vles_institution_name ON vles (institution_id, name_key);
CREATE UNIQUE INDEX vles_client ON vles (client_id);

-- Administrators manage their institution and its VLEs.
INSERT INTO role_permissions (role_id, permission)
    SELECT id, 'institution.manage' FROM roles WHERE name = 'Administrator';
