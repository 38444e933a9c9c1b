//! Backup and restore of the embedded store, as commands beside the running server.
//!
//! # Evidence files in a backup
//!
//! A backup `FILE` is the database (`VACUUM INTO`) and, beside it, a folder `FILE.files/` laid out like the
//! data folder's `files/` (`<first 2 hex>/<sha256 hex>`), holding every file the backed-up database names.
//! A folder rather than blobs in the backup database: the files stay what they are (an operator can open a
//! BCP from a backup with nothing but a file manager, copy the pair to a USB disk with any tool), the backup
//! never holds 20 MB values in SQLite, and both directions are one routine
//! ([`crate::files::local::copy_verified`]: temporary file, sync, rename, sync the folder; every hash
//! checked). The database is copied first: files are kept before their rows are written and never removed,
//! so every file the copy names is there to be copied, even while the server keeps taking uploads.

use std::path::{Path, PathBuf};

use crate::access_log::{AccessLog, Broken, Event, Kind};
use crate::files::local::{FOLDER, copy_verified, hashes_in};

use crate::store::sql::SqlStore;
use crate::store::{DocStore, StoreError};

/// Writes a consistent copy of the store in `data_dir` to `to`, while the server may be running and
/// writing (SQLite's `VACUUM INTO` reads one snapshot of the WAL-mode database).
pub async fn backup(
    data_dir: &Path,
    database_url: Option<&str>,
    to: &Path,
) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::Other(format!(
            "{} exists: choose a new file for the backup",
            to.display()
        )));
    }
    let files_to = files_beside(to);
    if files_to.exists() {
        return Err(StoreError::Other(format!(
            "{} exists: choose a new file for the backup",
            files_to.display()
        )));
    }
    let store = SqlStore::at(data_dir, database_url).await?;
    let (files, bytes) = write_backup(&store, data_dir, to).await?;
    AccessLog::new(store.pool())
        .record(
            Event::new(Kind::Backup)
                .device("mamori-server backup")
                .detail(format!(
                    "{} (証跡ファイル {files} 件, {bytes} bytes)",
                    to.display()
                )),
        )
        .await;
    Ok(())
}

/// Writes the store to `to` (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`) and the evidence files it names
/// to `<to>.files`, each hash checked; returns how many files and bytes.
pub async fn write_backup(
    store: &SqlStore,
    data_dir: &Path,
    to: &Path,
) -> Result<(usize, u64), StoreError> {
    store.backup(to).await?;
    let files_to = files_beside(to);
    let copied = match store.engine() {
        // Reading the names opens the copy (which settles its header): the checksum comes after.
        crate::db::Engine::Sqlite => copy_files(to, &data_dir.join(FOLDER), &files_to).await?,
        // The dump is no SQLite file to read the names from: the live rows, read after the dump (files are
        // kept before their rows are written and never removed, so every name is there to be copied).
        crate::db::Engine::Postgres => {
            let hashes = hashes_in(&store.pool()).await.map_err(files_error)?;
            copy_hashes(&data_dir.join(FOLDER), &files_to, hashes).await?
        }
    };
    // Hashing a large dump is blocking work: off the threads that serve and listen.
    let file = to.to_path_buf();
    tokio::task::spawn_blocking(move || write_checksum(&file))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))??;
    Ok(copied)
}

/// The file beside a backup holding its SHA-256 (`sha256sum` format, so `sha256sum -c` checks it too).
pub fn checksum_beside(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// The SHA-256 of a file, hex.
pub fn sha256_of(file: &Path) -> Result<String, std::io::Error> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(file)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Writes `<file>.sha256`: what the backup's bytes were when written (a flipped bit anywhere is caught by
/// `restore --verify`, even where no other check would look).
fn write_checksum(file: &Path) -> Result<(), std::io::Error> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sidecar = checksum_beside(file);
    std::fs::write(&sidecar, format!("{}  {name}\n", sha256_of(file)?))?;
    std::fs::File::open(&sidecar)?.sync_all()
}

/// The folder of evidence files that goes with the backup `file`: `<file>.files`.
pub fn files_beside(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".files");
    PathBuf::from(name)
}

