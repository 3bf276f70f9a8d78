//! D2LIDs as text: the one way this server writes them, and so the only way it reads them.

/// A D2LID written the one way this server writes it: `[1-9][0-9]*`, within i64. `01`, `+1`,
/// ` 1`, `1.0` and `0` are not ids; `str::parse` alone would take the first three as 1, and a
/// client would act on a resource it did not name.
pub fn canonical_id(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let canonical =
        matches!(bytes.first(), Some(b'1'..=b'9')) && bytes.iter().all(u8::is_ascii_digit);
    if canonical {
        text.parse::<i64>().ok()
    } else {
        None
    }
}
