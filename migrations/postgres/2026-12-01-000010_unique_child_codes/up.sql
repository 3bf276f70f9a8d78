-- Section and group codes are unique within their course regardless of case. The handlers check
-- this before writing; the index makes it hold when two transactions create units at once
-- (AutoEnroll placements of different categories may each add a group), so that the later one
-- fails, is run again, and picks the next free code.
CREATE UNIQUE INDEX org_units_child_code ON org_units (parent_id, lower(code)) WHERE type_id IN (4, 6);
