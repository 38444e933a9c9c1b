//! Evidence files kept outside the CRDT: a facility's BCP as PDF, scanned rules, photos of backup media, for
//! the 立入検査. A document (built elsewhere) says what each file is evidence of and names it by its SHA-256;
//! the bytes live here, content-addressed, behind a small trait like the document store's
//! ([`crate::store::DocStore`]) so another backend could join without touching the routes.
//!
//! What the server keeps is exactly what it checked: [`FileStore::put`] reads a body once, counting,
//! hashing and reading its kind ([`sniff`]) from the very bytes it writes, and keeps them only if all three
//! pass. Who may call it is the gate's business (`gate::http::FileReader`, `gate::http::FileWriter`).
//!
//! # Layout
//! - [`local`]: the default store, files in the data folder and a row per facility in the database.
//! - [`sniff`]: what kind of file the bytes are (PDF, PNG, JPEG), and why anything else is refused.

pub mod local;

use std::path::PathBuf;

use async_trait::async_trait;
use axum::body::Bytes;
use futures_util::stream::BoxStream;
use mamori_shared::api::FileInfo;
use mamori_shared::model::{FacilityId, PersonId};
use thiserror::Error;

/// The bytes' kind is read by the same rules the app checks before sending (`mamori_shared::sniff`).
pub use mamori_shared::sniff::{self, MediaType, Refusal};

/// The largest file kept: 20 MiB. A scanned rule book or a phone photo fits; a request's cost (disk, time,
/// hashing) is bounded by it before any work is done.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// A body as it arrives: chunks, or the reason it stopped (the client went away, sent less than it said).
pub type ByteStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// A SHA-256: a file's name and address. Written as exactly 64 lowercase hex digits, one spelling per file,
/// so that two paths never name the same bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileHash([u8; 32]);

impl FileHash {
    /// `None` for anything but 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<FileHash> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let digit = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(FileHash(out))
    }

    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> FileHash {
        use sha2::Digest;
        FileHash(sha2::Sha256::digest(bytes).into())
    }

    pub fn from_digest(digest: [u8; 32]) -> FileHash {
        FileHash(digest)
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The folder a file lives in: its first two hex digits (256 folders, none holding too many names).
    pub fn shard(&self) -> String {
        format!("{:02x}", self.0[0])
    }

    /// The file's path below a store's root: `<first 2 hex>/<64 hex>`.
    pub fn relative_path(&self) -> PathBuf {
        PathBuf::from(self.shard()).join(self.hex())
    }

    /// The name a download is offered under: the first 12 hex digits and the extension of its kind (the
    /// uploader's file name is never kept, so nothing of it reaches a header).
    pub fn download_name(&self, kind: MediaType) -> String {
        format!("{}.{}", &self.hex()[..12], kind.extension())
    }
}

impl std::fmt::Display for FileHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

impl std::fmt::Debug for FileHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileHash({})", self.hex())
    }
}

/// Bytes kept: what they are, as read from themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub hash: FileHash,
    pub size: u64,
    pub media_type: MediaType,
}

/// A kept file opened for reading.
pub struct Opened {
    pub size: u64,
    pub body: ByteStream,
}

#[derive(Debug, Error)]
pub enum FileError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the bytes' SHA-256 is {actual}, not {expected} as named")]
    HashMismatch {
        expected: FileHash,
        actual: FileHash,
    },
    #[error("{}", .0.message())]
    Refused(Refusal),
    #[error("the upload ended before its last byte: {0}")]
    Incomplete(std::io::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{path}: {what}")]
    Corrupt { path: PathBuf, what: String },
}

/// Where evidence files are kept.
///
/// Concurrency: any number of uploads and downloads run at once, of the same file too. Bytes are immutable
/// once kept and never removed, so a row that names a file always finds its bytes (bytes are kept before the
/// row is written). None of this goes through the document store's writer: a slow disk under a 20 MB upload
/// never holds up a sync.
#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Reads `body` to its end and keeps the bytes if they are at most `limit` bytes, their SHA-256 is
    /// `expected` and [`sniff`] admits them; otherwise nothing of them stays. The whole body is always read
    /// and checked, even when the same bytes are kept already: knowing a file's hash must not be enough to
    /// claim its bytes.
    async fn put(
        &self,
        expected: FileHash,
        body: ByteStream,
        limit: u64,
    ) -> Result<Stored, FileError>;

    /// The bytes of a kept file, `None` if there are none.
    async fn open(&self, hash: FileHash) -> Result<Option<Opened>, FileError>;

    /// Records that `facility` holds the kept file `stored` (uploaded by `by` at `at`); a second upload of
    /// the same file by the same facility changes nothing. Returns the facility's record of it.
    async fn record(
        &self,
        facility: FacilityId,
        stored: &Stored,
        by: PersonId,
        at: i64,
    ) -> Result<FileInfo, FileError>;

    /// The facility's record of a file, `None` if this facility never uploaded it (whoever else did).
    async fn info(
        &self,
        facility: FacilityId,
        hash: FileHash,
    ) -> Result<Option<FileInfo>, FileError>;

    /// Every file the facility holds, oldest first.
    async fn list(&self, facility: FacilityId) -> Result<Vec<FileInfo>, FileError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_64_lowercase_hex_digits_and_nothing_else() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let h = FileHash::parse(empty).unwrap();
        assert_eq!(h, FileHash::of(b""));
        assert_eq!(h.hex(), empty);
        assert_eq!(h.to_string(), empty);
        assert_eq!(h.shard(), "e3");
        assert_eq!(
            h.relative_path(),
            std::path::Path::new("e3").join(empty),
            "<first 2 hex>/<hash>"
        );
        assert_eq!(h.download_name(MediaType::Pdf), "e3b0c44298fc.pdf");
        assert_eq!(h.download_name(MediaType::Jpeg), "e3b0c44298fc.jpg");
        // One spelling per file: upper case would name the same bytes twice.
        assert_eq!(FileHash::parse(&empty.to_uppercase()), None);
        assert_eq!(FileHash::parse(&empty[..63]), None);
        assert_eq!(FileHash::parse(&format!("{empty}0")), None);
        assert_eq!(FileHash::parse(&format!("{}g", &empty[..63])), None);
        // Path tricks are not hashes.
        assert_eq!(FileHash::parse(&format!("../{}", &empty[..61])), None);
        assert_eq!(FileHash::parse(""), None);
        // Multi-byte text of the right byte length is refused too.
        assert_eq!(FileHash::parse(&"é".repeat(32)), None);
    }
}
