//! Settings the server runs with. The CLI fills them from flags and environment variables;
//! tests build them directly.

use std::num::NonZeroU32;

/// Brightspace's issuer and audience, so that tokens look like the real thing to clients that
/// inspect them. Both can be changed (see docs/configuration.md).
pub const DEFAULT_ISSUER: &str = "https://api.brightspace.com/auth";
pub const DEFAULT_AUDIENCE: &str = "https://api.brightspace.com/auth/token";

/// Connections per process: enough that 200 concurrent writers to one course queue for locks
/// inside PostgreSQL rather than for connections, few enough that several processes fit under
/// PostgreSQL's default of 100 connections.
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// Ten attempts with delays 1, 2, 4 ... 256 s: about eight and a half minutes of retrying, long
/// enough to ride out a deadlock storm or a restart, short enough that an operator hears of a
/// job that cannot succeed the same hour.
pub const DEFAULT_JOB_MAX_ATTEMPTS: u32 = 10;
pub const DEFAULT_JOB_RETRY_DELAY_MS: u64 = 1_000;

/// The server secret that ID keys are encrypted under, beside the default SQLite database.
pub const DEFAULT_SECRET_KEY_FILE: &str = "d2l-groups.secret";

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub database_pool_size: u32,
    /// Longest wait for a free connection before a request is answered 503.
    pub database_checkout_timeout: std::time::Duration,
    pub rate_limit: RateLimitSettings,
    pub token_issuer: String,
    pub token_audience: String,
    /// Lifetime of tokens issued by `/core/connect/token`.
    pub token_ttl_seconds: i64,
    /// actix worker threads; 0 means one per core.
    pub workers: usize,
    /// Whether this process runs the background job worker (`JOB_WORKER`).
    pub job_worker: bool,
    /// How often an idle worker looks for jobs queued elsewhere or falling due.
    pub job_poll_interval: std::time::Duration,
    /// Attempts a job gets before it is dead (`JOB_MAX_ATTEMPTS`): a job that fails for good
    /// must stop retrying and release its category instead of keeping it 409 forever.
    pub job_max_attempts: u32,
    /// Wait before the first retry of a failed job (`JOB_RETRY_DELAY_MS`); it doubles with
    /// each attempt, up to five minutes. Tests shorten it so that dying takes no minutes.
    pub job_retry_delay: std::time::Duration,
    /// Serve HTTPS with this certificate chain and key (PEM files) instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Which versions are supported, deprecated and obsolete (`--brightspace-release`), and
    /// whether obsolete ones are refused (`--strict-versions`).
    pub versions: crate::versions::VersionPolicy,
    /// What a new institution (the default one included) calls its learner role, the one
    /// AutoEnroll places (`--learner-role-name`): "Student" by default, "Learner" on many
    /// tenants.
    pub learner_role_name: String,
    /// The secret that stored ID keys are encrypted under (`SECRET_KEY_FILE`), read on first
    /// need and created then if absent (docs/security.md, "ID keys").
    pub secret_key_file: crate::auth::id_key::SecretKeyFile,
    /// Refuse JSON bodies holding fields their form does not know (`--strict-input`), naming
    /// the field and the nearest known one. Off by default: Brightspace ignores them.
    pub strict_input: bool,
    /// Test mode (`--test-mode`, docs/testing.md): the `/testing/` routes (reset, clock) are
    /// served only when this is set.
    pub test_mode: Option<TestMode>,
    /// Serve `/metrics` only on this address (`METRICS_ADDRESS`), not on the API's port; `None`
    /// serves it on the API's port, anonymously, as Prometheus scrapes.
    pub metrics_address: Option<String>,
}

/// What test mode resets the database to.
#[derive(Clone, Debug, Default)]
pub struct TestMode {
    /// The seed file's world (`--seed`), checked and prepared; without one, a reset leaves the
    /// bare default institution.
    pub world: Option<std::sync::Arc<crate::services::seed::World>>,
    /// The ids of the world as last seeded (at start, and by each reset).
    pub seeded: std::sync::Arc<std::sync::Mutex<Option<crate::services::seed::Created>>>,
}

/// PEM files for serving HTTPS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert_chain: std::path::PathBuf,
    pub private_key: std::path::PathBuf,
}

#[derive(Clone, Copy, Debug)]
pub struct RateLimitSettings {
    /// Credits a bucket holds and refills per minute.
    pub credits_per_minute: NonZeroU32,
    /// Credits one call costs.
    pub request_cost: NonZeroU32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            credits_per_minute: NonZeroU32::new(50_000).unwrap_or(NonZeroU32::MIN),
            request_cost: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
        }
    }
}

impl RateLimitSettings {
    pub fn new(credits_per_minute: u32, request_cost: u32) -> Result<Self, String> {
        let credits = NonZeroU32::new(credits_per_minute)
            .ok_or("RATE_LIMIT_CREDITS_PER_MINUTE must be at least 1")?;
        let cost =
            NonZeroU32::new(request_cost).ok_or("RATE_LIMIT_REQUEST_COST must be at least 1")?;
        if cost > credits {
            return Err(format!(
                "RATE_LIMIT_REQUEST_COST ({cost}) exceeds RATE_LIMIT_CREDITS_PER_MINUTE ({credits}): no call could ever pass"
            ));
        }
        Ok(Self {
            credits_per_minute: credits,
            request_cost: cost,
        })
    }
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            database_pool_size: DEFAULT_POOL_SIZE,
            database_checkout_timeout: crate::db::PoolOptions::DEFAULT_CHECKOUT_TIMEOUT,
            rate_limit: RateLimitSettings::default(),
            token_issuer: DEFAULT_ISSUER.into(),
            token_audience: DEFAULT_AUDIENCE.into(),
            token_ttl_seconds: 3600,
            workers: 0,
            job_worker: true,
            job_poll_interval: std::time::Duration::from_millis(500),
            learner_role_name: crate::domain::permissions::LEARNER.into(),
            job_max_attempts: DEFAULT_JOB_MAX_ATTEMPTS,
            job_retry_delay: std::time::Duration::from_millis(DEFAULT_JOB_RETRY_DELAY_MS),
            tls: None,
            versions: crate::versions::VersionPolicy::default(),
            secret_key_file: crate::auth::id_key::SecretKeyFile::new(DEFAULT_SECRET_KEY_FILE),
            strict_input: false,
            test_mode: None,
            metrics_address: None,
        }
    }
}
