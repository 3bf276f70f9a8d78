//! Emptying the database for test mode's reset (`services::seed::reset`, docs/testing.md):
//! every table but the migrations' own, with identities restarted where a fresh database
//! starts them, so that the world seeded again gets the same ids. The tables are listed from
//! the database itself, so a table a later migration adds is emptied too.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::institutions;

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Diesel's record of the migrations applied: kept.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// Where SQLite's AUTOINCREMENT counters start on a fresh database: the foundation migration
/// (`migrations/sqlite/2026-11-22-000001_foundation`) sets these three, as PostgreSQL's
/// identities `START WITH` them; every other table starts at 1.
const SQLITE_SEQUENCE_STARTS: &[(&str, i64)] =
    &[("org_units", 6605), ("users", 999), ("roles", 109)];

/// Empties every table in the caller's transaction. PostgreSQL: one `TRUNCATE ... RESTART
/// IDENTITY CASCADE` of the current schema's tables. SQLite: a `DELETE` of each, foreign keys
/// checked at the commit (when all are empty), and the AUTOINCREMENT counters set back.
pub fn empty_all(conn: &mut DbConnection) -> ApiResult<()> {
    match conn {
        DbConnection::Pg(pg) => {
            let tables: Vec<TableName> = diesel::sql_query(
                "SELECT tablename::text AS name FROM pg_tables \
                 WHERE schemaname = current_schema() AND tablename <> $1",
            )
            .bind::<Text, _>(MIGRATIONS_TABLE)
            .load(pg)?;
            if tables.is_empty() {
                return Ok(());
            }
            let list: Vec<String> = tables.iter().map(|t| quoted(&t.name)).collect();
            pg.batch_execute(&format!(
                "TRUNCATE TABLE {} RESTART IDENTITY CASCADE",
                list.join(", ")
            ))?;
        }
        DbConnection::Sqlite(sqlite) => {
            let tables: Vec<TableName> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> ?",
            )
            .bind::<Text, _>(MIGRATIONS_TABLE)
            .load(sqlite)?;
            sqlite.batch_execute("PRAGMA defer_foreign_keys = ON")?;
            for table in &tables {
                sqlite.batch_execute(&format!("DELETE FROM {}", quoted(&table.name)))?;
            }
            sqlite.batch_execute("DELETE FROM sqlite_sequence")?;
            for (table, seq) in SQLITE_SEQUENCE_STARTS {
                diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                    .bind::<Text, _>(*table)
                    .bind::<diesel::sql_types::BigInt, _>(*seq)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Gives institution `id` the tenant id it had before a reset (tokens carry it).
pub fn set_tenant_id(conn: &mut DbConnection, id: i64, tenant_id: &str) -> ApiResult<()> {
    diesel::update(institutions::table.find(id))
        .set(institutions::tenant_id.eq(tenant_id))
        .execute(conn)?;
    Ok(())
}
