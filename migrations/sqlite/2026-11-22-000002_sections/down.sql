DROP TABLE org_unit_members;
DROP TABLE section_settings;
