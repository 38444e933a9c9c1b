//! Backups in generations (checklist 3-②): the server takes them itself, keeps a few daily and weekly
//! generations in the backup folder, writes each one also to a second location meant to be offline or
//! write-once (a USB disk, an object-store mount: Mamori never deletes there), records each in the access log
//! and in `backup_records` (served per facility for the readiness view), and can prove a backup restores
//! (`restore --verify`).
//!
//! With several instances on one PostgreSQL database, one instance takes each scheduled backup: the one that
//! holds an advisory lock while it checks whether one is due and takes it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use automerge::AutoCommit;
use mamori_shared::api::BackupRecord;
use mamori_shared::model::DocumentId;
use sqlx::{AnyPool, Row};

use crate::access_log::{AccessLog, Event, Kind};
use crate::db::Engine;
use crate::store::sql::SqlStore;
use crate::store::{DocStore, StoreError};

/// Japan's offset from UTC: a "day" of backups is the clinic's day.
const JST: i64 = 9 * 3600 * 1000;
const DAY: i64 = 24 * 3600 * 1000;

/// How often, how many, and where.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The backup folder (generations rotate here).
    pub dir: PathBuf,
    /// A second location that only ever receives copies (never pruned by Mamori); `None` for none.
    pub offline_dir: Option<PathBuf>,
    /// How often a backup is due.
    pub every: Duration,
    /// The newest backups of this many different days are kept …
    pub keep_daily: usize,
    /// … and the newest of each of this many most recent weeks.
    pub keep_weekly: usize,
}

/// The generations to keep among backups taken at `taken` (ms): the newest of each of the `daily` most
/// recent days that have one, and the newest of each of the `weekly` most recent weeks (Monday to Sunday,
/// Japan time) that have one. Everything else may go.
pub fn generations_to_keep(taken: &[i64], daily: usize, weekly: usize) -> BTreeSet<i64> {
    let mut newest_first: Vec<i64> = taken.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    let day = |t: i64| (t + JST).div_euclid(DAY);
    // 1970-01-01 was a Thursday: day 4 of a Monday-first week.
    let week = |t: i64| (day(t) + 3).div_euclid(7);
    let mut keep = BTreeSet::new();
    for (of, limit) in [(&day as &dyn Fn(i64) -> i64, daily), (&week, weekly)] {
        let mut seen = BTreeSet::new();
        for &t in &newest_first {
            if seen.len() >= limit {
                break;
            }
            if seen.insert(of(t)) {
                keep.insert(t);
            }
        }
    }
    keep
}

/// The file a backup taken at `now` is written to (`.db` for SQLite, `.dump` for pg_dump's custom format).
fn file_name(now: i64, engine: Engine) -> String {
    let secs = now.div_euclid(1000);
    let date =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let ext = match engine {
        Engine::Sqlite => "db",
        Engine::Postgres => "dump",
    };
    format!(
        "mamori-{:04}{:02}{:02}T{:02}{:02}{:02}Z.{ext}",
        date.year(),
        date.month() as u8,
        date.day(),
        date.hour(),
        date.minute(),
        date.second()
    )
}

/// When the last backup was taken (ms), if any, and when the last attempt failed (a row with no file).
async fn last_taken(pool: &AnyPool) -> Result<(Option<i64>, Option<i64>), sqlx::Error> {
    let taken = sqlx::query_scalar("SELECT MAX(taken_at) FROM backup_records WHERE file <> ''")
        .fetch_one(pool)
        .await?;
    let failed = sqlx::query_scalar("SELECT MAX(taken_at) FROM backup_records WHERE file = ''")
        .fetch_one(pool)
        .await?;
    Ok((taken, failed))
}

/// After a failed attempt, the next one waits this long (not the five minutes of the schedule's check: a
/// backup failing for good would otherwise try, and fill the disk with half-written copies, all day).
const RETRY_AFTER_FAILURE: i64 = 3600 * 1000;

