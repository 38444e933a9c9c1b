//! The spreadsheet web worker: started by the app only when someone imports or exports a ledger file, so
//! the main app never loads calamine, rust_xlsxwriter, the CSV reader or Shift_JIS tables. Requests are
//! arrays: `["read", file name, Uint8Array]` → `["table", JSON sheets]` (`Sheet`s of text); `["xlsx", JSON
//! [sheet, rows]]` and `["csv", JSON [shift_jis, rows]]` (rows of typed `Cell`s) → `["bytes", Uint8Array]`; any failure → `["error", message]`. Once
//! listening, the worker says `["ready"]` (messages sent before that would be lost while its wasm loads).

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let msg = js_sys::Array::from(&ev.data());
            let op = msg.get(0).as_string().unwrap_or_default();
            let answer = |kind: &str, value: JsValue| {
                let _ =
                    reply_to.post_message(&js_sys::Array::of2(&JsValue::from_str(kind), &value));
            };
            let made: Result<JsValue, String> = match op.as_str() {
                "read" => {
                    let name = msg.get(1).as_string().unwrap_or_default();
                    let bytes = js_sys::Uint8Array::new(&msg.get(2)).to_vec();
                    mamori_sheets::read_any(&name, &bytes).and_then(|rows| {
                        serde_json::to_string(&rows)
                            .map(|json| JsValue::from_str(&json))
                            .map_err(|e| e.to_string())
                    })
                }
                "xlsx" => serde_json::from_str::<(String, Vec<Vec<mamori_shared::export::Cell>>)>(
                    &msg.get(1).as_string().unwrap_or_default(),
                )
                .map_err(|e| e.to_string())
                .and_then(|(sheet, rows)| {
                    mamori_sheets::write(&sheet, &rows).map_err(|e| e.to_string())
                })
                .map(|bytes| js_sys::Uint8Array::from(bytes.as_slice()).into()),
                "csv" => serde_json::from_str::<(bool, Vec<Vec<mamori_shared::export::Cell>>)>(
                    &msg.get(1).as_string().unwrap_or_default(),
                )
                .map_err(|e| e.to_string())
                .and_then(|(sjis, rows)| mamori_shared::ledger::import::csv_bytes(&rows, sjis))
                .map(|bytes| js_sys::Uint8Array::from(bytes.as_slice()).into()),
                other => Err(format!("unknown request {other:?}")),
            };
            match made {
                Ok(value) if op == "read" => answer("table", value),
                Ok(value) => answer("bytes", value),
                Err(e) => answer("error", JsValue::from_str(&e)),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&js_sys::Array::of1(&JsValue::from_str("ready")));
}

/// Natively there is no worker: the library is used directly (and tested).
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
