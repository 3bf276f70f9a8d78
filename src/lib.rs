//! d2l-groups: the groups and sections part of D2L Brightspace's LP REST API, self-hosted.
//!
//! Layers, outside in: `routes` (the table) → `middleware` (request id, token and rate limit,
//! version and scope gate) → `handlers` (parse, prove access, call one unit of work, answer) →
//! `services` (units of work; `services::access` checks permissions) → `db` (every query, over
//! SQLite or PostgreSQL) → `domain` (plain rules, importing nothing). `wire` holds the JSON
//! shapes, built from `db::rows`; `error` the one error type. Nothing reaches up a layer:
//! `tests/it/layers.rs` checks it (docs/architecture.md lists the rules).

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod rate_limit;
pub mod routes;
pub mod schema;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod versions;
pub mod wire;