/// Takes a backup now if one is due (none yet, or the last is `every` old), on one instance only; then
/// rotates generations. Returns the record of the backup taken, if one was.
pub async fn take_if_due(
    store: &SqlStore,
    data_dir: &Path,
    schedule: &Schedule,
    now: i64,
) -> Result<Option<BackupRecord>, StoreError> {
    let pool = store.pool();
    // One instance at a time: the one holding the turn checks whether a backup is due and takes it.
    let taken = crate::db::exclusively(&pool, BACKUP_LOCK, async {
        let (taken, failed) = last_taken(&pool).await?;
        let due = taken.is_none_or(|last| now - last >= schedule.every.as_millis() as i64)
            && failed.is_none_or(|last| now - last >= RETRY_AFTER_FAILURE);
        if !due {
            return Ok(None);
        }
        let record = match take(store, data_dir, schedule, now).await {
            Ok(record) => record,
            Err(e) => {
                record_failure(&pool, now, &e).await;
                return Err(e);
            }
        };
        rotate(&pool, schedule).await?;
        Ok(Some(record))
    })
    .await?;
    taken.unwrap_or(Ok(None))
}

/// The advisory lock (PostgreSQL) whose holder takes the scheduled backup: "mamori-bk" in ASCII.
const BACKUP_LOCK: i64 = 0x6d61_6d6f_7269_626b;

/// Takes one backup into the backup folder, copies it to the offline location, records it.
pub async fn take(
    store: &SqlStore,
    data_dir: &Path,
    schedule: &Schedule,
    now: i64,
) -> Result<BackupRecord, StoreError> {
    std::fs::create_dir_all(&schedule.dir)?;
    let name = file_name(now, store.engine());
    let file = schedule.dir.join(&name);
    let (files, file_bytes) = match crate::maintenance::write_backup(store, data_dir, &file).await {
        Ok(written) => written,
        Err(e) => {
            // Nothing half-written stays behind to fill the disk.
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(crate::maintenance::checksum_beside(&file));
            let _ = std::fs::remove_dir_all(crate::maintenance::files_beside(&file));
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(&file)?.len();
    let (offline, problem) = match &schedule.offline_dir {
        None => (None, None),
        Some(dir) => match copy_offline(&file, dir, &name).await {
            Ok(to) => (Some(to.display().to_string()), None),
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "the offline copy of the backup failed");
                // The path stays in the server's log: the record is served to facilities.
                (
                    None,
                    Some(
                        "オフラインの保存先に書けませんでした（外付けディスクが外れている等） \
                         (the offline copy could not be written: the disk unplugged?)"
                            .to_string(),
                    ),
                )
            }
        },
    };
    sqlx::query(
        "INSERT INTO backup_records (taken_at, file, bytes, evidence_files, evidence_bytes, offline_copy, problem) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now)
    .bind(file.display().to_string())
    .bind(bytes as i64)
    .bind(files as i64)
    .bind(file_bytes as i64)
    .bind(&offline)
    .bind(&problem)
    .execute(&store.pool())
    .await?;
    AccessLog::new(store.pool())
        .record(
            Event::new(Kind::Backup)
                .device("mamori-server (scheduled)")
                .detail(format!(
                    "{name} ({bytes} bytes, 証跡ファイル {files} 件; オフラインの写し: {})",
                    offline.as_deref().unwrap_or("なし")
                )),
        )
        .await;
    Ok(BackupRecord {
        taken_at: now,
        name,
        bytes,
        evidence_files: files as u64,
        evidence_bytes: file_bytes,
        offline_copy: offline.is_some(),
        problem,
    })
}

/// Records a failed attempt (a row with no file), so the readiness view shows it and the next attempt waits.
async fn record_failure(pool: &AnyPool, now: i64, e: &StoreError) {
    tracing::error!(error = %e, "the scheduled backup failed");
    let recorded = sqlx::query(
        "INSERT INTO backup_records (taken_at, file, bytes, evidence_files, evidence_bytes, problem) VALUES ($1, '', 0, 0, 0, $2)",
    )
    .bind(now)
    .bind("バックアップを作成できませんでした（サーバーのログを確認してください） (the backup failed: see the server's log)")
    .execute(pool)
    .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record the failed backup");
    }
}

