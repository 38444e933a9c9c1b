//! インシデント対応記録: starting an incident, logging what was observed, who was called and what was
//! isolated (offline, on any device; entries merge in time order), the first-response steps as one-tap
//! entries, closing, and the export for the police, the MHLW report and the review (CSV and print).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use mamori_shared::incident::FIRST_RESPONSE;
use mamori_shared::model::DocumentId;
use mamori_shared::schema::incident::{EntryKind, Incident};

use crate::i18n::lang;
use crate::settings::use_settings;
use crate::state::{format_time, now_ms, use_workspace};
use crate::tr;

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let ws = use_workspace();
    let navigate = use_navigate();
    let settings = use_settings();
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = title.get_untracked().trim().to_string();
        let t = if t.is_empty() {
            tr!("インシデント", "Incident")().to_string()
        } else {
            t
        };
        match ws.start_incident(&t) {
            Ok(id) => navigate(&format!("/incidents/{id}"), Default::default()),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let style = move || settings.with(|s| s.dates());
    view! {
        <section class="page incidents-page">
            <h1>{tr!("インシデント対応記録", "Incident log")}</h1>
            <p class="lead">{tr!(
                "サイバー攻撃が疑われたら、まず開始してください。記録はこの端末に保存され、ネットワークがなくても続けられます。",
                "Start one as soon as a cyber attack is suspected. Entries are kept on this device and work without a network."
            )}</p>
            <form class="form card start-incident" on:submit=start>
                <label class="field">
                    <span>{tr!("何が起きたか（例: 電子カルテが開けない）", "What happened (e.g. the EHR will not open)")}</span>
                    <input name="incident_title" type="text" prop:value=title on:input=move |ev| title.set(event_target_value(&ev)) />
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button danger">{tr!("インシデントを開始", "Start an incident")}</button>
            </form>
            <ul class="incident-list">
                {move || ws.incidents().into_iter().map(|(id, i)| view! {
                    <li class="card incident-row" data-doc=id.to_string()>
                        <A href=format!("/incidents/{id}")>
                            <strong>{i.meta.title.clone()}</strong>" "
                            <span class="muted">{format_time(i.meta.started_at_ms, style())}</span>" "
                            {if i.closed.is_some() {
                                view! { <span class="badge ok">{tr!("終了", "Closed")}</span> }.into_any()
                            } else {
                                view! { <span class="badge alert">{tr!("対応中", "Open")}</span> }.into_any()
                            }}" "
                            <span class="badge">{format!("{}件", i.entries.len())}</span>
                        </A>
                    </li>
                }).collect_view()}
            </ul>
            <FirstResponseSteps />
        </section>
    }
}

/// The first-response steps as a template (checklist item 3-③ links here).
#[component]
fn FirstResponseSteps() -> impl IntoView {
    view! {
        <section class="card first-response" id="steps">
            <h2>{tr!("初動の手順（ひな形）", "First response (template)")}</h2>
            <ol>
                {FIRST_RESPONSE.iter().map(|s| view! { <li>{move || lang().pick(s.ja, s.en)}</li> }).collect_view()}
            </ol>
            <p class="muted">{tr!(
                "インシデントを開始すると、各手順をワンタップで記録できます。BCP（3-③）の手順と合わせて見直してください。",
                "Once an incident is started, each step is recorded with one tap. Review these with your BCP (3-③)."
            )}</p>
        </section>
    }
}

/// `datetime-local` value for a time on the device clock.
fn local_input(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The device-clock time of a `datetime-local` value.
fn parse_local(value: &str) -> Option<i64> {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value));
    let t = d.get_time();
    (!t.is_nan()).then_some(t as i64)
}

#[component]
pub fn IncidentPage() -> impl IntoView {
    let ws = use_workspace();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| DocumentId::parse(&s)));
    let incident = Memo::new(move |_| id().and_then(|id| ws.incident(id).ok()));
    move || {
        match (id(), incident.get()) {
        (Some(id), Some(i)) => view! { <IncidentView id incident=i /> }.into_any(),
        _ => view! {
            <section class="page">
                <p>{tr!("この記録はこの端末にありません。", "This incident log is not on this device.")}</p>
                <A href="/incidents">{tr!("一覧へ", "All incidents")}</A>
            </section>
        }
        .into_any(),
    }
    }
}

/// The device's time zone as people read it: `JST` in Japan, else its IANA name (`Europe/Berlin`).
fn time_zone_label() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let zone = js_sys::Reflect::get(&options, &wasm_bindgen::JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match zone.as_str() {
        "Asia/Tokyo" => "JST (日本時間)".to_string(),
        "" => "?".to_string(),
        z => z.to_string(),
    }
}

