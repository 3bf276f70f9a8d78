-- What each write transaction touched, for the other processes on one SQLite file (the CLI
-- beside a server, db::changes): SQLite has no NOTIFY, so a transaction records here, in
-- itself, what PostgreSQL would announce; a server reads the rows of other processes when the
-- database's write counter has moved. Old rows are pruned as new ones come.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY,
    instance BIGINT NOT NULL,
    touched TEXT NOT NULL
);