/// Copies a backup and its evidence files into `dir` (the offline location), each file synced; a copy that
/// exists there already is an error (that location is write-once: nothing there is replaced).
async fn copy_offline(file: &Path, dir: &Path, name: &str) -> Result<PathBuf, StoreError> {
    // Never made here: an absent folder is an unplugged disk or an unmounted share, and a copy written to
    // the mount point would sit on the server's own disk looking offline.
    if !dir.is_dir() {
        return Err(StoreError::Other(format!(
            "{} is not there (the disk unplugged, the share not mounted?)",
            dir.display()
        )));
    }
    let to = dir.join(name);
    if to.exists() {
        return Err(StoreError::Other(format!("{} exists", to.display())));
    }
    let (from, dest) = (file.to_path_buf(), to.clone());
    tokio::task::spawn_blocking(move || -> Result<(), std::io::Error> {
        let partial = dest.with_extension("partial");
        std::fs::copy(&from, &partial)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &dest)?;
        let sum = crate::maintenance::checksum_beside(&from);
        if sum.is_file() {
            std::fs::copy(&sum, crate::maintenance::checksum_beside(&dest))?;
        }
        let files_from = crate::maintenance::files_beside(&from);
        if files_from.is_dir() {
            copy_tree(&files_from, &crate::maintenance::files_beside(&dest))?;
        }
        std::fs::File::open(dest.parent().expect("a folder"))?.sync_all()?;
        Ok(())
    })
    .await
    .map_err(|e| StoreError::Other(e.to_string()))??;
    Ok(to)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), std::io::Error> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::File::open(&target)?.sync_all()?;
        }
    }
    Ok(())
}

/// Removes the generations the schedule no longer keeps from the backup folder (never from the offline
/// location), marking their records.
async fn rotate(pool: &AnyPool, schedule: &Schedule) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT taken_at, file FROM backup_records WHERE removed_at IS NULL")
        .fetch_all(pool)
        .await?;
    let taken: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>(0)).collect();
    let keep = generations_to_keep(&taken, schedule.keep_daily, schedule.keep_weekly);
    for row in rows {
        let (at, file): (i64, String) = (row.get(0), row.get(1));
        if keep.contains(&at) {
            continue;
        }
        if file.is_empty() {
            continue;
        }
        let file = PathBuf::from(file);
        // Only what this schedule wrote into its own folder.
        if file.parent() != Some(schedule.dir.as_path()) {
            continue;
        }
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(crate::maintenance::checksum_beside(&file));
        let files = crate::maintenance::files_beside(&file);
        if files.is_dir() {
            std::fs::remove_dir_all(&files)?;
        }
        sqlx::query("UPDATE backup_records SET removed_at = $1 WHERE taken_at = $2 AND file = $3")
            .bind(crate::clock::now_ms())
            .bind(at)
            .bind(file.display().to_string())
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Every backup on record, newest first (kept or rotated out).
pub async fn records(pool: &AnyPool) -> Result<Vec<BackupRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT taken_at, file, bytes, evidence_files, evidence_bytes, offline_copy, problem FROM backup_records WHERE removed_at IS NULL ORDER BY taken_at DESC",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| BackupRecord {
            taken_at: r.get(0),
            name: Path::new(&r.get::<String, _>(1))
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: r.get::<i64, _>(2).max(0) as u64,
            evidence_files: r.get::<i64, _>(3).max(0) as u64,
            evidence_bytes: r.get::<i64, _>(4).max(0) as u64,
            offline_copy: r.get::<Option<String>, _>(5).is_some(),
            problem: r.get(6),
        })
        .collect())
}

/// Runs the schedule for as long as the server runs: checks every few minutes whether a backup is due. The
/// first check comes an hour after start (a server started only to try something takes none at once).
pub async fn run_forever(store: std::sync::Arc<SqlStore>, data_dir: PathBuf, schedule: Schedule) {
    const FIRST: Duration = Duration::from_secs(3600);
    const CHECK: Duration = Duration::from_secs(300);
    tokio::time::sleep(FIRST).await;
    loop {
        match take_if_due(&store, &data_dir, &schedule, crate::clock::now_ms()).await {
            Ok(Some(r)) => {
                tracing::info!(file = %r.name, bytes = r.bytes, "scheduled backup taken")
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "the scheduled backup failed"),
        }
        tokio::time::sleep(CHECK).await;
    }
}

