//! Shared set-up for the benchmarks: the test harness's spawned app, and seeding a course with
//! many learners straight into the database (through HTTP it would take minutes).
#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
pub mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use d2l_groups::db::rows::{Enrollment, NewUser};
use d2l_groups::db::DbConnection;
use d2l_groups::schema::{enrollments, roles, users};
use diesel::prelude::*;

/// Inserts `count` users enrolled as Students in `course`; answers their ids.
pub fn seed_learners(app: &common::TestApp, course: i64, count: usize) -> Vec<i64> {
    let started = Instant::now();
    let ids = app
        .state
        .db
        .write_sync(|conn| {
            let (institution_id, student): (i64, i64) = roles::table
                .filter(roles::name.eq("Student"))
                .filter(roles::institution_id.eq(1))
                .select((roles::institution_id, roles::id))
                .first(conn)?;
            let now = Utc::now().naive_utc();
            let tag = uuid::Uuid::new_v4().simple().to_string();
            let new_users: Vec<NewUser> = (0..count)
                .map(|i| NewUser {
                    institution_id,
                    user_name: format!("learner{i}-{tag}"),
                    user_name_key: format!("learner{i}-{tag}"),
                    first_name: "Learner".into(),
                    middle_name: None,
                    last_name: format!("{i}"),
                    external_email: None,
                    org_defined_id: None,
                    pronouns: None,
                    is_active: true,
                    created_at: now,
                })
                .collect();
            for chunk in new_users.chunks(1000) {
                match conn {
                    DbConnection::Pg(c) => {
                        diesel::insert_into(users::table).values(chunk).execute(c)?
                    }
                    DbConnection::Sqlite(c) => {
                        diesel::insert_into(users::table).values(chunk).execute(c)?
                    }
                };
            }
            let ids: Vec<i64> = users::table
                .filter(users::user_name_key.like(format!("learner%-{tag}")))
                .select(users::id)
                .load(conn)?;
            let rows: Vec<Enrollment> = ids
                .iter()
                .map(|user_id| Enrollment {
                    user_id: *user_id,
                    org_unit_id: course,
                    institution_id,
                    role_id: student,
                    is_cascading: false,
                    created_at: now,
                })
                .collect();
            for chunk in rows.chunks(1000) {
                match conn {
                    DbConnection::Pg(c) => diesel::insert_into(enrollments::table)
                        .values(chunk)
                        .execute(c)?,
                    DbConnection::Sqlite(c) => diesel::insert_into(enrollments::table)
                        .values(chunk)
                        .execute(c)?,
                };
            }
            Ok(ids)
        })
        .expect("seed learners");
    if let Ok(mut conn) = app.state.db.conn() {
        let _ = match &mut *conn {
            DbConnection::Pg(c) => diesel::sql_query("ANALYZE").execute(c),
            DbConnection::Sqlite(c) => diesel::sql_query("ANALYZE").execute(c),
        };
    }
    eprintln!("seeded {} learners in {:.2?}", ids.len(), started.elapsed());
    ids
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn backend() -> &'static str {
    if common::is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Prints one figure against its target; answers whether it met it.
pub fn report(what: &str, took: Duration, target: Duration) -> bool {
    let ok = took <= target;
    println!(
        "{:<10} {what:<60} {:>9.1} ms  (target < {:>6.0} ms)  {}",
        backend(),
        took.as_secs_f64() * 1000.0,
        target.as_secs_f64() * 1000.0,
        if ok { "ok" } else { "MISSED" }
    );
    ok
}
