//! `GET /sw.js`: the service worker, with the build's version and asset list filled in.
//!
//! The list comes from the build output itself (trunk's hashed file names), read when the build changes, so
//! it can never go stale; the version is a hash of every file, so any new build installs a new worker.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;

/// The rendered worker, and the build it was rendered from.
#[derive(Default)]
pub struct WorkerCache {
    rendered: Mutex<Option<(SystemTime, String)>>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/sw.js", get(service_worker))
}

async fn service_worker(State(state): State<AppState>) -> Response {
    let root = state.config.assets.clone();
    let cache = state.worker.clone();
    let rendered = tokio::task::spawn_blocking(move || cache.get_or_render(&root)).await;
    match rendered {
        Ok(Ok(js)) => {
            let mut res = js.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot render the service worker");
            (StatusCode::NOT_FOUND, "no app build").into_response()
        }
        Err(e) => crate::AppError::from(std::io::Error::other(e)).into_response(),
    }
}

impl WorkerCache {
    fn get_or_render(&self, root: &Path) -> std::io::Result<String> {
        // index.html is rewritten by every build: its modification time says when to render again.
        let stamp = std::fs::metadata(root.join("index.html"))?.modified()?;
        let mut guard = self.rendered.lock().expect("worker cache lock");
        if let Some((at, js)) = guard.as_ref()
            && *at == stamp
        {
            return Ok(js.clone());
        }
        let js = render(root)?;
        *guard = Some((stamp, js.clone()));
        Ok(js)
    }
}

/// Every file under `root`, as sorted URL paths.
fn files(root: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
                out.push((url, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn render(root: &Path) -> std::io::Result<String> {
    let template = std::fs::read_to_string(root.join("sw.js"))?;
    let mut hash = Sha256::new();
    let mut assets = Vec::new();
    for (url, path) in files(root)? {
        hash.update(url.as_bytes());
        hash.update(std::fs::read(&path)?);
        if url != "/sw.js" {
            assets.push(url);
        }
    }
    let version: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let list = serde_json::to_string(&assets).expect("strings serialise");
    Ok(template
        .replace("__MAMORI_VERSION__", &version)
        .replace("__MAMORI_ASSETS__", &list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_build_file_and_versions_by_content() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("icons")).unwrap();
        std::fs::write(
            dir.join("sw.js"),
            "const V=\"__MAMORI_VERSION__\";const A=__MAMORI_ASSETS__;",
        )
        .unwrap();
        std::fs::write(dir.join("index.html"), "<html>").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef_bg.wasm"), "wasm").unwrap();
        std::fs::write(dir.join("icons/icon-192.png"), "png").unwrap();
        let first = render(&dir).unwrap();
        assert!(
            first.contains(
                r#"["/app-0123456789abcdef_bg.wasm","/icons/icon-192.png","/index.html"]"#
            ),
            "{first}"
        );
        assert!(!first.contains("__MAMORI"));
        // A new build (any changed byte) gets a new version.
        std::fs::write(dir.join("index.html"), "<html><!-- v2 -->").unwrap();
        let second = render(&dir).unwrap();
        assert_ne!(first, second);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mamori-sw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
