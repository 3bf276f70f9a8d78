//! Reliability: what must hold under concurrent writers, database outages, hostile input and
//! the ends of users' and jobs' lives. One test binary; each concern is a module.

#[path = "../common/mod.rs"]
mod common;

mod concurrency;
mod input;
mod outage;
mod pool;
mod tokens;
