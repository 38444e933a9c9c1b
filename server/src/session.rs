//! Sessions as HTTP carries them: the cookie's name and attributes, reading the token from a request,
//! looking the session up, and the device a request comes from (for the access log). What a session may do
//! is decided in the gate ([`crate::gate::http`]).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::clock::now_ms;
use crate::directory::Session;
use crate::error::{ApiError, bad};

/// The session cookie over plain HTTP (development, a LAN behind a TLS proxy).
pub const SESSION_COOKIE: &str = "mamori_session";

/// The session cookie under TLS: `__Host-` makes browsers refuse it unless `Secure`, host-only and `Path=/`,
/// so no other host (a sibling subdomain) can set or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-mamori_session";

/// The session cookie's name on this server.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.https() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session token from the request's cookie.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The signed-in person, or 401.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = session_token(state, headers).ok_or_else(|| {
        bad(
            StatusCode::UNAUTHORIZED,
            "サインインしてください (sign in first)",
        )
    })?;
    state
        .directory
        .session(&token, state.config.session_limits(), now_ms())
        .await?
        .ok_or_else(|| {
            bad(
                StatusCode::UNAUTHORIZED,
                "セッションが無効です。もう一度サインインしてください (session expired)",
            )
        })
}

/// A JSON answer that starts a session: the cookie is `HttpOnly` and `SameSite=Strict`, `Secure` under TLS.
pub(crate) fn with_session_cookie(state: &AppState, token: &str, body: impl Serialize) -> Response {
    let secure = if state.config.https() { "; Secure" } else { "" };
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(state)
    );
    let mut response = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The header that removes the session cookie (signing out).
pub(crate) fn clear_session_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        cookie_name(state),
        if state.config.https() { "; Secure" } else { "" }
    ))
    .expect("an ASCII cookie")
}

/// An access-log event by the signed-in person, from this request's device.
pub fn logged(kind: Kind, session: &Session, headers: &HeaderMap) -> Event {
    Event::new(kind)
        .by(session.person, &session.name)
        .device(&device_of(headers))
}

pub fn device_of(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown device")
        .chars()
        .take(200)
        .collect()
}
