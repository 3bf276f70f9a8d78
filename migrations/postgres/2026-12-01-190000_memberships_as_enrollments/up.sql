-- Groups and sections are org units whose members are enrollments, as in Brightspace: a
-- membership is an enrollment in the section or group with the member's role in its course
-- (docs/compatibility.md). One table answers the enrollment routes, myenrollments and the
-- group and section routes alike.

-- Who made an enrollment: null when no user did (AutoEnroll, a job, this migration). History,
-- so no foreign key: it names the user even after they are gone (and SQLite cannot drop a
-- column that holds one).
ALTER TABLE enrollments ADD COLUMN enrolled_by_user_id BIGINT;

-- A member whose course enrollment is gone could not be listed with a role: such rows are
-- dropped (every code path removes memberships with the course enrollment already).
INSERT INTO enrollments (user_id, org_unit_id, institution_id, role_id, is_cascading, created_at)
SELECT m.user_id, m.org_unit_id, e.institution_id, e.role_id, FALSE, m.created_at
FROM org_unit_members m
JOIN enrollments e ON e.org_unit_id = m.course_id AND e.user_id = m.user_id
ON CONFLICT DO NOTHING;

DROP TABLE org_unit_members;
