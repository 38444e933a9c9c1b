//! Evidence files on the device: attaching one (read, checked, hashed and sent to the server, which keeps
//! the bytes outside the documents), and keeping attached files readable offline.
//!
//! Offline viewing goes through the service worker: a file's URL is same-origin and content-addressed, and
//! the worker keeps what it fetched in its own cache (`mamori-files`), cache first. It stores a file only
//! while the site's quota seems to keep [`KEEP_FREE`] bytes free beyond it; the worker checks that too.
//!
//! That check alone cannot protect document saves: Chromium's `navigator.storage.estimate()` reports a
//! padded quota (usage + 1 GiB, measured on a 192 MB disk whose real quota was about 110 MB), so on a
//! nearly full tablet it says there is room when there is none. The guarantee is [`give_up_room`]: a
//! document save refused for space deletes the cached files (copies of what the server keeps) and is tried
//! again, and this page keeps no more files for offline reading. Leaving a facility deletes the cache too.

use mamori_shared::api::FileInfo;
use mamori_shared::model::FacilityId;
use mamori_shared::schema::evidence::FileRef;
use mamori_shared::sniff;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::error::AppError;

/// The largest file the server keeps (20 MB), checked here first so nothing is sent in vain.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// The service worker's cache of evidence files (also named in `public/sw.js`).
const CACHE: &str = "mamori-files";
/// Room kept free for document saves when caching a file (also in `public/sw.js`).
pub const KEEP_FREE: f64 = 64.0 * 1024.0 * 1024.0;

/// Where a facility's file is served (and cached for offline reading).
pub fn url(facility: FacilityId, sha256: &str) -> String {
    format!("/api/facilities/{facility}/files/{sha256}")
}

/// Reads a chosen file, checks it, and sends it to the server; the reference to keep in the register.
pub async fn attach(facility: FacilityId, file: web_sys::File) -> Result<FileRef, AppError> {
    if file.size() > MAX_BYTES as f64 {
        return Err(AppError::Invalid(format!(
            "ファイルが大きすぎます（{:.1} MB、上限 20 MB） (the file is too large: at most 20 MB)",
            file.size() / 1024.0 / 1024.0
        )));
    }
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| {
        AppError::Invalid(format!(
            "ファイルを読み込めません (cannot read the file): {e:?}"
        ))
    })?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    // The server's own rules, so what it would refuse is said at once (offline too).
    let tail = &bytes[bytes.len().saturating_sub(sniff::END_WINDOW)..];
    let head = &bytes[..bytes.len().min(sniff::END_WINDOW)];
    if let Err(refusal) = sniff::sniff(head, tail, bytes.len() as u64) {
        return Err(AppError::Invalid(refusal.message().to_string()));
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let info: FileInfo = api::put_bytes(&url(facility, &sha256), &bytes)
        .await
        .map_err(|e| match e {
            AppError::Unreachable => AppError::Invalid(
                "ファイルの添付にはサーバーへの接続が必要です。オンラインで添付してください（文書の記録は保存できます） \
                 (attaching a file needs the server: attach it when online; the document's record can be saved now)"
                    .into(),
            ),
            other => other,
        })?
        .read()?;
    Ok(FileRef {
        sha256: info.sha256,
        name: file.name(),
        size: info.size,
        media_type: info.media_type,
    })
}

/// Fetches each file once while online, so the service worker keeps it for offline reading (if there is
/// room: it checks). Quietly nothing offline.
pub async fn keep_for_offline(facility: FacilityId, files: Vec<FileRef>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    for f in files {
        if GAVE_UP_ROOM.with(|g| g.get()) {
            return;
        }
        let path = url(facility, &f.sha256);
        if cached(&path).await {
            continue;
        }
        if !room_for(f.size as f64).await {
            return;
        }
        if let Ok(response) = JsFuture::from(window.fetch_with_str(&path)).await
            && let Ok(response) = response.dyn_into::<web_sys::Response>()
            && let Ok(body) = response.array_buffer()
        {
            // Read to the end: the worker stores the copy as the page receives it.
            let _ = JsFuture::from(body).await;
        }
    }
}

async fn cached(path: &str) -> bool {
    let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) else {
        return false;
    };
    let Ok(cache) = JsFuture::from(caches.open(CACHE)).await else {
        return false;
    };
    let cache: web_sys::Cache = cache.unchecked_into();
    JsFuture::from(cache.match_with_str(path))
        .await
        .is_ok_and(|hit| !hit.is_undefined())
}

/// Whether the site's quota leaves `bytes` plus [`KEEP_FREE`] free.
async fn room_for(bytes: f64) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(estimate) = window.navigator().storage().estimate() else {
        return false;
    };
    let Ok(estimate) = JsFuture::from(estimate).await else {
        return false;
    };
    let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
    let (quota, usage) = (
        estimate.get_quota().unwrap_or(0.0),
        estimate.get_usage().unwrap_or(0.0),
    );
    quota - usage > bytes + KEEP_FREE
}

thread_local! {
    /// Set once cached files had to make room for a document save: this page then keeps no more.
    static GAVE_UP_ROOM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes room for a document save the browser refused for space: deletes the cached files, if there are
/// any. Whether anything was freed (worth trying the save again).
pub async fn give_up_room() -> bool {
    GAVE_UP_ROOM.with(|g| g.set(true));
    let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) else {
        return false;
    };
    let had = JsFuture::from(caches.has(CACHE))
        .await
        .is_ok_and(|v| v.is_truthy());
    had && JsFuture::from(caches.delete(CACHE))
        .await
        .is_ok_and(|v| v.is_truthy())
}

/// Deletes every cached file (the person left the facility: nothing of it stays on the device).
pub async fn forget() {
    if let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) {
        let _ = JsFuture::from(caches.delete(CACHE)).await;
    }
}
