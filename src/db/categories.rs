//! Group categories and the groups that belong to them (`group_categories`, `category_groups`).
