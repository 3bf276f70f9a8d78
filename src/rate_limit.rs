//! Brightspace-style rate limiting: a bucket of credits per (institution, OAuth client), each
//! call costing a fixed number, refilled continuously over a minute. Anonymous calls and the
//! token endpoint are limited per client IP. GCRA, as `governor` keeps it in memory.
//!
//! **One budget across processes.** On PostgreSQL a client's bucket is one row that every
//! server process draws on (`db::rate_buckets`, GCRA's arrival time on the database's clock),
//! so a client spread over N processes gets one budget, not N. A process does not ask the
//! database for each call: it leases a block of credits (a 32nd of the budget, at least one
//! call's cost) and spends it locally for at most [`LEASE_FOR`]; credits it leased and did not
//! spend are given back with its next lease. So a request touches the database once per block,
//! and what the processes hold unspent at any moment (at most a block each) is the margin by
//! which their `X-Rate-Limit-Remaining` can differ. Anonymous calls (per IP) stay per process.
//!
//! **When the database cannot be reached** for a lease, the call is charged to this process's
//! own bucket of the full budget, as a single process would (so N processes may grant up to N
//! budgets while it lasts); it is logged, never a 500. On SQLite (one server per file) every
//! bucket is in memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::RateLimitSettings;
use crate::db::{rate_buckets, Backend, Db};

/// How long a leased block of credits may be spent before the next call asks again.
pub const LEASE_FOR: Duration = Duration::from_millis(250);
/// What share of the budget one lease takes at most.
const LEASE_SHARE: u32 = 32;

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
    /// Every bucket of this process: all of them on SQLite, the IPs' on PostgreSQL (and a
    /// client's while the database cannot be reached).
    limiter: Limiter,
    settings: RateLimitSettings,
    /// The budgets shared with the other processes, on PostgreSQL.
    shared: Option<SharedBudgets>,
}

/// Leases of credits from the database's buckets ([`rate_buckets`]).
struct SharedBudgets {
    db: Db,
    leases: Mutex<HashMap<RateKey, Lease>>,
    /// One lease of a key asked for at a time in this process: calls that arrive together
    /// wait for it and spend from it, rather than each leasing a block (a burst of 200 would
    /// otherwise lease the whole budget into this process and be refused the rest).
    leasing: Mutex<HashMap<RateKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Credits one lease asks for.
    block: u32,
}

/// Credits leased from a shared bucket and not yet spent.
#[derive(Clone, Copy, Debug)]
struct Lease {
    left: u32,
    /// What the shared bucket held, beyond this lease, when it was leased.
    bucket_remaining: u32,
    reset_secs: u64,
    until: Instant,
}

impl RateLimits {
    /// Budgets in this process alone (SQLite, and the tests of one process).
    pub fn new(settings: RateLimitSettings) -> Self {
        let quota = Quota::per_minute(settings.credits_per_minute);
        Self {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            settings,
            shared: None,
        }
    }

    /// Budgets shared by every process of `db` when it is PostgreSQL; else [`RateLimits::new`].
    pub fn for_database(settings: RateLimitSettings, db: &Db) -> Self {
        let mut limits = Self::new(settings);
        if db.backend() == Backend::Postgres {
            let (credits, cost) = (
                settings.credits_per_minute.get(),
                settings.request_cost.get(),
            );
            let block = (credits / LEASE_SHARE / cost * cost).max(cost);
            limits.shared = Some(SharedBudgets {
                db: db.clone(),
                leases: Mutex::new(HashMap::new()),
                leasing: Mutex::new(HashMap::new()),
                block,
            });
        }
        limits
    }

    /// Charges one call to `key`.
    pub async fn charge(&self, key: &RateKey) -> Decision {
        match (&self.shared, key) {
            (Some(shared), RateKey::Client { .. } | RateKey::CliUser { .. }) => {
                let cost = self.settings.request_cost.get();
                if let Some(decision) = shared.spend(key, cost) {
                    return decision;
                }
                let turn = shared.turn_of(key);
                let _leasing = turn.lock().await;
                // The call before us in line may have leased enough for us too.
                if let Some(decision) = shared.spend(key, cost) {
                    return decision;
                }
                match shared.lease(key, &self.settings).await {
                    Ok(decision) => decision,
                    Err(e) => {
                        tracing::warn!(error = %e, "shared rate budget out of reach; charged to this process's own");
                        self.charge_here(key)
                    }
                }
            }
            _ => self.charge_here(key),
        }
    }

    /// Charges one call to `key`'s bucket in this process.
    fn charge_here(&self, key: &RateKey) -> Decision {
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

    /// Forgets buckets that are full again and leases long spent; run periodically so idle
    /// keys do not pile up (here, and in the database's table).
    pub async fn evict_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        if let Some(shared) = &self.shared {
            let now = Instant::now();
            shared
                .leases
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, lease| lease.until + LEASE_FOR > now);
            // A turn nobody waits for (only the map holds it) is forgotten.
            shared
                .leasing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, turn| Arc::strong_count(turn) > 1);
            if let Err(e) = shared.db.autocommit(rate_buckets::prune).await {
                tracing::debug!(error = %e, "rate buckets not pruned this time");
            }
        }
    }

    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }
}

