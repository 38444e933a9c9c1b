-- Backups the server took on its schedule (3-②): where, how big, whether the copy to the second (offline or
-- write-once) location was written, and when a generation was rotated out of the backup folder. Served to
-- each facility's 管理者 (every backup covers every facility), never with these paths.
CREATE TABLE backup_records (
    taken_at BIGINT NOT NULL,
    file TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    evidence_files BIGINT NOT NULL,
    evidence_bytes BIGINT NOT NULL,
    offline_copy TEXT,
    problem TEXT,
    removed_at BIGINT,
    PRIMARY KEY (taken_at, file)
);
