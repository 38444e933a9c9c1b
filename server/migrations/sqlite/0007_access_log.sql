-- The access log (checklist 2-⑪): append-only, each entry hashing the one before it. Times are Unix
-- milliseconds: `at` from the server's clock, `device_at` from the device where the event happened there.
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    device_at INTEGER,
    facility_id TEXT,
    person_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT,
    detail TEXT NOT NULL,
    device TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX access_log_by_facility ON access_log (facility_id, seq);
CREATE INDEX access_log_by_person ON access_log (person_id, seq);
