//! The server's JSON API (`/api/...`), for people and sign-in. The session cookie is HttpOnly: the app never
//! sees it, the browser sends it with each same-origin request. Bodies are the shared types of
//! [`mamori_shared::api`], the same the server answers with: requests are serialised from them, answers read
//! into them with [`Answer::read`].

use mamori_shared::api::ErrorBody;

use crate::error::AppError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// An answer from the API: the status and the JSON body (`Null` when there was none). The body is read only
/// through the shared types ([`Answer::read`], [`Answer::error_body`]).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's error body, when the answer is one (any status; `None` for a success's body).
    pub fn error_body(&self) -> Option<ErrorBody> {
        if self.ok() {
            return None;
        }
        serde_json::from_value(self.body.clone()).ok()
    }

    /// The server's message for the person, or a generic one.
    pub fn error(&self) -> String {
        self.error_body().map(|e| e.error).unwrap_or_else(|| {
            format!(
                "サーバーの応答: {} (server answered {})",
                self.status, self.status
            )
        })
    }

    /// A successful answer as the route's shared type; otherwise the server's message (or, for a body that
    /// does not read as `T`, what did not fit).
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if !self.ok() {
            return Err(self.refused());
        }
        serde_json::from_value(self.body.clone()).map_err(|e| AppError::Unexpected(e.to_string()))
    }

    /// A refusal as an error, with the server's message.
    pub fn refused(&self) -> AppError {
        AppError::Refused {
            status: self.status,
            message: self.error(),
        }
    }
}

/// For [`call`] without a body (a `GET`, a `DELETE`, a `POST` that needs nothing).
pub const NO_BODY: Option<&()> = None;

/// Calls the API with `body` as JSON. `Err` only when the server could not be reached (offline, server down):
/// a refusal is an answer ([`Answer::ok`] is false; [`Answer::read`] turns it into [`AppError::Refused`]).
pub async fn call<B: Serialize + ?Sized>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<Answer, AppError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        let text = serde_json::to_string(body).map_err(|e| AppError::Unexpected(e.to_string()))?;
        init.set_body(&wasm_bindgen::JsValue::from_str(&text));
    }
    send(path, &init, body.map(|_| "application/json")).await
}

/// Posts raw bytes (a whole Automerge document).
pub async fn post_bytes(path: &str, bytes: &[u8]) -> Result<Answer, AppError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&js_sys::Uint8Array::from(bytes).into());
    send(path, &init, Some("application/octet-stream")).await
}

/// Puts raw bytes (an evidence file, addressed by its hash).
pub async fn put_bytes(path: &str, bytes: &[u8]) -> Result<Answer, AppError> {
    let init = RequestInit::new();
    init.set_method("PUT");
    init.set_body(&js_sys::Uint8Array::from(bytes).into());
    send(path, &init, Some("application/octet-stream")).await
}

async fn send(
    path: &str,
    init: &RequestInit,
    content_type: Option<&str>,
) -> Result<Answer, AppError> {
    let request = Request::new_with_str_and_init(path, init)
        .map_err(|e| AppError::Unexpected(format!("{e:?}")))?;
    if let Some(t) = content_type {
        let _ = request.headers().set("content-type", t);
    }
    let window = web_sys::window().ok_or(AppError::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| AppError::Unreachable)?
        .dyn_into()
        .map_err(|_| AppError::Unexpected("a fetch that gave no response".into()))?;
    let status = response.status();
    let body = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    Ok(Answer { status, body })
}
