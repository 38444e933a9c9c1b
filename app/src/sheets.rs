//! The spreadsheet worker (`app/sheets`), started the first time someone imports or exports a ledger
//! file: reading .xlsx, .xls and CSV (UTF-8 or Shift_JIS) into a table of strings, and writing .xlsx or CSV from
//! one. The main app never carries calamine, rust_xlsxwriter, the CSV reader or Shift_JIS tables; the
//! worker is precached by the service worker like every file of the build, so it works offline.

use std::cell::RefCell;

use crate::error::AppError;
use mamori_shared::export::Cell;
use mamori_shared::ledger::import::Sheet;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

const LOADER: &str = "/mamori-sheets_loader.js";

thread_local! {
    static WORKER: RefCell<Option<web_sys::Worker>> = const { RefCell::new(None) };
    /// One request at a time: the worker answers in order, and the page waits for each answer.
    static BUSY: RefCell<bool> = const { RefCell::new(false) };
}

/// The next message the worker sends (or its failure).
fn next_message(w: &web_sys::Worker) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let on_message = Closure::once_into_js(move |ev: web_sys::MessageEvent| {
            let _ = resolve.call1(&JsValue::NULL, &ev.data());
        });
        let on_error = Closure::once_into_js(move |ev: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &ev);
        });
        w.set_onmessage(Some(on_message.unchecked_ref()));
        w.set_onerror(Some(on_error.unchecked_ref()));
    })
}

/// The running worker; a new one is started and waited for until it says it is listening (messages sent
/// before that would be lost while its wasm loads).
async fn worker() -> Result<web_sys::Worker, AppError> {
    if let Some(w) = WORKER.with_borrow(|w| w.clone()) {
        return Ok(w);
    }
    let w = web_sys::Worker::new(LOADER).map_err(|_| {
        AppError::Sheet("表計算の処理を開始できません (could not start the worker)".into())
    })?;
    JsFuture::from(next_message(&w)).await.map_err(|_| {
        AppError::Sheet("表計算の処理を読み込めません (the worker did not start)".into())
    })?;
    WORKER.with_borrow_mut(|slot| *slot = Some(w.clone()));
    Ok(w)
}

/// Sends one request and waits for its answer `[kind, value]`.
async fn ask(request: js_sys::Array) -> Result<(String, JsValue), AppError> {
    if BUSY.with_borrow(|b| *b) {
        return Err(AppError::Sheet(
            "前の取り込み・書き出しが終わるまでお待ちください (still working on the last file)"
                .into(),
        ));
    }
    BUSY.with_borrow_mut(|b| *b = true);
    let result: Result<(String, JsValue), AppError> = async {
        let w = worker().await?;
        let answer = next_message(&w);
        w.post_message(&request).map_err(|_| {
            AppError::Sheet("表計算の処理に渡せません (could not send to the worker)".into())
        })?;
        let data = JsFuture::from(answer).await.map_err(|_| {
            // A worker that failed (out of memory on a huge sheet) is started afresh next time.
            WORKER.with_borrow_mut(|w| *w = None);
            AppError::Sheet("表計算の処理が失敗しました (the worker failed)".into())
        })?;
        let reply = js_sys::Array::from(&data);
        Ok((reply.get(0).as_string().unwrap_or_default(), reply.get(1)))
    }
    .await;
    BUSY.with_borrow_mut(|b| *b = false);
    let (kind, value) = result?;
    if kind == "error" {
        return Err(AppError::Sheet(value.as_string().unwrap_or_default()));
    }
    Ok((kind, value))
}

/// A ledger file's sheets (.xlsx, .xls, or CSV as one sheet), each a table of strings.
pub async fn read(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, AppError> {
    let request = js_sys::Array::of3(
        &JsValue::from_str("read"),
        &JsValue::from_str(name),
        &js_sys::Uint8Array::from(bytes),
    );
    let (_, value) = ask(request).await?;
    serde_json::from_str(&value.as_string().unwrap_or_default())
        .map_err(|e| AppError::Sheet(e.to_string()))
}

async fn make(op: &str, json: String) -> Result<Vec<u8>, AppError> {
    let (_, value) = ask(js_sys::Array::of2(
        &JsValue::from_str(op),
        &JsValue::from_str(&json),
    ))
    .await?;
    Ok(js_sys::Uint8Array::new(&value).to_vec())
}

/// An .xlsx workbook of one sheet, numbers and dates typed.
pub async fn xlsx(sheet: &str, table: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    make(
        "xlsx",
        serde_json::to_string(&(sheet, table)).map_err(|e| AppError::Sheet(e.to_string()))?,
    )
    .await
}

/// CSV: UTF-8 with a BOM, or Shift_JIS.
pub async fn csv(shift_jis: bool, table: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    make(
        "csv",
        serde_json::to_string(&(shift_jis, table)).map_err(|e| AppError::Sheet(e.to_string()))?,
    )
    .await
}
