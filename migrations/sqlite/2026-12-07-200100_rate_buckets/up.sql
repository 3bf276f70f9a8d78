-- One rate budget per client across server processes (rate_limit.rs). On SQLite one server
-- serves a file and keeps its budgets in memory; the table exists so that both backends have
-- one schema.
CREATE TABLE rate_buckets (
    bucket TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL
);
