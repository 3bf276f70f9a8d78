DROP TABLE signing_keys;
DROP TABLE oauth_clients;
DROP TABLE enrollments;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE users;
DROP TABLE org_units;
DROP TABLE institutions;
