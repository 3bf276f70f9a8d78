-- The foundation: tenants, the org-unit tree, users, roles, enrollments, OAuth clients and keys.
-- Org units share one id space across institutions, as in Brightspace; the default
-- institution's root is 6606, so the sequence starts there.

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL UNIQUE,
    acronym TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    external_ic BOOLEAN NOT NULL DEFAULT 0,
    mail_domain TEXT,
    disable_vle_learner_creation BOOLEAN NOT NULL DEFAULT 0,
    disable_vle_instructor_creation BOOLEAN NOT NULL DEFAULT 0,
    disable_vle_user_creation BOOLEAN NOT NULL DEFAULT 0,
    allow_learner_report BOOLEAN NOT NULL DEFAULT 0,
    allow_learner_audit BOOLEAN NOT NULL DEFAULT 0,
    allow_valid_audit BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL,
    parent_id BIGINT REFERENCES org_units (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT,
    path TEXT,
    description_text TEXT,
    description_html TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    can_self_register BOOLEAN NOT NULL DEFAULT 0,
    start_date TIMESTAMP,
    end_date TIMESTAMP,
    locale_id BIGINT,
    force_locale BOOLEAN NOT NULL DEFAULT 0,
    show_address_book BOOLEAN NOT NULL DEFAULT 0,
    course_template_id BIGINT REFERENCES org_units (id),
    semester_id BIGINT REFERENCES org_units (id),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('org_units', 6605);
CREATE INDEX org_units_institution_type ON org_units (institution_id, type_id);
CREATE INDEX org_units_parent ON org_units (parent_id);
CREATE UNIQUE INDEX org_units_course_code ON org_units (institution_id, code) WHERE type_id = 3;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT,
    last_name TEXT NOT NULL,
    external_email TEXT,
    org_defined_id TEXT,
    pronouns TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    last_accessed TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('users', 999);
CREATE UNIQUE INDEX users_institution_name ON users (institution_id, user_name_key);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    is_cascading BOOLEAN NOT NULL DEFAULT 0
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('roles', 109);
CREATE UNIQUE INDEX roles_institution_name ON roles (institution_id, name);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE enrollments (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_unit_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    is_cascading BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, org_unit_id)
);
CREATE INDEX enrollments_org_unit_role ON enrollments (org_unit_id, role_id, user_id);

CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL,
    modulus TEXT NOT NULL,
    exponent TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX signing_keys_institution ON signing_keys (institution_id);
