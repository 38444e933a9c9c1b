//! Security headers on every response (HTML, assets, API, the WebSocket upgrade): a Content-Security-Policy
//! that allows no inline script but trunk's bootstrap (allowed by its SHA-256 hash, read from the built
//! `index.html` at start: the service worker serves a cached shell, which cannot carry a per-request nonce),
//! `frame-ancestors 'none'`, `nosniff`, no referrer, and HSTS when served over TLS.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The headers every response carries, rendered once at start.
#[derive(Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// For the app built in `assets`; `tls` adds HSTS.
    pub fn new(assets: &Path, tls: bool) -> SecurityHeaders {
        let html = std::fs::read_to_string(assets.join("index.html")).unwrap_or_default();
        let csp = content_security_policy(&inline_script_hashes(&html));
        let mut headers = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&csp).expect("the policy is ASCII"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
            ),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ];
        if tls {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            ));
        }
        SecurityHeaders { headers }
    }
}

/// The policy: only this origin's scripts (plus the bootstrap by hash and wasm compilation), styles, images,
/// connections (the sync WebSocket included: CSP 3's `'self'` covers `ws:`/`wss:` to this host) and workers.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes.iter().map(|h| format!(" '{h}'")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `sha256-…` of every inline `<script>` in a page (trunk writes one, the wasm bootstrap).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let body = &after[body_start..body_start + close];
            out.push(format!("sha256-{}", STANDARD.encode(Sha256::digest(body))));
        }
        rest = &after[body_start + close..];
    }
    out
}

/// Adds the headers to every response, and `Cache-Control: no-store` to API answers (they carry personal
/// data: names, roles, sessions) unless the handler chose a policy itself: an evidence file's bytes never
/// change under their address, so it says `private, max-age=31536000, immutable` (the person's browser keeps
/// it; no shared cache does).
pub async fn add(State(h): State<SecurityHeaders>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    for (name, value) in &h.headers {
        headers.insert(name.clone(), value.clone());
    }
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = r#"<head><script type="module">import init from '/a.js';
await init();</script><script src="/b.js"></script><script>x()</script></head>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2);
        let expected = STANDARD.encode(Sha256::digest("import init from '/a.js';\nawait init();"));
        assert_eq!(hashes[0], format!("sha256-{expected}"));
        let csp = content_security_policy(&hashes);
        assert!(csp.contains(&format!("'sha256-{expected}'")));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
