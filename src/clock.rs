//! The server's business clock: real time, moved forward by an offset that only test mode sets
//! (`PUT /testing/clock`, docs/testing.md), so that an integration suite can see a
//! self-enrollment window close and its allocation after expiry run without waiting for it.
//!
//! Business time is read where a rule depends on the date: the self-enrollment window, the
//! job queue's "due" (so that the allocation after expiry runs when the moved clock passes
//! the expiry date) and what those jobs write. Security stays on real time: tokens, sessions,
//! authorization codes, ID-key timestamps and rate limits never read this clock, so moving it
//! cannot make an expired credential valid or a valid one expire.
//!
//! The clock only runs ahead of real time, never behind it: every timestamp written with real
//! time (a category's creation job, say) is then never in the business clock's future, so no
//! job waits for the clock to catch up, and the date rules see one consistent "now".

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

/// Real time plus an offset (zero unless test mode moved it), shared by every clone.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

/// The furthest the clock may be moved: about a hundred years, far beyond any course.
const MAX_OFFSET_MS: i64 = 100 * 366 * 24 * 3600 * 1000;

impl Clock {
    /// A clock on real time.
    pub fn real() -> Self {
        Self::default()
    }

    /// Business time now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// Business time now, as the database stores times (UTC, naive).
    pub fn naive_now(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// How far ahead of real time the clock runs.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Runs the clock `offset` ahead of real time; a negative offset (or more than a hundred
    /// years) is refused, saying why.
    pub fn set_offset(&self, offset: Duration) -> Result<(), String> {
        let ms = offset.num_milliseconds();
        if ms < 0 {
            return Err(
                "the clock only runs ahead of real time: the offset must not be negative".into(),
            );
        }
        if ms > MAX_OFFSET_MS {
            return Err("the offset must be at most a hundred years".into());
        }
        self.offset_ms.store(ms, Ordering::Relaxed);
        Ok(())
    }

    /// Sets the clock to `at` (from then on it runs on from there): refused when `at` is
    /// before real time now.
    pub fn set_to(&self, at: DateTime<Utc>) -> Result<(), String> {
        let offset = at - Utc::now();
        if offset < Duration::zero() {
            return Err(format!(
                "{} is before real time now: the clock only runs ahead of it",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ));
        }
        self.set_offset(offset)
    }

    /// Back to real time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_ahead_by_its_offset_and_never_behind() {
        let clock = Clock::real();
        let shared = clock.clone();
        assert_eq!(clock.offset(), Duration::zero());
        clock.set_offset(Duration::days(2)).expect("forward");
        assert_eq!(shared.offset(), Duration::days(2));
        let ahead = shared.now() - Utc::now();
        assert!(ahead > Duration::days(2) - Duration::seconds(5) && ahead <= Duration::days(2));
        assert!(clock.set_offset(Duration::seconds(-1)).is_err());
        assert!(clock.set_to(Utc::now() - Duration::hours(1)).is_err());
        assert_eq!(
            clock.offset(),
            Duration::days(2),
            "a refusal changes nothing"
        );
        clock
            .set_to(Utc::now() + Duration::hours(3))
            .expect("an instant ahead");
        let offset = clock.offset();
        assert!(offset > Duration::minutes(179) && offset <= Duration::hours(3));
        assert!(clock.set_offset(Duration::days(365 * 200)).is_err());
        clock.reset();
        assert_eq!(shared.offset(), Duration::zero());
    }
}
