-- One rate budget per client across server processes (rate_limit.rs): each bucket's
-- theoretical arrival time (GCRA) in microseconds of the database's clock. Processes lease
-- credits from it in blocks, so a request rarely touches it.
CREATE TABLE rate_buckets (
    bucket TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL
);
