DROP INDEX enrollments_org_unit_user;
