//! Checklist editions from a folder: a new edition of the MHLW form (令和8年度版 …) reaches every device
//! without a new build. Each `*.json` file in the folder is read once at start, validated as the embedded
//! ones are (`Edition::from_json`), must name the SHA-256 of the official file it was transcribed from, and
//! must not take an embedded edition's id. A file that fails is named in the log and in `GET /api/editions`
//! and skipped; the others still load. Loaded editions join the shared registry, so the server's seals,
//! reminders and year offers read them like the embedded one, and devices fetch them from the API.

use std::path::Path;
use std::sync::Arc;

use mamori_shared::api::{EditionInfo, EditionSkipped, Editions};
use mamori_shared::edition::{Edition, register};
use sha2::{Digest, Sha256};

/// The largest edition file read (r7.json is about 100 KB).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// The most files looked at in the folder.
pub const MAX_FILES: usize = 64;

/// One edition loaded from the folder: what the API lists and the file's bytes, served as they were read.
pub struct Loaded {
    pub info: EditionInfo,
    pub json: Arc<str>,
}

/// What the folder gave: the editions loaded and the files skipped, with why.
#[derive(Default)]
pub struct Folder {
    pub loaded: Vec<Loaded>,
    pub skipped: Vec<EditionSkipped>,
}

impl Folder {
    pub fn listing(&self) -> Editions {
        Editions {
            editions: self.loaded.iter().map(|l| l.info.clone()).collect(),
            skipped: self.skipped.clone(),
        }
    }

    pub fn file(&self, id: &str) -> Option<&Loaded> {
        self.loaded.iter().find(|l| l.info.id == id)
    }
}

/// Reads every `*.json` file of `dir` (none if it does not exist), in name order.
pub fn load(dir: &Path) -> Folder {
    let mut folder = Folder::default();
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return folder,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "the editions folder does not read");
            return folder;
        }
    };
    files.sort();
    for (n, path) in files.into_iter().enumerate() {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = if n >= MAX_FILES {
            Err(format!("more than {MAX_FILES} files in the folder"))
        } else {
            read_one(&path, &folder.loaded)
        };
        match result {
            Ok(loaded) => {
                tracing::info!(%file, edition = %loaded.info.id, "edition loaded");
                folder.loaded.push(loaded);
            }
            Err(reason) => {
                tracing::warn!(%file, %reason, "edition file skipped");
                folder.skipped.push(EditionSkipped { file, reason });
            }
        }
    }
    folder
}

fn read_one(path: &Path, loaded: &[Loaded]) -> Result<Loaded, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{size} bytes, over {MAX_FILE_BYTES}"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let json = String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let edition = Edition::from_json(&json).map_err(|e| e.to_string())?;
    // One id, one content: a seal names the edition by id, so two files may not disagree about it.
    if loaded.iter().any(|l| l.info.id == edition.id()) {
        return Err(format!(
            "edition {} is already loaded from another file",
            edition.id()
        ));
    }
    let official = edition
        .data()
        .official_sha256
        .clone()
        .ok_or("it names no official_sha256 (the official file it was transcribed from)")?;
    let confirmed = edition.data().items.iter().filter(|i| i.confirmed).count();
    let info = EditionInfo {
        id: edition.id().to_string(),
        title_ja: edition.title_ja().to_string(),
        fiscal_year: edition.fiscal_year(),
        sha256: hex::encode(Sha256::digest(json.as_bytes())),
        official_sha256: official,
        items: edition.data().items.len(),
        confirmed_items: confirmed,
    };
    register(edition).map_err(|e| e.to_string())?;
    Ok(Loaded {
        info,
        json: json.into(),
    })
}
