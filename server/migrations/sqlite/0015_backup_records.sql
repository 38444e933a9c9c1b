-- Backups the server took on its schedule (3-②): where, how big, whether the copy to the second (offline or
-- write-once) location was written, and when a generation was rotated out of the backup folder. Served to
-- each facility's 管理者 (every backup covers every facility), never with these paths.
CREATE TABLE backup_records (
    taken_at INTEGER NOT NULL,
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    evidence_files INTEGER NOT NULL,
    evidence_bytes INTEGER NOT NULL,
    offline_copy TEXT,
    problem TEXT,
    removed_at INTEGER,
    PRIMARY KEY (taken_at, file)
);
