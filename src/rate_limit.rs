//! Brightspace-style rate limiting: a bucket of credits per (institution, OAuth client), each
//! call costing a fixed number, refilled continuously over a minute. Anonymous calls and the
//! token endpoint are limited per client IP. GCRA from `governor`, one keyed limiter for all.

use std::net::IpAddr;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::RateLimitSettings;

/// Whose bucket a call draws from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// A registered OAuth client of an institution.
    Client {
        institution_id: i64,
        client_id: String,
    },
    /// A user's tokens minted by the CLI: each user counts as a client of their own.
    CliUser { institution_id: i64, user_id: i64 },
    /// Anonymous calls, rejected tokens and the token endpoint.
    Ip(IpAddr),
}

/// The outcome of charging a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed {
        remaining: u32,
        /// Whole seconds until the bucket is full again.
        reset_secs: u64,
        cost: u32,
    },
    Limited {
        retry_after_secs: u64,
    },
}

type Limiter =
    RateLimiter<RateKey, DefaultKeyedStateStore<RateKey>, DefaultClock, StateInformationMiddleware>;

pub struct RateLimits {
    limiter: Limiter,
    settings: RateLimitSettings,
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Self {
        let quota = Quota::per_minute(settings.credits_per_minute);
        Self {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            settings,
        }
    }

    /// Charges one call to `key`.
    pub fn charge(&self, key: &RateKey) -> Decision {
        let cost = self.settings.request_cost;
        match self.limiter.check_key_n(key, cost) {
            Ok(Ok(snapshot)) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision::Allowed {
                    remaining,
                    reset_secs: self
                        .seconds_to_refill(self.settings.credits_per_minute.get() - remaining),
                    cost: cost.get(),
                }
            }
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                Decision::Limited {
                    retry_after_secs: ceil_secs(wait).max(1),
                }
            }
            // Only when cost exceeds the bucket, which the settings refuse.
            Err(_) => Decision::Limited {
                retry_after_secs: 60,
            },
        }
    }

    fn seconds_to_refill(&self, missing_credits: u32) -> u64 {
        let per_credit = 60.0 / f64::from(self.settings.credits_per_minute.get());
        (f64::from(missing_credits) * per_credit).ceil() as u64
    }

    /// Forgets buckets that are full again; run periodically so idle keys do not pile up.
    pub fn evict_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(credits: u32, cost: u32) -> RateLimits {
        RateLimits::new(RateLimitSettings::new(credits, cost).expect("valid"))
    }

    #[test]
    fn charges_cost_and_reports_remaining() {
        let l = limits(50_000, 10);
        let key = RateKey::Ip([127, 0, 0, 1].into());
        match l.charge(&key) {
            Decision::Allowed {
                remaining,
                reset_secs,
                cost,
            } => {
                assert_eq!(remaining, 49_990);
                assert_eq!(cost, 10);
                assert_eq!(reset_secs, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limits_when_the_bucket_is_empty_and_keys_are_separate() {
        let l = limits(30, 10);
        let a = RateKey::CliUser {
            institution_id: 1,
            user_id: 1,
        };
        let b = RateKey::CliUser {
            institution_id: 1,
            user_id: 2,
        };
        for _ in 0..3 {
            assert!(matches!(l.charge(&a), Decision::Allowed { .. }));
        }
        match l.charge(&a) {
            Decision::Limited { retry_after_secs } => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            l.charge(&b),
            Decision::Allowed { remaining: 20, .. }
        ));
    }

    #[test]
    fn idle_keys_are_evicted_once_their_bucket_is_full_again() {
        // 6,000 credits a minute: one credit back every 10 ms.
        let l = limits(6_000, 1);
        for i in 0..50 {
            l.charge(&RateKey::CliUser {
                institution_id: 1,
                user_id: i,
            });
        }
        assert_eq!(l.tracked_keys(), 50);
        std::thread::sleep(Duration::from_millis(50));
        l.evict_idle();
        assert_eq!(l.tracked_keys(), 0);
    }

    #[test]
    fn settings_refuse_impossible_costs() {
        assert!(RateLimitSettings::new(5, 10).is_err());
        assert!(RateLimitSettings::new(0, 1).is_err());
        assert!(RateLimitSettings::new(1, 0).is_err());
    }
}
