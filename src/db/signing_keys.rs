//! Each institution's signing keys (`signing_keys`).
