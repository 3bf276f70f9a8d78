//! The hand-kept `src/schema.rs` must describe exactly what the migrations create, on the
//! backend under test; and the migrations must go down and up again cleanly.

use crate::common;

use std::collections::BTreeMap;

use d2l_groups::db::{Db, DbConnection, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;

/// table -> column -> (diesel type, nullable)
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn declared() -> Columns {
    let source = include_str!("../../src/schema.rs");
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if current.is_none() {
            // `name (pk) {` opens a table.
            if let Some((name, rest)) = line.split_once(" (") {
                if rest.ends_with(") {") && !name.contains(' ') && !name.is_empty() {
                    current = Some(name.to_string());
                    tables.entry(name.to_string()).or_default();
                }
            }
        } else if line == "}" {
            current = None;
        } else if let Some((column, ty)) = line.trim_end_matches(',').split_once(" -> ") {
            let (ty, nullable) = match ty
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner.to_string(), true),
                None => (ty.to_string(), false),
            };
            let table = current.clone().expect("inside a table");
            tables
                .entry(table)
                .or_default()
                .insert(column.to_string(), (ty, nullable));
        }
    }
    tables
}

#[derive(QueryableByName, Debug)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "type")]
    ty: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName, Debug)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName, Debug)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

fn diesel_type(sql: &str) -> String {
    match sql.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "BigInt",
        "text" => "Text",
        "boolean" => "Bool",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        other => return format!("unknown SQL type {other}"),
    }
    .to_string()
}

fn actual(conn: &mut DbConnection) -> Columns {
    let mut tables = Columns::new();
    match conn {
        DbConnection::Sqlite(c) => {
            let names: Vec<TableName> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%'",
            )
            .load(c)
            .expect("tables");
            for t in names {
                let cols: Vec<SqliteColumn> =
                    diesel::sql_query(format!("PRAGMA table_info({})", t.name))
                        .load(c)
                        .expect("columns");
                let entry = tables.entry(t.name.clone()).or_default();
                for col in cols {
                    entry.insert(
                        col.name,
                        (diesel_type(&col.ty), col.notnull == 0 && col.pk == 0),
                    );
                }
            }
        }
        DbConnection::Pg(c) => {
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
                 is_nullable::text AS is_nullable FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '__diesel%'",
            )
            .load(c)
            .expect("columns");
            for col in cols {
                tables.entry(col.table_name).or_default().insert(
                    col.column_name,
                    (diesel_type(&col.data_type), col.is_nullable == "YES"),
                );
            }
        }
    }
    tables
}

/// A migrated database, and the guard that drops it when the test ends.
fn migrated_db() -> (Db, common::TestDatabase) {
    let database = common::fresh_database_url();
    let db = Db::connect(&database, 2).expect("connect");
    db.migrate().expect("migrate");
    (db, database)
}

#[test]
fn schema_rs_matches_the_migrated_database() {
    let (db, _database) = migrated_db();
    let mut conn = db.conn().expect("conn");
    let declared = declared();
    assert!(
        declared.len() >= 8,
        "parsed {} tables from schema.rs",
        declared.len()
    );
    assert_eq!(actual(&mut conn), declared);
}

#[test]
fn migrations_revert_and_reapply_cleanly() {
    let (db, _database) = migrated_db();
    let mut conn = db.conn().expect("conn");
    match &mut *conn {
        DbConnection::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).expect("down");
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .expect("up again");
        }
        DbConnection::Pg(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).expect("down");
            c.run_pending_migrations(POSTGRES_MIGRATIONS)
                .expect("up again");
        }
    }
    assert_eq!(actual(&mut conn), declared());
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
    );
    for m in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{backend}/{m}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(
                    std::fs::metadata(&path).is_ok_and(|m| m.len() > 0),
                    "{path} missing or empty"
                );
            }
        }
    }
}