impl SharedBudgets {
    /// The lock whose holder may lease for `key` ([`SharedBudgets::leasing`]).
    fn turn_of(&self, key: &RateKey) -> Arc<tokio::sync::Mutex<()>> {
        self.leasing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// The call's cost taken from a live lease of `key`, if it holds enough.
    fn spend(&self, key: &RateKey, cost: u32) -> Option<Decision> {
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        let lease = leases.get_mut(key)?;
        if lease.until < Instant::now() || lease.left < cost {
            return None;
        }
        lease.left -= cost;
        Some(Decision::Allowed {
            remaining: lease.bucket_remaining + lease.left,
            reset_secs: lease.reset_secs,
            cost,
        })
    }

    /// A new lease for `key` (giving back what an ended one left), and the call charged to it;
    /// a single call's cost when a whole block would overdraw the bucket; else `Limited`.
    async fn lease(
        &self,
        key: &RateKey,
        settings: &RateLimitSettings,
    ) -> Result<Decision, crate::error::ApiError> {
        let cost = settings.request_cost.get();
        let returned = {
            let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
            match leases.get(key) {
                Some(lease) if lease.until < Instant::now() => {
                    let left = lease.left;
                    leases.remove(key);
                    left
                }
                _ => 0,
            }
        };
        // The bucket counts in microseconds of the database's clock: a budget of more than a
        // million a second (tests' "no limit") counts one microsecond a credit, its burst the
        // whole budget all the same.
        let per_minute = i64::from(settings.credits_per_minute.get());
        let interval_us = (60_000_000 / per_minute).max(1);
        let burst_us = interval_us * per_minute;
        let bucket = key.bucket_name();
        let block = self.block;
        let outcome = self
            .db
            .autocommit(move |conn| {
                for credits in [block, cost] {
                    let given = if credits == block { returned } else { 0 };
                    let leased = rate_buckets::lease(
                        conn,
                        &bucket,
                        i64::from(credits),
                        i64::from(given),
                        interval_us,
                        burst_us,
                    )?;
                    if let Some(time) = leased {
                        return Ok(Ok((credits, time)));
                    }
                    if block == cost {
                        break;
                    }
                }
                Ok(Err(rate_buckets::peek(conn, &bucket)?))
            })
            .await?;
        let credits_in = |time: rate_buckets::BucketTime| {
            let free = burst_us - (time.tat_us - time.now_us).max(0);
            u32::try_from((free / interval_us).max(0)).unwrap_or(u32::MAX)
        };
        match outcome {
            Ok((credits, time)) => {
                let left = credits - cost;
                let bucket_remaining = credits_in(time);
                let reset_secs = ceil_secs(Duration::from_micros(
                    u64::try_from(time.tat_us - time.now_us).unwrap_or(0),
                ));
                if left > 0 {
                    let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
                    let kept = leases.entry(key.clone()).or_insert(Lease {
                        left: 0,
                        bucket_remaining,
                        reset_secs,
                        until: Instant::now() + LEASE_FOR,
                    });
                    kept.left += left;
                    kept.bucket_remaining = bucket_remaining;
                    kept.reset_secs = reset_secs;
                }
                Ok(Decision::Allowed {
                    remaining: bucket_remaining + left,
                    reset_secs,
                    cost,
                })
            }
            Err(time) => {
                let over = time.tat_us - time.now_us + i64::from(cost) * interval_us - burst_us;
                Ok(Decision::Limited {
                    retry_after_secs: ceil_secs(Duration::from_micros(
                        u64::try_from(over).unwrap_or(0),
                    ))
                    .max(1),
                })
            }
        }
    }
}

impl RateKey {
    /// The shared bucket's name.
    fn bucket_name(&self) -> String {
        match self {
            RateKey::Client {
                institution_id,
                client_id,
            } => format!("c:{institution_id}:{client_id}"),
            RateKey::CliUser {
                institution_id,
                user_id,
            } => format!("u:{institution_id}:{user_id}"),
            RateKey::Ip(ip) => format!("ip:{ip}"),
        }
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
        match l.charge_here(&key) {
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
            assert!(matches!(l.charge_here(&a), Decision::Allowed { .. }));
        }
        match l.charge_here(&a) {
            Decision::Limited { retry_after_secs } => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            l.charge_here(&b),
            Decision::Allowed { remaining: 20, .. }
        ));
    }

    #[test]
    fn idle_keys_are_evicted_once_their_bucket_is_full_again() {
        // 6,000 credits a minute: one credit back every 10 ms.
        let l = limits(6_000, 1);
        for i in 0..50 {
            l.charge_here(&RateKey::CliUser {
                institution_id: 1,
                user_id: i,
            });
        }
        assert_eq!(l.tracked_keys(), 50);
        std::thread::sleep(Duration::from_millis(50));
        l.limiter.retain_recent();
        assert_eq!(l.tracked_keys(), 0);
    }

    #[test]
    fn settings_refuse_impossible_costs() {
        assert!(RateLimitSettings::new(5, 10).is_err());
        assert!(RateLimitSettings::new(0, 1).is_err());
        assert!(RateLimitSettings::new(1, 0).is_err());
    }
}