#[component]
fn IncidentView(id: DocumentId, incident: Incident) -> impl IntoView {
    let ws = use_workspace();
    let facility_name = move || ws.index().map(|i| i.facility.name).unwrap_or_default();
    let settings = use_settings();
    let style = move || settings.with(|s| s.dates());
    let error = RwSignal::new(None::<String>);
    let at = RwSignal::new(local_input(now_ms()));
    let kind = RwSignal::new(EntryKind::Observed);
    let text = RwSignal::new(String::new());
    let called = RwSignal::new(String::new());
    let answer = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let closed = incident.closed.clone();
    let late = incident.late_entries();
    // A 閲覧者 reads the log; the server would refuse their entries.
    let read_only = crate::account::role_at(incident.meta.facility_id)
        == Some(mamori_shared::access::Role::Viewer);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = text.get_untracked().trim().to_string();
        if t.is_empty() && called.get_untracked().trim().is_empty() {
            error.set(Some(
                tr!("内容を入力してください。", "Write what happened.")().into(),
            ));
            return;
        }
        let when = parse_local(&at.get_untracked()).unwrap_or_else(now_ms);
        match ws.add_incident_entry(
            id,
            when,
            kind.get_untracked(),
            &t,
            called.get_untracked().trim(),
            answer.get_untracked().trim(),
        ) {
            Ok(()) => {
                text.set(String::new());
                called.set(String::new());
                answer.set(String::new());
                at.set(local_input(now_ms()));
                error.set(None);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let step = move |kind: EntryKind, text: &'static str| {
        if let Err(e) = ws.add_incident_entry(id, now_ms(), kind, text, "", "") {
            error.set(Some(e.to_string()));
        }
    };
    let close = move |_| {
        if let Err(e) = ws.close_incident(id, summary.get_untracked().trim()) {
            error.set(Some(e.to_string()));
        }
    };
    let reopen = move |_| {
        if let Err(e) = ws.reopen_incident(id) {
            error.set(Some(e.to_string()));
        }
    };
    let export = {
        let incident = incident.clone();
        move |_| match mamori_shared::incident::csv(
            &incident,
            &facility_name(),
            &settings.with_untracked(|s| s.device_names()),
        ) {
            Ok(bytes) => crate::download::save_file(
                &bytes,
                "text/csv;charset=utf-8",
                &format!("incident-{}.csv", crate::state::today().iso()),
            ),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let done: Vec<String> = incident.entries.values().map(|e| e.text.clone()).collect();
    let contacts: Vec<String> = ws
        .contact_chart()
        .map(|c| {
            c.shown
                .iter()
                .map(|s| format!("{} {}", s.role, s.title()))
                .collect()
        })
        .unwrap_or_default();
    let timeline: Vec<_> = incident.timeline().into_iter().cloned().collect();
    let device_names = settings.with_untracked(|s| s.device_names());
    let this_device = settings.with_untracked(|s| s.device.clone());
    // A device by the name people gave it; an unnamed one as "this device" or by its short id.
    let device_of = move |d: &str| -> String {
        if let Some(name) = device_names.get(d) {
            return name.clone();
        }
        if d == this_device {
            return lang().pick("この端末", "this device").to_string();
        }
        let short = d.strip_prefix("device-").unwrap_or(d);
        lang().pick(format!("端末 {short}"), format!("device {short}"))
    };
    let closed_at = closed.as_ref().map(|c| c.at_ms);

    view! {
        <section class="page incident-page">
            <p class="no-print"><A href="/incidents">{tr!("← 一覧", "← All incidents")}</A>" "<A href="/emergency">{tr!("緊急連絡", "Emergency contacts")}</A></p>
            <p class="incident-facility">{facility_name}</p>
            <h1>{tr!("インシデント対応記録", "Incident log")}": "{incident.meta.title.clone()}</h1>
            <p class="muted time-zone">{move || format!("{} {}", tr!("時刻はこの端末の時間帯:", "Times in this device's time zone:")(), time_zone_label())}</p>
            <p class="incident-meta">{move || {
                let l = lang();
                let started = format_time(incident.meta.started_at_ms, style());
                let by = &incident.meta.started_by;
                let closed = closed.as_ref().map(|c| (format_time(c.at_ms, style()), &c.by));
                l.pick(
                    format!(
                        "開始 {started}（{by}）{}",
                        closed.as_ref().map(|(at, by)| format!("・終了 {at}（{by}）")).unwrap_or_default()
                    ),
                    format!(
                        "Started {started} ({by}){}",
                        closed.as_ref().map(|(at, by)| format!(", closed {at} ({by})")).unwrap_or_default()
                    ),
                )
            }}</p>
            {(late > 0).then(|| view! {
                <p class="banner banner-warn late-entries">{move || lang().pick(
                    format!("終了後に届いた記録が{late}件あります（別の端末でオフライン中に書かれたもの）。"),
                    format!("{late} entries arrived after the incident was closed (written offline on another device)."),
                )}</p>
            })}
            <ol class="timeline">
                {timeline.into_iter().map(|e| {
                    let after_close = closed_at.is_some_and(|c| e.recorded_at_ms > c);
                    view! {
                        <li class="timeline-entry" class:late=after_close data-entry=e.id.clone() data-at=e.at_ms.to_string()>
                            <time>{move || format_time(e.at_ms, style())}</time>" "
                            <span class="badge">{move || lang().pick(e.kind.label_ja(), e.kind.label_en())}</span>" "
                            <span class="entry-text">{step_text(&e.text)}</span>
                            {(!e.called.is_empty()).then(|| view! { <span class="entry-called">{tr!("連絡先: ", "Called: ")}{e.called.clone()}</span> })}
                            {(!e.answer.is_empty()).then(|| view! { <span class="entry-answer">{tr!("回答: ", "Answer: ")}{e.answer.clone()}</span> })}
                            <span class="muted entry-by">{
                                let device_of = device_of.clone();
                                move || format!("{}{}{}", e.by, lang().pick("・", " · "), device_of(&e.device))
                            }</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!read_only).then(|| view! {
            <section class="card no-print steps">
                <h2>{tr!("初動の手順", "First response")}</h2>
                <ul class="step-list">
                    {FIRST_RESPONSE.iter().enumerate().map(|(i, s)| {
                        let recorded = done.iter().any(|t| t == s.ja);
                        view! {
                            <li>
                                <button class="button small step" data-step=i.to_string() disabled=recorded on:click=move |_| step(s.kind, s.ja)>
                                    {if recorded { "✓ " } else { "" }}{move || lang().pick(s.ja, s.en)}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <form class="form card no-print add-entry" on:submit=add>
                <h2>{tr!("記録を追加", "Add an entry")}</h2>
                <label class="field">
                    <span>{tr!("日時", "When")}</span>
                    <input name="entry_at" type="datetime-local" prop:value=at on:input=move |ev| at.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("種別", "Kind")}</span>
                    <select name="entry_kind" on:change=move |ev| {
                        if let Some(k) = EntryKind::parse(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {EntryKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{move || lang().pick(k.label_ja(), k.label_en())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{tr!("内容（見たこと・したこと）", "What was observed or done")}</span>
                    <textarea name="entry_text" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                <Show when=move || kind.get() == EntryKind::Called>
                    <label class="field">
                        <span>{tr!("連絡した相手", "Who was called")}</span>
                        <input name="entry_called" type="text" list="chart-contacts" prop:value=called on:input=move |ev| called.set(event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{tr!("相手の回答・指示", "Their answer")}</span>
                        <input name="entry_answer" type="text" prop:value=answer on:input=move |ev| answer.set(event_target_value(&ev)) />
                    </label>
                </Show>
                <datalist id="chart-contacts">
                    {contacts.into_iter().map(|c| view! { <option value=c></option> }).collect_view()}
                </datalist>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button primary add-entry-button">{tr!("記録する", "Record")}</button>
            </form>
            })}
            <section class="card no-print incident-close">
                {if read_only {
                    ().into_any()
                } else if closed_at.is_some() {
                    view! { <button class="button reopen" on:click=reopen>{tr!("対応を再開する", "Reopen")}</button> }.into_any()
                } else {
                    view! {
                        <label class="field">
                            <span>{tr!("終了時のまとめ（原因・影響・復旧）", "Summary (cause, impact, recovery)")}</span>
                            <textarea name="summary" prop:value=summary on:input=move |ev| summary.set(event_target_value(&ev))></textarea>
                        </label>
                        <button class="button close-incident" on:click=close>{tr!("インシデントを終了する", "Close the incident")}</button>
                    }.into_any()
                }}
                <div class="row-actions">
                    <button class="button export-csv" on:click=export>{tr!("CSVで書き出す（警察・厚生労働省への報告用）", "Export CSV (for the police and the MHLW)")}</button>
                    <button class="button print-incident" on:click=move |_| { let _ = window().print(); }>{tr!("印刷", "Print")}</button>
                </div>
            </section>
        </section>
    }
}

/// An entry's text as shown: a first-response step recorded with one tap is Mamori's own sentence, shown in
/// the screen's language; anything typed stays as typed.
fn step_text(text: &str) -> impl Fn() -> String + use<> {
    let text = text.to_string();
    move || match FIRST_RESPONSE.iter().find(|s| s.ja == text) {
        Some(s) => lang().pick(s.ja, s.en).to_string(),
        None => text.clone(),
    }
}
