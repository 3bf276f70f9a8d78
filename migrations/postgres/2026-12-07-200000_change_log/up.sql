-- What each write transaction touched, for the other processes on one SQLite file
-- (db::changes). PostgreSQL announces writes with NOTIFY instead and leaves this table empty;
-- it exists so that both backends have one schema.
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    instance BIGINT NOT NULL,
    touched TEXT NOT NULL
);
