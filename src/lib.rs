//! d2l-groups: the groups and sections part of D2L Brightspace's LP REST API, self-hosted.
//!
//! Layers, outside in: `routes` (the table) → `middleware` (request id, token and rate limit,
//! version and scope gate) → `handlers` (thin) → `domain` (plain rules) and `db` (Diesel over
//! SQLite or PostgreSQL). `wire` holds the JSON shapes; `error` the one error type.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod jobs;
pub mod middleware;
pub mod rate_limit;
pub mod routes;
pub mod schema;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod versions;
pub mod wire;