/// Copies, from `from` to `to`, every evidence file the database `db` names, each hash checked; returns how
/// many files and bytes.
async fn copy_files(db: &Path, from: &Path, to: &Path) -> Result<(usize, u64), StoreError> {
    let store = SqlStore::open_file(db).await?;
    let hashes = hashes_in(&store.pool()).await.map_err(files_error)?;
    store.pool().close().await;
    copy_hashes(from, to, hashes).await
}

async fn copy_hashes(
    from: &Path,
    to: &Path,
    hashes: Vec<crate::files::FileHash>,
) -> Result<(usize, u64), StoreError> {
    let (from, to) = (from.to_path_buf(), to.to_path_buf());
    let bytes = tokio::task::spawn_blocking(move || {
        copy_verified(&from, &to, &hashes).map(|b| (hashes.len(), b))
    })
    .await
    .map_err(|e| StoreError::Other(e.to_string()))?
    .map_err(files_error)?;
    Ok(bytes)
}

fn files_error(e: crate::files::FileError) -> StoreError {
    StoreError::Other(format!("evidence files: {e}"))
}

/// A one-time code for registering a facility, valid for `valid` (the only way to register one: see
/// `directory::registration`); recorded in the access log, never its value.
pub async fn registration_code(
    data_dir: &Path,
    database_url: Option<&str>,
    valid: std::time::Duration,
) -> Result<String, StoreError> {
    issue_registration_code(&SqlStore::at(data_dir, database_url).await?, valid).await
}

/// A registration code for a server that has no facility yet (printed at start, for the first set-up);
/// `None` once any facility is registered.
pub async fn first_registration_code(
    data_dir: &Path,
    database_url: Option<&str>,
    valid: std::time::Duration,
) -> Result<Option<String>, StoreError> {
    let store = SqlStore::at(data_dir, database_url).await?;
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
    store: &SqlStore,
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
pub async fn verify_log(
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<Result<(usize, String), Broken>, StoreError> {
    let store = SqlStore::at(data_dir, database_url).await?;
    let (anchor, entries) = AccessLog::new(store.pool())
        .remaining()
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(crate::access_log::verify(&anchor, &entries))
}

/// Replaces the store in `data_dir` with the backup at `from` and its evidence files (`<from>.files`). The
/// backup is checked first: it must open as a Mamori store, and every file it names must be in its folder
/// with the right hash (they are copied into `files.restoring` in the data folder, checked on the way);
/// only then is anything current moved. The replaced store is kept beside it as `mamori.db.before-restore`,
/// its files as `files.before-restore` (each replacing the one an earlier restore left).
pub async fn restore(data_dir: &Path, from: &Path) -> Result<(), StoreError> {
    SqlStore::open_file(from).await?;
    std::fs::create_dir_all(data_dir)?;
    let staging = data_dir.join(format!("{FOLDER}.restoring"));
    if staging.exists() {
        // Left by a restore that failed half way: nothing refers to it.
        std::fs::remove_dir_all(&staging)?;
    }
    if let Err(e) = copy_files(from, &files_beside(from), &staging).await {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let files = data_dir.join(FOLDER);
    if files.exists() {
        let aside = data_dir.join(format!("{FOLDER}.before-restore"));
        if aside.exists() {
            std::fs::remove_dir_all(&aside)?;
        }
        std::fs::rename(&files, &aside)?;
    }
    std::fs::rename(&staging, &files)?;
    std::fs::File::open(data_dir)?.sync_all()?;
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
    std::fs::File::open(&target)?.sync_all()?;
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok(())
}

/// Checks a seal read back from print against this server's key (see `mamori-server verify-seal`). The
/// outer error: the store, or no key (this server has sealed nothing); the inner one: why the seal fails.
pub async fn verify_seal(
    data_dir: &Path,
    database_url: Option<&str>,
    printed: &str,
) -> Result<Result<String, String>, StoreError> {
    let store = SqlStore::at(data_dir, database_url).await?;
    let public: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT public_key FROM seal_keys ORDER BY created_at LIMIT 1")
            .fetch_optional(&store.pool())
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
    let Some(public) = public else {
        return Ok(Err(
            "this server has no seal key: it has sealed nothing".into()
        ));
    };
    Ok(match crate::seal::verify_printed(printed, &public) {
        Ok(result) => result,
        Err(e) => Err(e.to_string()),
    })
}
