-- Evidence files (a BCP as PDF, scanned rules, photos of backup media) kept for a facility. The bytes live in
-- the data folder, content-addressed (`files/<first 2 hex>/<sha256 hex>`, see server/src/files/local.rs);
-- this row says the facility holds them. The same bytes uploaded by two facilities are stored once and have
-- a row for each, and each row counts in its own facility's quota (so an upload tells no facility what
-- another holds). media_type is what the server read from the bytes, never what the uploader sent.
CREATE TABLE files (
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    size INTEGER NOT NULL CHECK (size > 0),
    media_type TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES people (id),
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (facility_id, sha256)
);
