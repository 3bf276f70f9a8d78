-- The LP 1.53 group-category field SelfEnrollmentStartDate (the window's opening), and
-- Brightspace's per-role "can be auto-enrolled" setting, which decides who AutoEnroll and the
-- allocation jobs place (not the role's name: many tenants call their learner role Learner).
ALTER TABLE group_categories ADD COLUMN self_enrollment_start_date TIMESTAMP;
ALTER TABLE roles ADD COLUMN can_be_auto_enrolled BOOLEAN NOT NULL DEFAULT 0;
UPDATE roles SET can_be_auto_enrolled = 1 WHERE name IN ('Student', 'Learner');
