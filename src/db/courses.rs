//! Course offerings (`org_units` of type course offering): created, read, deleted.
