-- Group categories of a course, their groups (org units below the course, tied to a category
-- here), and the durable job queue that creates groups and allocates after expiry.

CREATE TABLE group_categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description_text TEXT NOT NULL,
    description_html TEXT NOT NULL,
    enrollment_style BIGINT NOT NULL,
    enrollment_quantity BIGINT,
    number_of_groups BIGINT,
    max_users_per_group BIGINT,
    auto_enroll BOOLEAN NOT NULL,
    randomize_enrollments BOOLEAN NOT NULL,
    allocate_after_expiry BOOLEAN NOT NULL,
    self_enrollment_expiry_date TIMESTAMP,
    group_prefix TEXT,
    restricted_by_org_unit_id BIGINT,
    descriptions_visible BOOLEAN NOT NULL,
    status BIGINT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX group_categories_course ON group_categories (course_id);

CREATE TABLE category_groups (
    group_id BIGINT PRIMARY KEY NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES group_categories (id) ON DELETE CASCADE
);
CREATE INDEX category_groups_category ON category_groups (category_id, group_id);

-- Jobs run at least once, in the same transaction as their work; a crash rolls both back.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES group_categories (id) ON DELETE CASCADE,
    run_at TIMESTAMP NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id);
