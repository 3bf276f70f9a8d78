-- Sections: per-course settings, and explicit membership of sections (and later groups),
-- which are org units below the course.

CREATE TABLE section_settings (
    org_unit_id BIGINT PRIMARY KEY NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description_text TEXT NOT NULL,
    description_html TEXT NOT NULL,
    enrollment_style BIGINT NOT NULL,
    enrollment_quantity BIGINT NOT NULL,
    auto_enroll BOOLEAN NOT NULL,
    randomize_enrollments BOOLEAN NOT NULL,
    descriptions_visible BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- course_id is the course the section or group belongs to, so that removing a user's
-- enrollment from the course removes their memberships in one statement.
CREATE TABLE org_unit_members (
    org_unit_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_unit_id, user_id)
);
CREATE INDEX org_unit_members_course_user ON org_unit_members (course_id, user_id);
