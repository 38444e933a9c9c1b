//! The emergency copy of the contact chart: every facility's chart on this device rendered into a complete
//! static page (no script, its own style) and kept in Cache Storage, where the service worker answers
//! `/emergency` with it. The numbers are then on screen with no network, no server and no session, before
//! the wasm app has loaded. It is rewritten whenever a chart, a vendor or its sync state changes, and
//! removed when the device no longer holds any chart (a person who left: see `departure`).

use leptos::prelude::*;
use mamori_shared::contacts::page::{self, PageChart};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::settings::use_settings;
use crate::state::{ChartView, LoadState, Workspace, format_time, now_ms};
use crate::sync::SyncHandle;

/// The cache the service worker looks in first for `/emergency` (never deleted by a version update).
pub const CACHE: &str = "mamori-emergency";
pub const PATH: &str = "/emergency";

/// How often, at most, the 最終同期 time of a chart that stays in sync is moved forward.
const SYNCED_STEP_MS: i64 = 60_000;

/// The charts as the page shows them, with their freshness.
pub fn page_charts(charts: &[ChartView]) -> Vec<PageChart> {
    let s = use_settings().get_untracked();
    charts
        .iter()
        .map(|c| PageChart {
            facility: c.facility.clone(),
            contacts: c.shown.clone(),
            synced: s
                .chart_synced
                .get(&c.id.to_string())
                .map(|ms| format_time(*ms, s.date_style))
                .unwrap_or_else(|| "未同期（この端末で入力した内容のみ）".to_string()),
            changed: format_time(c.chart.updated_at_ms, s.date_style),
        })
        .collect()
}

/// Keeps the static copy and the 最終同期 times current for as long as the app runs.
pub fn start(ws: Workspace, sync: SyncHandle) {
    let generation = StoredValue::new(0u64);
    let written = StoredValue::new_local(None::<String>);
    Effect::new(move |_| {
        ws.revision.track();
        sync.tick.track();
        // Before the device's documents are loaded there is nothing to compare: never overwrite then.
        if ws.load.get() != LoadState::Ready || !ws.all_loaded() {
            return;
        }
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        // Wait for a quiet moment: a sync burst changes the revision many times.
        leptos::task::spawn_local(async move {
            crate::timer::sleep_ms(300).await;
            if generation.get_value() != mine {
                return;
            }
            note_synced(ws, sync);
            let charts = page_charts(&ws.all_charts_untracked());
            // Only the content matters (the copy's own time changes every time it is written).
            let key = format!("{charts:?}");
            if written.with_value(|w| w.as_ref() == Some(&key)) {
                return;
            }
            let html = (!charts.is_empty()).then(|| {
                let style = use_settings().with_untracked(|s| s.date_style);
                page::document(&charts, &format_time(now_ms(), style))
            });
            let key = Some(key);
            match store(html.as_deref()).await {
                Ok(()) => written.set_value(key),
                Err(e) => leptos::logging::warn!("could not keep the emergency copy: {e:?}"),
            }
        });
    });
}

/// Moves each chart's 最終同期 forward when the server has all of it and of the facility index (vendors'
/// numbers live there).
fn note_synced(ws: Workspace, sync: SyncHandle) {
    let Some(index) = ws.index_id() else {
        return;
    };
    if !sync.server_has_untracked(index) {
        return;
    }
    let now = now_ms();
    for chart in ws.all_charts_untracked() {
        if !sync.server_has_untracked(chart.id) {
            continue;
        }
        let key = chart.id.to_string();
        let stale = use_settings().with_untracked(|s| {
            s.chart_synced
                .get(&key)
                .is_none_or(|t| now - t >= SYNCED_STEP_MS)
        });
        if stale {
            use_settings().update(|s| {
                s.chart_synced.insert(key.clone(), now);
            });
        }
    }
}

/// Writes (or, with `None`, deletes) the static copy in Cache Storage.
async fn store(html: Option<&str>) -> Result<(), wasm_bindgen::JsValue> {
    let caches = window().caches()?;
    let cache: web_sys::Cache = JsFuture::from(caches.open(CACHE)).await?.unchecked_into();
    match html {
        Some(html) => {
            let headers = web_sys::Headers::new()?;
            headers.set("Content-Type", "text/html; charset=utf-8")?;
            // Its own policy: no script at all, only its inline style.
            headers.set(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            )?;
            let init = web_sys::ResponseInit::new();
            init.set_status(200);
            init.set_headers(&headers);
            let response = web_sys::Response::new_with_opt_str_and_init(Some(html), &init)?;
            JsFuture::from(cache.put_with_str(PATH, &response)).await?;
        }
        None => {
            JsFuture::from(cache.delete_with_str(PATH)).await?;
        }
    }
    Ok(())
}

/// Deletes the copy at once (the device's person left the facility); the next render writes what is left.
pub async fn forget() {
    if let Err(e) = store(None).await {
        leptos::logging::warn!("could not delete the emergency copy: {e:?}");
    }
}