/// What a restored backup holds, checked.
#[derive(Debug)]
pub struct Verified {
    /// Whether the bytes were checked against the checksum written beside them.
    pub checksum: bool,
    pub documents: usize,
    pub log_entries: usize,
    pub log_head: String,
    pub evidence_files: usize,
}

/// Restores `backup` into a scratch place and checks it: every document loads, the access log verifies,
/// every evidence file it names is beside it with the right hash. A SQLite backup (`.db`) is restored into a
/// scratch folder; a PostgreSQL dump (`.dump`) into a scratch database on the server at `database_url`
/// (dropped afterwards), with `pg_restore`.
pub async fn verify(backup: &Path, database_url: Option<&str>) -> Result<Verified, StoreError> {
    // The bytes first: as they were written (when the checksum beside them is there).
    let sidecar = crate::maintenance::checksum_beside(backup);
    let checksum = sidecar.is_file();
    if checksum {
        let said = std::fs::read_to_string(&sidecar)?;
        let expected = said.split_whitespace().next().unwrap_or_default();
        let actual = crate::maintenance::sha256_of(backup)?;
        if !expected.eq_ignore_ascii_case(&actual) {
            return Err(StoreError::Other(format!(
                "its bytes are not those written (SHA-256 {actual}, {} says {expected})",
                sidecar.display()
            )));
        }
    }
    let scratch = tempfile::tempdir()?;
    let is_dump = backup.extension().is_some_and(|e| e == "dump");
    let (store, scratch_db) = if is_dump {
        let url = database_url.ok_or_else(|| {
            StoreError::Other(
                "a PostgreSQL dump is verified by restoring it on a PostgreSQL server: give --database-url".into(),
            )
        })?;
        let (scratch_url, name) = scratch_database(url).await?;
        let (bare, password) = crate::db::without_password(&scratch_url);
        let mut restore = tokio::process::Command::new("pg_restore");
        restore
            .arg("--no-owner")
            .arg("--dbname")
            .arg(&bare)
            .arg(backup);
        if let Some(p) = password {
            restore.env("PGPASSWORD", p);
        }
        let restored = match restore.output().await {
            Ok(out) => out,
            Err(e) => {
                drop_database(url, &name).await;
                return Err(StoreError::Other(format!("pg_restore could not run: {e}")));
            }
        };
        if !restored.status.success() {
            drop_database(url, &name).await;
            return Err(StoreError::Other(format!(
                "pg_restore refused the backup: {}",
                String::from_utf8_lossy(&restored.stderr).trim()
            )));
        }
        if !has_schema_history(&scratch_url).await {
            drop_database(url, &name).await;
            return Err(StoreError::Other(
                "it is not a Mamori store (no schema history in it)".into(),
            ));
        }
        (
            SqlStore::connect(&scratch_url).await,
            Some((url.to_string(), name)),
        )
    } else {
        let db = scratch.path().join("mamori.db");
        std::fs::copy(backup, &db)?;
        // A Mamori store before anything opens it (opening migrates: an empty or foreign file would become
        // an empty store and "restore").
        if !is_mamori_sqlite(&db).await {
            return Err(StoreError::Other(
                "it is not a Mamori store (no schema history in it)".into(),
            ));
        }
        let store = SqlStore::open_file(&db).await;
        if let Ok(store) = &store {
            // SQLite's own check of every page and index, beside ours of what the pages hold.
            let said: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&store.pool())
                .await?;
            if said != ["ok"] {
                return Err(StoreError::Other(format!(
                    "SQLite finds it damaged: {}",
                    said.join("; ")
                )));
            }
        }
        (store, None)
    };
    let result = async {
        let store = store?;
        let verified = check(&store, backup, scratch.path()).await;
        store.pool().close().await;
        verified
    }
    .await
    .map(|v| Verified { checksum, ..v });
    if let Some((url, name)) = scratch_db {
        drop_database(&url, &name).await;
    }
    result
}

