//! Passkeys through the browser's WebAuthn API. The server's options arrive as WebAuthn JSON and the
//! browser converts them (`PublicKeyCredential.parseCreationOptionsFromJSON`, `credential.toJSON()`), so no
//! JavaScript of our own is needed.

use crate::error::AppError;
use js_sys::{Function, JSON, Object, Promise, Reflect};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why passkeys cannot be used here, if they cannot: a bare IP address (WebAuthn needs a host name), or a
/// browser without WebAuthn JSON support.
pub fn unavailable_reason() -> Option<&'static str> {
    let window = web_sys::window()?;
    let host = window.location().hostname().unwrap_or_default();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Some(
            "パスキーはIPアドレスでは使えません。ホスト名（例: mamori.clinic.lan）で開いてください。 (Passkeys need a host name, not an IP address.)",
        );
    }
    let pkc = Reflect::get(&window, &"PublicKeyCredential".into()).ok()?;
    if pkc.is_undefined()
        || Reflect::get(&pkc, &"parseCreationOptionsFromJSON".into())
            .map(|f| f.is_undefined())
            .unwrap_or(true)
    {
        return Some(
            "このブラウザはパスキーに対応していません。最新のブラウザをお使いください。 (This browser does not support passkeys.)",
        );
    }
    None
}

fn js_err(e: JsValue) -> AppError {
    AppError::Passkey(js_message(e))
}

fn js_message(e: JsValue) -> String {
    let name = Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name == "NotAllowedError" {
        return "パスキーの操作が取り消されたか、時間切れになりました (cancelled or timed out)"
            .into();
    }
    e.as_string()
        .or_else(|| {
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The server's options as WebAuthn JSON wraps them (`webauthn-rs`' `CreationChallengeResponse` and
/// `RequestChallengeResponse`): what is inside `publicKey` goes to the browser as it came, untyped here (the
/// browser is what reads it).
#[derive(Deserialize)]
struct Wrapped {
    #[serde(rename = "publicKey", default)]
    public_key: Value,
}

/// Runs a ceremony: `parse` converts the server's `publicKey` options, `verb` is `create` or `get`.
async fn ceremony(options: &Value, parse: &str, verb: &str) -> Result<Value, AppError> {
    if let Some(why) = unavailable_reason() {
        return Err(AppError::Passkey(why.into()));
    }
    let window = web_sys::window().ok_or_else(|| AppError::Passkey("no window".into()))?;
    let pkc = Reflect::get(&window, &"PublicKeyCredential".into()).map_err(js_err)?;
    let parse: Function = Reflect::get(&pkc, &parse.into())
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let wrapped = Wrapped::deserialize(options).map_err(|e| AppError::Unexpected(e.to_string()))?;
    let json = JSON::parse(&wrapped.public_key.to_string()).map_err(js_err)?;
    let public_key = parse.call1(&pkc, &json).map_err(js_err)?;
    let arg = Object::new();
    Reflect::set(&arg, &"publicKey".into(), &public_key).map_err(js_err)?;
    let container = Reflect::get(&window.navigator(), &"credentials".into()).map_err(js_err)?;
    let call: Function = Reflect::get(&container, &verb.into())
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let promise: Promise = call
        .call1(&container, &arg)
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let credential = JsFuture::from(promise).await.map_err(js_err)?;
    let to_json: Function = Reflect::get(&credential, &"toJSON".into())
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let out = to_json.call0(&credential).map_err(js_err)?;
    let text = JSON::stringify(&out).map_err(js_err)?;
    serde_json::from_str(&String::from(text)).map_err(|e| AppError::Unexpected(e.to_string()))
}

/// Creates a passkey from the server's creation options; returns the credential as JSON.
pub async fn create(options: &Value) -> Result<Value, AppError> {
    ceremony(options, "parseCreationOptionsFromJSON", "create").await
}

/// Signs in with a passkey from the server's request options; returns the assertion as JSON.
pub async fn get(options: &Value) -> Result<Value, AppError> {
    ceremony(options, "parseRequestOptionsFromJSON", "get").await
}
