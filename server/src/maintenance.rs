//! Backup and restore of the embedded store, as commands beside the running server.

use std::path::Path;

use crate::access_log::{AccessLog, Broken, Event, Kind};

use crate::store::sqlite::SqliteStore;
use crate::store::{DocStore, StoreError};

/// Writes a consistent copy of the store in `data_dir` to `to`, while the server may be running and
/// writing (SQLite's `VACUUM INTO` reads one snapshot of the WAL-mode database).
pub async fn backup(data_dir: &Path, to: &Path) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::Other(format!(
            "{} exists: choose a new file for the backup",
            to.display()
        )));
    }
    let store = SqliteStore::open(data_dir).await?;
    store.backup(to).await?;
    AccessLog::new(store.pool())
        .record(
            Event::new(Kind::Backup)
                .device("mamori-server backup")
                .detail(to.display().to_string()),
        )
        .await;
    Ok(())
}

/// A one-time code for registering a facility, valid for `valid` (the only way to register one: see
/// `directory::registration`); recorded in the access log, never its value.
pub async fn registration_code(
    data_dir: &Path,
    valid: std::time::Duration,
) -> Result<String, StoreError> {
    issue_registration_code(&SqliteStore::open(data_dir).await?, valid).await
}

/// A registration code for a server that has no facility yet (printed at start, for the first set-up);
/// `None` once any facility is registered.
pub async fn first_registration_code(
    data_dir: &Path,
    valid: std::time::Duration,
) -> Result<Option<String>, StoreError> {
    let store = SqliteStore::open(data_dir).await?;
    let facilities = crate::directory::Directory::new(store.pool())
        .facility_count()
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    if facilities > 0 {
        return Ok(None);
    }
    issue_registration_code(&store, valid).await.map(Some)
}

async fn issue_registration_code(
    store: &SqliteStore,
    valid: std::time::Duration,
) -> Result<String, StoreError> {
    let now = crate::clock::now_ms();
    let code = crate::directory::Directory::new(store.pool())
        .issue_registration_code(now, now + valid.as_millis() as i64)
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    AccessLog::new(store.pool())
        .record(
            Event::new(Kind::RegistrationCode)
                .device("mamori-server")
                .detail(format!("有効期間 {} 時間", valid.as_secs() / 3600)),
        )
        .await;
    Ok(code)
}

/// Checks the access log in `data_dir`: `Ok((entries checked, head hash))`, or the first entry that does
/// not fit.
pub async fn verify_log(data_dir: &Path) -> Result<Result<(usize, String), Broken>, StoreError> {
    let store = SqliteStore::open(data_dir).await?;
    let (anchor, entries) = AccessLog::new(store.pool())
        .remaining()
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(crate::access_log::verify(&anchor, &entries))
}

/// Replaces the store in `data_dir` with the backup at `from`. The backup is checked first (it must open as a
/// Mamori store); the replaced store is kept beside it as `mamori.db.before-restore`.
pub async fn restore(data_dir: &Path, from: &Path) -> Result<(), StoreError> {
    SqliteStore::open_file(from).await?;
    std::fs::create_dir_all(data_dir)?;
    let target = data_dir.join("mamori.db");
    // The old store moves aside whole, with its write-ahead log (it may hold committed data).
    for suffix in ["", "-wal", "-shm"] {
        let file = data_dir.join(format!("mamori.db{suffix}"));
        if file.exists() {
            std::fs::rename(
                &file,
                data_dir.join(format!("mamori.db.before-restore{suffix}")),
            )?;
        }
    }
    std::fs::copy(from, &target)?;
    Ok(())
}
