-- A job that failed its last allowed attempt is dead: kept (with its error) for an operator to
-- retry or discard, never claimed again. The due index covers live jobs only.
ALTER TABLE jobs ADD COLUMN dead_at TIMESTAMP;
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE dead_at IS NULL;
