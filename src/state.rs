//! Application state: what every handler can reach, built once per process.

use std::sync::Arc;

use actix_web::web;

use crate::auth::tokens::TokenService;
use crate::auth::PermissionMemo;
use crate::config::Settings;
use crate::db::memo::Memo;
use crate::db::standing::Standing;
use crate::db::{Db, PoolOptions};
use crate::jobs::JobRunner;
use crate::rate_limit::RateLimits;

/// What every handler can reach, shared across workers.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenService,
    pub limits: RateLimits,
    pub jobs: JobRunner,
    pub settings: Settings,
    pub caches: Caches,
    /// Business time (`crate::clock`): real time unless test mode moved it.
    pub clock: crate::clock::Clock,
    /// This server's own metrics (`/metrics`; `crate::metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Reads remembered across requests, each forgotten when a write it depends on is recorded
/// (`db::changes`; docs/performance.md, "Caches").
pub struct Caches {
    /// Whole JSON answers of the hot GET routes, per caller (`handlers::remember`).
    pub answers: Memo<AnswerKey, web::Bytes>,
    /// Whether a token's holder may still act (`middleware`).
    pub standing: Memo<HolderKey, Standing>,
    /// Callers' effective permissions per org unit (`services::access`).
    pub permissions: Arc<PermissionMemo>,
}

/// Answers are kept at most this many bytes in all.
const ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// Token holders remembered at most.
const HOLDERS: usize = 100_000;

impl Caches {
    pub fn new(db: &Db) -> Self {
        Self {
            answers: db.memo(ANSWER_BYTES),
            standing: db.memo(HOLDERS),
            permissions: Arc::new(db.memo(HOLDERS)),
        }
    }
}

/// Who asked for what: an answer is only ever served again to the same caller (user, and the
/// OAuth client they act through) for the same path and query.
#[derive(Clone, Debug)]
pub struct AnswerKey {
    pub institution_id: i64,
    pub user_id: i64,
    pub client_id: Option<String>,
    pub target: String,
    /// The request asked not to be answered from memory (`Cache-Control: no-cache`, RFC 9111
    /// §5.2.1.4): it is read from the database, and nothing is remembered of it. Not part of
    /// the key.
    pub revalidate: bool,
}

impl PartialEq for AnswerKey {
    fn eq(&self, other: &Self) -> bool {
        (
            self.institution_id,
            self.user_id,
            &self.client_id,
            &self.target,
        ) == (
            other.institution_id,
            other.user_id,
            &other.client_id,
            &other.target,
        )
    }
}

impl Eq for AnswerKey {}

impl std::hash::Hash for AnswerKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            self.institution_id,
            self.user_id,
            &self.client_id,
            &self.target,
        )
            .hash(state);
    }
}

/// A token's holder: (institution, user, OAuth client or `None` for the CLI's tokens, and the
/// user's authorization for code-flow tokens).
pub type HolderKey = (i64, i64, Option<String>, Option<i64>);

pub type State = web::Data<AppState>;

impl AppState {
    /// Connects, migrates, bootstraps the default institution if needed, and loads the keys.
    pub fn initialize(settings: Settings) -> Result<Arc<Self>, String> {
        let db = Db::connect_with(
            &settings.database_url,
            PoolOptions {
                size: settings.database_pool_size,
                checkout_timeout: settings.database_checkout_timeout,
            },
        )?;
        db.migrate()?;
        db.watch_changes();
        crate::bootstrap::ensure_default_institution(&db, &settings.learner_role_name)
            .map_err(|e| e.cause())?;
        let tokens = TokenService::new(
            settings.token_issuer.clone(),
            settings.token_audience.clone(),
        );
        db.read_sync(|conn| tokens.load_all(conn))
            .map_err(|e| e.cause())?;
        let clock = crate::clock::Clock::real();
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let jobs = if settings.job_worker {
            JobRunner::start_with(
                db.clone(),
                crate::jobs::WorkerSettings::of(&settings),
                clock.clone(),
                metrics.clone(),
            )
        } else {
            JobRunner::disabled()
        };
        let limits = RateLimits::for_database(settings.rate_limit, &db);
        Ok(Arc::new(Self {
            caches: Caches::new(&db),
            db,
            tokens,
            limits,
            jobs,
            settings,
            clock,
            metrics,
        }))
    }
}
