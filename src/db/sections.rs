//! A course's section settings (`section_settings`).
