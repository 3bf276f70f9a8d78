//! Reliability: what must hold under concurrent writers, database outages, hostile input and
//! the ends of users' and jobs' lives; each concern is a module.

mod concurrency;
mod input;
mod outage;
mod pool;
mod tokens;
