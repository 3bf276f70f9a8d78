DROP TABLE jobs;
DROP TABLE category_groups;
DROP TABLE group_categories;
