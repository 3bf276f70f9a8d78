//! Application state: what every handler can reach, built once per process.

use std::sync::Arc;

use actix_web::web;

use crate::auth::tokens::TokenService;
use crate::config::Settings;
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
}

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
        crate::bootstrap::ensure_default_institution(&db).map_err(|e| e.cause())?;
        let tokens = TokenService::new(
            settings.token_issuer.clone(),
            settings.token_audience.clone(),
        );
        db.read_sync(|conn| tokens.load_all(conn))
            .map_err(|e| e.cause())?;
        let jobs = if settings.job_worker {
            JobRunner::start(db.clone(), crate::jobs::WorkerSettings::of(&settings))
        } else {
            JobRunner::disabled()
        };
        Ok(Arc::new(Self {
            db,
            tokens,
            limits: RateLimits::new(settings.rate_limit),
            jobs,
            settings,
        }))
    }
}
