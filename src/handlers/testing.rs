//! Test mode's routes (`serve --test-mode`, docs/testing.md), for integration suites: reset
//! the database to the seeded world with the same ids, read those ids, and move the business
//! clock (`crate::clock`). The route table serves them only in test mode; to any other server
//! these paths do not exist. They take no token: test mode listens on loopback only unless
//! forced (`cli::serve`).

use actix_web::{web, HttpResponse};

use super::extract::Body;
use super::reply::ok;
use crate::config::TestMode;
use crate::error::{ApiError, ApiResult};
use crate::services::seed::{self, Created};
use crate::state::{AppState, State};
use crate::wire::testing::{ClockChange, ClockReading};

/// The server's test mode; the route guard lets no request through without one.
fn test_mode(state: &AppState) -> ApiResult<TestMode> {
    state
        .settings
        .test_mode
        .clone()
        .ok_or_else(|| ApiError::not_found("No route matches: the server is not in test mode."))
}

/// Empties the database and seeds the world again, in one transaction run alone; remembers and
/// answers the ids. The clock is back on real time first, so the world is seeded as at start.
fn reset_now(state: &AppState) -> ApiResult<Created> {
    let mode = test_mode(state)?;
    state.clock.reset();
    let created = seed::reset_database(
        &state.db,
        mode.world.as_deref(),
        &state.settings.learner_role_name,
        state.clock.naive_now(),
    )?;
    *mode.seeded.lock().unwrap_or_else(|p| p.into_inner()) = Some(created.clone());
    tracing::warn!("test mode: the database was reset to the seeded world");
    Ok(created)
}

/// `POST /testing/reset`: back to exactly the seeded world (the same ids), the clock on real
/// time; answers the seeded ids.
pub async fn reset(state: State) -> ApiResult<HttpResponse> {
    let app = state.into_inner();
    let created = web::block(move || reset_now(&app)).await??;
    ok(&created)
}

/// `GET /testing/seed`: the ids of the seeded world, by the names the seed file used.
pub async fn seeded(state: State) -> ApiResult<HttpResponse> {
    let mode = test_mode(&state)?;
    let created = mode
        .seeded
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| ApiError::not_found("Nothing has been seeded yet."))?;
    ok(&created)
}

fn reading(state: &AppState) -> ClockReading {
    ClockReading::new(state.clock.now(), state.clock.offset())
}

/// `GET /testing/clock`: business time now and its offset from real time.
pub async fn clock(state: State) -> ApiResult<HttpResponse> {
    test_mode(&state)?;
    ok(&reading(&state))
}

/// `PUT /testing/clock` with `{"Now": "..."}` or `{"OffsetSeconds": n}`: business time runs
/// from there (never behind real time: 400). The job worker is woken, so that jobs the moved
/// clock makes due (an allocation after expiry) run at once.
pub async fn set_clock(state: State, body: Body<ClockChange>) -> ApiResult<HttpResponse> {
    test_mode(&state)?;
    let moved = match (body.0.now, body.0.offset_seconds) {
        (Some(now), None) => state.clock.set_to(now.0.and_utc()),
        (None, Some(seconds)) => state
            .clock
            .set_offset(chrono::Duration::try_seconds(seconds).unwrap_or(chrono::Duration::MAX)),
        _ => Err("give exactly one of Now and OffsetSeconds".into()),
    };
    moved.map_err(|why| ApiError::bad_request(format!("Clock: {why}.")))?;
    tracing::warn!(
        offset_ms = state.clock.offset().num_milliseconds(),
        "test mode: the clock was moved"
    );
    state.jobs.wake();
    ok(&reading(&state))
}

/// `DELETE /testing/clock`: back to real time.
pub async fn real_clock(state: State) -> ApiResult<HttpResponse> {
    test_mode(&state)?;
    state.clock.reset();
    ok(&reading(&state))
}
