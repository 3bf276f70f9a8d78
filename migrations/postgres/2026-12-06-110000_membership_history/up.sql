-- The history of section and group memberships (docs/api.md, "Membership history"): one row
-- per membership added or removed, written in the transaction that made the change. Org
-- units and users are kept by id without foreign keys, so that the history outlives a deleted
-- group; a deleted course takes its history with it.
CREATE TABLE membership_changes (
    id BIGSERIAL PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    org_unit_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    change TEXT NOT NULL,
    by_user_id BIGINT,
    via TEXT NOT NULL,
    client_id TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX membership_changes_of_course ON membership_changes (course_id, id);
