-- Document storage: each document is a sequence of chunks, oldest first. A chunk is either a full
-- snapshot (Automerge save) or a run of changes appended as they arrived; compaction replaces a
-- document's chunks with one snapshot.
CREATE TABLE chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'changes')),
    data BLOB NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks (doc_id, seq);
