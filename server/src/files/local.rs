//! The default file store: files in the data folder, `files/<first 2 hex>/<sha256 hex>`, and a row per
//! facility and file in the server's SQLite database (table `files`, `server/migrations/sqlite/0011_files.sql`),
//! where the facility's quota counts them (`Directory::facility_bytes`).
//!
//! A file is written as a temporary file in its final folder (so the rename never crosses a file system),
//! synced, renamed into place, and the folder synced: after a crash a file is either whole under its name
//! or absent, never half there. An identical file already in place is not written again. Blocking file work
//! runs on tokio's blocking threads (`tokio::fs`, `spawn_blocking`), never on the threads that drive sync.
//!
//! [`copy_verified`] copies files between two such folders with the same discipline, checking every hash:
//! backup and restore use it.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use mamori_shared::api::FileInfo;
use mamori_shared::model::{FacilityId, PersonId};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};
use tokio::io::AsyncWriteExt;

use super::{ByteStream, FileError, FileHash, FileStore, Opened, Stored};
use mamori_shared::sniff::Sniffer;

/// The folder below the data folder that holds the files.
pub const FOLDER: &str = "files";

/// Files under `root` (`<data-dir>/files`), their rows in `pool`.
pub struct LocalFiles {
    root: PathBuf,
    pool: AnyPool,
}

impl LocalFiles {
    pub fn new(data_dir: &Path, pool: AnyPool) -> LocalFiles {
        LocalFiles {
            root: data_dir.join(FOLDER),
            pool,
        }
    }

    /// Where a file's bytes are.
    pub fn path_of(&self, hash: FileHash) -> PathBuf {
        self.root.join(hash.relative_path())
    }
}

/// A temporary file that is removed unless it was renamed into place: a body that stops half way, fails a
/// check, or whose request is dropped (the client went away) leaves nothing behind.
struct Partial {
    path: PathBuf,
    kept: bool,
}

