//! `/log` (管理者): the アクセスログ — filter by person, kind and period; export as CSV (UTF-8 with BOM, or
//! Shift_JIS for older Excel) or print; mark the monthly review (the guideline asks for regular review). The
//! chain's head hash is shown and printed, so a printed log can be checked against the server later.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::api::{LogEntry, LogHead, LogKind};

use crate::api::{self, NO_BODY};
use crate::state::use_workspace;
use crate::tr;

/// Unix milliseconds at the start of a `YYYY-MM-DD` day in the browser's time zone.
fn day_start(iso: &str) -> Option<i64> {
    if iso.is_empty() {
        return None;
    }
    let ms =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{iso}T00:00:00"))).get_time();
    (!ms.is_nan()).then_some(ms as i64)
}

fn local_time(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    d.to_locale_string("ja-JP", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

#[component]
pub fn LogPage() -> impl IntoView {
    let ws = use_workspace();
    let facility = Memo::new(move |_| ws.index().map(|i| i.facility.id));
    let entries = RwSignal::new(Vec::<LogEntry>::new());
    let kinds = RwSignal::new(Vec::<LogKind>::new());
    let head = RwSignal::new(None::<LogHead>);
    let last_review = RwSignal::new(None::<LogEntry>);
    let message = RwSignal::new(None::<String>);
    let (kind, person, from, to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let document = RwSignal::new(String::new());
    let query = move || {
        let mut q = Vec::new();
        if !kind.get().is_empty() {
            q.push(format!("kind={}", kind.get()));
        }
        if !person.get().is_empty() {
            q.push(format!("person={}", person.get()));
        }
        if !document.get().is_empty() {
            q.push(format!("document={}", document.get()));
        }
        if let Some(f) = day_start(&from.get()) {
            q.push(format!("from={f}"));
        }
        // The end day is included: up to the start of the next day.
        if let Some(t) = day_start(&to.get()) {
            q.push(format!("to={}", t + 86_400_000));
        }
        q.join("&")
    };
    let load = move || {
        let (Some(f), q) = (facility.get_untracked(), query()) else {
            return;
        };
        spawn_local(async move {
            let path = format!("/api/facilities/{f}/log?{q}");
            match api::call("GET", &path, NO_BODY)
                .await
                .and_then(|a| a.read::<mamori_shared::api::LogPage>())
            {
                Ok(page) => {
                    entries.set(page.entries);
                    kinds.set(page.kinds);
                    head.set(Some(page.head));
                    last_review.set(page.last_review);
                    message.set(None);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        facility.track();
        load();
    });
    let review = move |_| {
        let Some(f) = facility.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let path = format!("/api/facilities/{f}/log/review");
            match api::call("POST", &path, NO_BODY).await {
                Ok(a) if a.ok() => load(),
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let csv = move |encoding: &str| {
        facility
            .get()
            .map(|f| {
                format!(
                    "/api/facilities/{f}/log.csv?{}&encoding={encoding}",
                    query()
                )
            })
            .unwrap_or_default()
    };
    // The facility's documents by title, from this device's index.
    let documents = move || {
        ws.index()
            .map(|i| {
                i.checklists()
                    .into_iter()
                    .map(|(e, m)| (e.id.to_string(), crate::state::checklist_title(m)))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let people = move || {
        let mut seen: Vec<(String, String)> = Vec::new();
        for e in entries.get() {
            if let Some(id) = e.person_id
                && !seen.iter().any(|(i, _)| *i == id)
            {
                seen.push((id, e.name));
            }
        }
        seen
    };

    view! {
        <section class="page access-log">
            <h1>{tr!("アクセスログ", "Access log")}</h1>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <p class="muted small">{tr!(
                "サインイン、文書の閲覧・変更、利用者や権限の変更などの記録です。改ざんを検出できるよう、各記録は直前の記録のハッシュを含みます。",
                "Sign-ins, document opens and changes, and changes to people and roles. Each entry carries the hash of the one before it, so tampering shows."
            )}</p>
            <div class="filters no-print">
                <label class="field"><span>{tr!("操作", "Kind")}</span>
                    <select class="log-kind" on:change=move |ev| { kind.set(event_target_value(&ev)); load(); }>
                        <option value="">{tr!("すべて", "All")}</option>
                        {move || kinds.get().into_iter().map(|k| {
                            let v = k.kind.clone();
                            view! { <option value=v.clone() selected=move || kind.get() == v>{k.label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>{tr!("利用者", "Person")}</span>
                    <select class="log-person" on:change=move |ev| { person.set(event_target_value(&ev)); load(); }>
                        <option value="">{tr!("すべて", "All")}</option>
                        {move || people().into_iter().map(|(id, name)| {
                            let v = id.clone();
                            view! { <option value=id selected=move || person.get() == v>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>{tr!("文書", "Document")}</span>
                    <select class="log-document" on:change=move |ev| { document.set(event_target_value(&ev)); load(); }>
                        <option value="">{tr!("すべて", "All")}</option>
                        {move || documents().into_iter().map(|(id, title)| {
                            let v = id.clone();
                            view! { <option value=id selected=move || document.get() == v>{title}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>{tr!("期間（から）", "From")}</span>
                    <input type="date" class="log-from" on:change=move |ev| { from.set(event_target_value(&ev)); load(); } /></label>
                <label class="field"><span>{tr!("期間（まで）", "To")}</span>
                    <input type="date" class="log-to" on:change=move |ev| { to.set(event_target_value(&ev)); load(); } /></label>
            </div>
            <div class="actions no-print">
                <a class="button csv-utf8" href=move || csv("utf8") download="mamori-access-log.csv">{tr!("CSV（UTF-8）", "CSV (UTF-8)")}</a>
                <a class="button csv-sjis" href=move || csv("sjis") download="mamori-access-log-sjis.csv">{tr!("CSV（Shift_JIS）", "CSV (Shift_JIS)")}</a>
                <button class="button" on:click=move |_| { let _ = window().print(); }>{tr!("印刷", "Print")}</button>
                <button class="button primary mark-reviewed" on:click=review>{tr!("今月の確認を記録", "Record this month's review")}</button>
            </div>
            <p class="last-review">{tr!("最終確認: ", "Last review: ")}{move || {
                match last_review.get() {
                    Some(r) => format!("{} ({})", local_time(r.at), r.name),
                    None => "—".to_string(),
                }
            }}</p>
            <div class="table-scroll">
            <table class="log-table">
                <thead><tr>
                    <th>{tr!("番号", "No.")}</th><th>{tr!("日時", "Time")}</th><th>{tr!("端末の時刻", "Device time")}</th>
                    <th>{tr!("利用者", "Person")}</th><th>{tr!("操作", "Kind")}</th><th>{tr!("内容", "Detail")}</th><th>{tr!("端末", "Device")}</th>
                </tr></thead>
                <tbody>
                    {move || entries.get().into_iter().map(|e| view! {
                        <tr class="log-row" data-kind=e.kind>
                            <td>{e.seq}</td>
                            <td>{local_time(e.at)}</td>
                            <td>{e.device_at.map(local_time).unwrap_or_default()}</td>
                            <td class="who">{e.name}</td>
                            <td>{e.kind_ja}</td>
                            <td class="detail">{e.detail}</td>
                            <td class="device small">{e.device.chars().take(40).collect::<String>()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="log-head small">{tr!("チェーンの先頭: ", "Chain head: ")}
                {move || {
                    let (seq, hash) = head.get().map(|h| (h.seq, h.hash)).unwrap_or_default();
                    format!("#{seq} {hash}")
                }}
                " · "{tr!("印刷日時: ", "Printed: ")}{local_time(js_sys::Date::now() as i64)}</p>
        </section>
    }
}
