//! The server's JSON API (`/api/...`), for people and sign-in. The session cookie is HttpOnly: the app never
//! sees it, the browser sends it with each same-origin request.

use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// An answer from the API: the status and the JSON body (`Null` when there was none).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's message for the person, or a generic one.
    pub fn error(&self) -> String {
        self.body["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "サーバーの応答: {} (server answered {})",
                    self.status, self.status
                )
            })
    }
}

/// Calls the API. `Err` only when the server could not be reached (offline, server down).
pub async fn call(method: &str, path: &str, body: Option<&Value>) -> Result<Answer, String> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    }
    send(path, &init, body.map(|_| "application/json")).await
}

/// Posts raw bytes (a whole Automerge document).
pub async fn post_bytes(path: &str, bytes: &[u8]) -> Result<Answer, String> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&js_sys::Uint8Array::from(bytes).into());
    send(path, &init, Some("application/octet-stream")).await
}

async fn send(
    path: &str,
    init: &RequestInit,
    content_type: Option<&str>,
) -> Result<Answer, String> {
    let request = Request::new_with_str_and_init(path, init).map_err(|e| format!("{e:?}"))?;
    if let Some(t) = content_type {
        let _ = request.headers().set("content-type", t);
    }
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| "サーバーに接続できません (cannot reach the server)".to_string())?
        .dyn_into()
        .map_err(|_| "unexpected fetch result".to_string())?;
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