async fn check(store: &SqlStore, backup: &Path, scratch: &Path) -> Result<Verified, StoreError> {
    let docs: Vec<String> = sqlx::query_scalar("SELECT DISTINCT doc_id FROM chunks")
        .fetch_all(&store.pool())
        .await?;
    for doc in &docs {
        let id = DocumentId::parse(doc)
            .ok_or_else(|| StoreError::Other(format!("a chunk's document id {doc:?}")))?;
        let chunks = store.load(id).await?.unwrap_or_default();
        AutoCommit::load(&chunks.concat())
            .map_err(|e| StoreError::Other(format!("document {id} does not load: {e}")))?;
    }
    let (anchor, entries) = AccessLog::new(store.pool())
        .remaining()
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let (log_entries, log_head) = crate::access_log::verify(&anchor, &entries)
        .map_err(|b| StoreError::Other(format!("the access log: {b}")))?;
    let hashes = crate::files::local::hashes_in(&store.pool())
        .await
        .map_err(|e| StoreError::Other(format!("evidence files: {e}")))?;
    let n = hashes.len();
    let (from, to) = (
        crate::maintenance::files_beside(backup),
        scratch.join("files"),
    );
    tokio::task::spawn_blocking(move || crate::files::local::copy_verified(&from, &to, &hashes))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
        .map_err(|e| StoreError::Other(format!("evidence files: {e}")))?;
    Ok(Verified {
        checksum: false,
        documents: docs.len(),
        log_entries,
        log_head,
        evidence_files: n,
    })
}

/// Whether a SQLite file has sqlx's schema history (every Mamori store has), read without changing it.
async fn is_mamori_sqlite(file: &Path) -> bool {
    crate::db::install_drivers();
    let Ok(url) = url::Url::from_file_path(file) else {
        return false;
    };
    let Ok(pool) = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}?mode=ro", url.path()))
        .await
    else {
        return false;
    };
    let n: Result<i64, _> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&pool)
    .await;
    pool.close().await;
    n.is_ok_and(|n| n == 1)
}

/// Whether a restored PostgreSQL database has sqlx's schema history.
async fn has_schema_history(url: &str) -> bool {
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
        return false;
    };
    let n: Result<i64, _> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await;
    let _ = conn.close().await;
    n.is_ok_and(|n| n == 1)
}

/// A new empty database beside the one at `url`; its URL and name.
async fn scratch_database(url: &str) -> Result<(String, String), StoreError> {
    use sqlx::Connection;
    let name = format!("mamori_verify_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    let mut scratch = url::Url::parse(url).map_err(|e| StoreError::Other(e.to_string()))?;
    scratch.set_path(&name);
    Ok((scratch.to_string(), name))
}

async fn drop_database(url: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Noon in Japan on day `d` after 2026-11-02 (a Monday).
    fn day(d: i64) -> i64 {
        1_793_588_400_000 + d * DAY
    }

    #[test]
    fn three_daily_and_four_weekly_generations() {
        // One backup a day for five weeks: kept are the last three days and the newest of the four most
        // recent weeks (the current week's newest is also a daily one).
        let taken: Vec<i64> = (0..35).map(day).collect();
        let keep = generations_to_keep(&taken, 3, 4);
        let expected: BTreeSet<i64> = [34, 33, 32, 27, 20, 13].into_iter().map(day).collect();
        assert_eq!(keep, expected);
        // Two on one day: the newer counts for that day.
        let keep = generations_to_keep(&[day(0), day(0) + 3_600_000], 3, 0);
        assert_eq!(keep, BTreeSet::from([day(0) + 3_600_000]));
        // Nothing kept when nothing is asked for; nothing invented when little exists.
        assert!(generations_to_keep(&taken, 0, 0).is_empty());
        assert_eq!(generations_to_keep(&[day(1)], 3, 4).len(), 1);
    }

    #[test]
    fn names_sort_by_time() {
        let a = file_name(day(0), Engine::Sqlite);
        let b = file_name(day(1), Engine::Sqlite);
        assert!(a < b && a.ends_with(".db"), "{a} {b}");
        assert!(file_name(day(0), Engine::Postgres).ends_with(".dump"));
    }
}
