DROP INDEX jobs_due;
ALTER TABLE jobs DROP COLUMN dead_at;
CREATE INDEX jobs_due ON jobs (run_at, id);
