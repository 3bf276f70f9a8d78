DROP INDEX org_units_child_code;