impl Partial {
    /// A new, empty temporary file in `dir` (a dot name, never a hash, so it is never served or copied).
    async fn create(dir: &Path) -> Result<(Partial, tokio::fs::File), std::io::Error> {
        loop {
            let mut random = [0u8; 12];
            getrandom::fill(&mut random).map_err(std::io::Error::other)?;
            let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let path = dir.join(format!(".partial-{name}"));
            match tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await
            {
                Ok(file) => return Ok((Partial { path, kept: false }, file)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Renames it to `target`, then syncs the folder so the new name survives a crash.
    async fn keep(mut self, target: &Path) -> Result<(), std::io::Error> {
        tokio::fs::rename(&self.path, target).await?;
        self.kept = true;
        sync_dir(target.parent().unwrap_or(Path::new("."))).await
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let path = std::mem::take(&mut self.path);
        let remove = move || {
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "a partial upload could not be removed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(remove);
            }
            Err(_) => remove(),
        }
    }
}

/// Syncs a folder, so the names created or renamed in it are on disk.
async fn sync_dir(dir: &Path) -> Result<(), std::io::Error> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

/// Makes `dir` (a shard folder below `root`) if it is missing, and syncs the folders above it so the new
/// folder's name is on disk before a file in it is said to be.
async fn ensure_dir(root: &Path, dir: &Path) -> Result<(), std::io::Error> {
    if tokio::fs::try_exists(dir).await? {
        return Ok(());
    }
    tokio::fs::create_dir_all(dir).await?;
    sync_dir(root).await?;
    if let Some(data_dir) = root.parent() {
        sync_dir(data_dir).await?;
    }
    Ok(())
}

/// Whether a file of `size` bytes is already at `path` (content-addressed: the same name and size is the
/// same file; a shorter one, damaged, is replaced).
async fn already_there(path: &Path, size: u64) -> Result<bool, std::io::Error> {
    match tokio::fs::metadata(path).await {
        Ok(m) => Ok(m.len() == size),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl FileStore for LocalFiles {
    async fn put(
        &self,
        expected: FileHash,
        mut body: ByteStream,
        limit: u64,
    ) -> Result<Stored, FileError> {
        let dir = self.root.join(expected.shard());
        ensure_dir(&self.root, &dir).await?;
        let (partial, mut file) = Partial::create(&dir).await?;
        let mut hasher = Sha256::new();
        let mut sniffer = Sniffer::default();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(FileError::Incomplete)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(FileError::TooLarge { limit });
            }
            hasher.update(&chunk);
            sniffer.update(&chunk);
            file.write_all(&chunk).await?;
        }
        let actual = FileHash::from_digest(hasher.finalize().into());
        if actual != expected {
            return Err(FileError::HashMismatch { expected, actual });
        }
        let media_type = sniffer.finish().map_err(FileError::Refused)?;
        let target = dir.join(expected.hex());
        if already_there(&target, size).await? {
            // Not rewritten: the same name is the same bytes. The partial file goes when dropped.
            drop(file);
        } else {
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            partial.keep(&target).await?;
        }
        Ok(Stored {
            hash: expected,
            size,
            media_type,
        })
    }

    async fn open(&self, hash: FileHash) -> Result<Option<Opened>, FileError> {
        let file = match tokio::fs::File::open(self.path_of(hash)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        let body = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024)
            .map_err(std::io::Error::other)
            .boxed();
        Ok(Some(Opened { size, body }))
    }

    async fn record(
        &self,
        facility: FacilityId,
        stored: &Stored,
        by: PersonId,
        at: i64,
    ) -> Result<FileInfo, FileError> {
        sqlx::query(
            "INSERT INTO files (facility_id, sha256, size, media_type, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (facility_id, sha256) DO NOTHING",
        )
        .bind(facility.to_string())
        .bind(stored.hash.hex())
        .bind(stored.size as i64)
        .bind(stored.media_type.as_str())
        .bind(by.to_string())
        .bind(at)
        .execute(&self.pool)
        .await?;
        self.info(facility, stored.hash)
            .await?
            .ok_or_else(|| FileError::Corrupt {
                path: self.path_of(stored.hash),
                what: "its record is gone right after it was written".into(),
            })
    }

    async fn info(
        &self,
        facility: FacilityId,
        hash: FileHash,
    ) -> Result<Option<FileInfo>, FileError> {
        let row = sqlx::query(
            "SELECT sha256, size, media_type, uploaded_at FROM files WHERE facility_id = $1 AND sha256 = $2",
        )
        .bind(facility.to_string())
        .bind(hash.hex())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(file_info))
    }

    async fn list(&self, facility: FacilityId) -> Result<Vec<FileInfo>, FileError> {
        let rows = sqlx::query(
            "SELECT sha256, size, media_type, uploaded_at FROM files WHERE facility_id = $1 ORDER BY uploaded_at, sha256",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(file_info).collect())
    }
}

fn file_info(row: &sqlx::any::AnyRow) -> FileInfo {
    FileInfo {
        sha256: row.get(0),
        size: row.get::<i64, _>(1).max(0) as u64,
        media_type: row.get(2),
        uploaded_at_ms: row.get(3),
    }
}

/// Every file named in the `files` table of the database at `pool` (distinct hashes).
pub async fn hashes_in(pool: &AnyPool) -> Result<Vec<FileHash>, FileError> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM files ORDER BY sha256")
            .fetch_all(pool)
            .await?;
    names
        .iter()
        .map(|n| {
            FileHash::parse(n).ok_or_else(|| FileError::Corrupt {
                path: PathBuf::from(n),
                what: "the files table names something that is not a SHA-256".into(),
            })
        })
        .collect()
}

/// Copies the files `hashes` from the store folder `from` to the store folder `to` (both laid out as
/// `<first 2 hex>/<sha256 hex>`), each read whole and its SHA-256 checked before it is kept: written as a
/// temporary file, synced, renamed, its folder synced. An identical file already in `to` is not copied
/// again. A missing or damaged file stops the copy with [`FileError::Corrupt`] naming it. Blocking work:
/// for the maintenance commands, which run beside the server, not in it.
pub fn copy_verified(from: &Path, to: &Path, hashes: &[FileHash]) -> Result<u64, FileError> {
    use std::io::{Read, Write};
    std::fs::create_dir_all(to)?;
    let mut bytes = 0u64;
    for hash in hashes {
        let source = from.join(hash.relative_path());
        let corrupt = |what: String| FileError::Corrupt {
            path: source.clone(),
            what,
        };
        let mut input =
            std::fs::File::open(&source).map_err(|e| corrupt(format!("cannot be read: {e}")))?;
        let dir = to.join(hash.shard());
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
            std::fs::File::open(to)?.sync_all()?;
        }
        let temp = dir.join(format!(".partial-copy-{}", hash.hex()));
        let result = (|| {
            let mut output = std::fs::File::create(&temp)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 256 * 1024];
            let mut size = 0u64;
            loop {
                let n = input.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                output.write_all(&buf[..n])?;
                size += n as u64;
            }
            let actual = FileHash::from_digest(hasher.finalize().into());
            if actual != *hash {
                return Ok(Err(format!("its bytes hash to {actual}, not its name")));
            }
            let target = dir.join(hash.hex());
            if std::fs::metadata(&target).is_ok_and(|m| m.len() == size) {
                std::fs::remove_file(&temp)?;
            } else {
                output.sync_all()?;
                std::fs::rename(&temp, &target)?;
                std::fs::File::open(&dir)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(Ok(size))
        })();
        match result {
            Ok(Ok(size)) => bytes += size,
            Ok(Err(what)) => {
                let _ = std::fs::remove_file(&temp);
                return Err(corrupt(what));
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(e.into());
            }
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn body(chunks: Vec<Result<Bytes, std::io::Error>>) -> ByteStream {
        futures_util::stream::iter(chunks).boxed()
    }

    fn pdf() -> Vec<u8> {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.extend(std::iter::repeat_n(b'p', 100_000));
        b.extend_from_slice(b"\n%%EOF\n");
        b
    }

    /// Every file below `root`, partial ones included.
    fn files_below(root: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    async fn store() -> (tempfile::TempDir, LocalFiles) {
        let data = tempfile::tempdir().unwrap();
        let db = crate::store::sql::SqlStore::open(data.path())
            .await
            .unwrap();
        let files = LocalFiles::new(data.path(), db.pool());
        (data, files)
    }

    #[tokio::test]
    async fn kept_whole_under_its_hash_or_not_at_all() {
        let (data, files) = store().await;
        let bytes = pdf();
        let hash = FileHash::of(&bytes);
        let chunks = bytes
            .chunks(7000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let stored = files.put(hash, body(chunks), 1 << 20).await.unwrap();
        assert_eq!(stored.size, bytes.len() as u64);
        assert_eq!(stored.media_type, super::super::MediaType::Pdf);
        let path = data
            .path()
            .join("files")
            .join(&hash.hex()[..2])
            .join(hash.hex());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // Kept again: not rewritten (the same inode, the same modification time).
        let before = std::fs::metadata(&path).unwrap();
        files
            .put(hash, body(vec![Ok(Bytes::from(bytes.clone()))]), 1 << 20)
            .await
            .unwrap();
        let after = std::fs::metadata(&path).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(before.ino(), after.ino());
        // Refused ones leave nothing: too large, a wrong hash, cut off half way.
        let other = [pdf(), b"more".to_vec()].concat();
        let refused = [
            files
                .put(
                    FileHash::of(&other),
                    body(vec![Ok(other.clone().into())]),
                    1000,
                )
                .await,
            files
                .put(
                    FileHash::of(b"x"),
                    body(vec![Ok(other.clone().into())]),
                    1 << 20,
                )
                .await,
            files
                .put(
                    FileHash::of(&other),
                    body(vec![
                        Ok(Bytes::copy_from_slice(&other[..5000])),
                        Err(std::io::Error::other("the client went away")),
                    ]),
                    1 << 20,
                )
                .await,
        ];
        assert!(matches!(
            refused[0],
            Err(FileError::TooLarge { limit: 1000 })
        ));
        assert!(matches!(refused[1], Err(FileError::HashMismatch { .. })));
        assert!(matches!(refused[2], Err(FileError::Incomplete(_))));
        // Partial files are removed on a blocking thread: wait for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while files_below(&data.path().join("files")).len() > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "partial files left behind"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(files_below(&data.path().join("files")), vec![path.clone()]);
        let opened = files.open(hash).await.unwrap().unwrap();
        assert_eq!(opened.size, bytes.len() as u64);
        let read: Vec<Bytes> = opened.body.try_collect().await.unwrap();
        assert_eq!(read.concat(), bytes);
        assert!(files.open(FileHash::of(b"x")).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_facilitys_files_count_in_its_quota_once_each() {
        let (_data, files) = store().await;
        let (facility, other) = (FacilityId::generate(), FacilityId::generate());
        let person = PersonId::generate();
        for f in [facility, other] {
            sqlx::query("INSERT INTO facilities (id, name, kind, index_doc, created_at) VALUES ($1, 'x', 'clinic', $2, 0)")
                .bind(f.to_string())
                .bind(mamori_shared::model::DocumentId::generate().to_string())
                .execute(&files.pool)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO people (id, name, created_at) VALUES ($1, 'x', 0)")
            .bind(person.to_string())
            .execute(&files.pool)
            .await
            .unwrap();
        let bytes = pdf();
        let stored = files
            .put(
                FileHash::of(&bytes),
                body(vec![Ok(bytes.clone().into())]),
                1 << 20,
            )
            .await
            .unwrap();
        let directory = crate::directory::Directory::new(files.pool.clone());
        assert_eq!(directory.facility_bytes(facility).await.unwrap(), 0);
        let first = files.record(facility, &stored, person, 10).await.unwrap();
        // Recorded again later: the first upload stands, counted once.
        let again = files.record(facility, &stored, person, 20).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(first.uploaded_at_ms, 10);
        assert_eq!(
            directory.facility_bytes(facility).await.unwrap(),
            bytes.len() as u64
        );
        // Another facility holds nothing until it uploads the same bytes itself; then both count them.
        assert_eq!(directory.facility_bytes(other).await.unwrap(), 0);
        assert_eq!(files.info(other, stored.hash).await.unwrap(), None);
        files.record(other, &stored, person, 30).await.unwrap();
        assert_eq!(
            directory.facility_bytes(other).await.unwrap(),
            bytes.len() as u64
        );
        assert_eq!(files.list(facility).await.unwrap(), vec![first]);
    }

    #[test]
    fn a_copy_checks_every_hash() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let bytes = pdf();
        let hash = FileHash::of(&bytes);
        std::fs::create_dir_all(from.path().join(hash.shard())).unwrap();
        std::fs::write(from.path().join(hash.relative_path()), &bytes).unwrap();
        let copied = copy_verified(from.path(), to.path(), &[hash]).unwrap();
        assert_eq!(copied, bytes.len() as u64);
        assert_eq!(
            std::fs::read(to.path().join(hash.relative_path())).unwrap(),
            bytes
        );
        // A damaged source is named, and nothing of it is kept.
        let damaged = [bytes.clone(), b"!".to_vec()].concat();
        let hash2 = FileHash::of(&pdf()[1..]);
        std::fs::create_dir_all(from.path().join(hash2.shard())).unwrap();
        std::fs::write(from.path().join(hash2.relative_path()), &damaged).unwrap();
        let to2 = tempfile::tempdir().unwrap();
        match copy_verified(from.path(), to2.path(), &[hash2]) {
            Err(FileError::Corrupt { path, .. }) => assert!(path.ends_with(hash2.hex())),
            other => panic!("a damaged file copied: {other:?}"),
        }
        assert!(files_below(to2.path()).is_empty());
        // A missing one too.
        assert!(matches!(
            copy_verified(from.path(), to2.path(), &[FileHash::of(b"gone")]),
            Err(FileError::Corrupt { .. })
        ));
    }
}
