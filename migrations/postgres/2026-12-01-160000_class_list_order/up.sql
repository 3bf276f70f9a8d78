-- A class-list page is the course's enrollments by user id after a bookmark: with this index
-- it reads one page, not every enrollment of the course sorted (the first page of a course of
-- 100,000 learners cost as much as the whole list).
CREATE INDEX enrollments_org_unit_user ON enrollments (org_unit_id, user_id);
