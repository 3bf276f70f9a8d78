CREATE TABLE org_unit_members (
    org_unit_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_unit_id, user_id)
);
CREATE INDEX org_unit_members_course_user ON org_unit_members (course_id, user_id);

INSERT INTO org_unit_members (org_unit_id, user_id, course_id, created_at)
SELECT e.org_unit_id, e.user_id, o.parent_id, e.created_at
FROM enrollments e JOIN org_units o ON o.id = e.org_unit_id
WHERE o.type_id IN (4, 6) AND o.parent_id IS NOT NULL;

DELETE FROM enrollments WHERE org_unit_id IN (SELECT id FROM org_units WHERE type_id IN (4, 6));

ALTER TABLE enrollments DROP COLUMN enrolled_by_user_id;
