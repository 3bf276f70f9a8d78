//! Test mode's clock shapes (`/testing/clock`, docs/testing.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UtcDateTime;

/// `PUT /testing/clock`: either the instant business time is to read now (`Now`), or how
/// far ahead of real time it is to run (`OffsetSeconds`). Exactly one of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    #[serde(rename = "Now", default)]
    pub now: Option<UtcDateTime>,
    #[serde(rename = "OffsetSeconds", default)]
    pub offset_seconds: Option<i64>,
}

/// What the clock reads: business time now, how far ahead of real time it runs, and whether
/// it is real time.
#[derive(Debug, Serialize)]
pub struct ClockReading {
    #[serde(rename = "Now")]
    pub now: String,
    #[serde(rename = "OffsetSeconds")]
    pub offset_seconds: f64,
    #[serde(rename = "IsRealTime")]
    pub is_real_time: bool,
}

impl ClockReading {
    pub fn new(now: DateTime<Utc>, offset: chrono::Duration) -> Self {
        let ms = offset.num_milliseconds();
        Self {
            now: super::utc(now.naive_utc()),
            // Milliseconds as seconds: exact enough for a test to compare.
            offset_seconds: ms as f64 / 1000.0,
            is_real_time: ms == 0,
        }
    }
}
