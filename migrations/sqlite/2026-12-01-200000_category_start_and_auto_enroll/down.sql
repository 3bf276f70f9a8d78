ALTER TABLE roles DROP COLUMN can_be_auto_enrolled;
ALTER TABLE group_categories DROP COLUMN self_enrollment_start_date;
