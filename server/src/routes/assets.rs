//! The built app: static files, with every unknown path answered by `index.html` so that deep links
//! (`/checklists/…`) load the app shell, which then routes on the client; an unknown hashed file name is
//! a 404 instead (see [`cache_control`]).
//!
//! Cache policy: trunk's hashed file names (`name-<hex hash>.ext`, 15 or 16 digits) never change content, so they are cached for
//! a year; everything else (index.html, the manifest, the service worker, icons) is revalidated on every
//! load so that a new release is seen.

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

pub fn service(root: &Path) -> ServeDir<ServeFile> {
    ServeDir::new(root).fallback(ServeFile::new(root.join("index.html")))
}

/// Sets `Cache-Control` by whether the file name carries a content hash. Not for `/api/` answers: their
/// policy is the handler's, else `no-store` (`routes::security::add`).
pub async fn cache_control(req: Request, next: Next) -> Response {
    let immutable = is_hashed(req.uri().path());
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    // A hashed name that is not in the build (an old page's chunk after an update, a made-up name) would get
    // the app shell from the fallback, and a browser would keep that shell under the name for a year.
    let shell = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if immutable && shell {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-cache")],
            "not in this build",
        )
            .into_response();
    }
    if !api && !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// `mamori-app-0123456789abcdef_bg.wasm` → true; `sw.js`, `/checklists/x` → false.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=20).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(is_hashed("/mamori-app-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("/mamori-app-0123456789abcdef.js"));
        assert!(is_hashed("/style-fedcba9876543210.css"));
        // trunk drops leading zeros from some hashes
        assert!(is_hashed("/styles-ca0fe38f2685fcc.css"));
        assert!(!is_hashed("/sw.js"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/checklists/abc/section/2"));
        assert!(!is_hashed("/icons/icon-192.png"));
    }
}
