//! 準備状況 — is the facility ready for the 立入検査 of this fiscal year? One line per thing the inspector
//! looks at, green, amber or red, saying what is missing and linking to where it is fixed
//! (`mamori_shared::readiness` decides; this screen words it). Works offline: only the access log's review
//! marks come from the server, and they say as of when.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::readiness::{Level, Line, Topic, overall};

use crate::components::readiness::{
    cached_reviews, chosen_year, detail, mark, offered_years, refresh_log_reviews, title,
};
use crate::i18n::lang;
use crate::state::use_workspace;
use crate::tr;

fn local_time(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    d.to_locale_string("ja-JP", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

fn href(topic: Topic, own: Option<String>) -> String {
    match topic {
        Topic::Answered | Topic::Targets => own.unwrap_or_else(|| "/#new-checklist".into()),
        Topic::VendorForms => "/vendors".into(),
        Topic::DeviceLedger => "/ledgers/devices".into(),
        Topic::ContactChart => "/contacts".into(),
        Topic::LogReview => "/log".into(),
        Topic::Bcp | Topic::Rules | Topic::DocumentsReviewed | Topic::Backups => "/evidence".into(),
    }
}

#[component]
pub fn ReadinessPage() -> impl IntoView {
    let ws = use_workspace();
    let chosen = chosen_year();
    let navigate = leptos_router::hooks::use_navigate();
    let facility = move || ws.index().map(|i| i.facility.id);
    // Fresh marks from the server whenever it can answer; the cached ones meanwhile.
    Effect::new(move |_| {
        if let Some(f) = facility() {
            crate::account::current();
            refresh_log_reviews(f, chosen.get());
        }
    });
    let state = Memo::new(move |_| {
        let f = facility()?;
        let year = chosen.get();
        let cached = cached_reviews(f, year);
        let r = ws.readiness(year, cached.as_ref())?;
        Some((r, cached.map(|c| c.as_of_ms)))
    });
    view! {
        <section class="page readiness">
            <h1>{tr!("立入検査の準備状況", "Inspection readiness")}</h1>
            <p class="lead">{move || lang().pick(
                format!("{}。立入検査で確認されるものを、1行ずつ確かめます。", chosen.get().label_ja()),
                format!("{}. What the inspector looks at, line by line.", chosen.get().label_en()),
            )}</p>
            <div class="row-actions no-print">
                <label class="field readiness-year">
                    <span>{tr!("年度", "Fiscal year")}</span>
                    <select name="year" on:change=move |ev| {
                        navigate(&format!("/readiness?year={}", event_target_value(&ev)), Default::default());
                    }>
                        {move || offered_years().into_iter().map(|y| view! {
                            <option value=y.0.to_string() selected=move || chosen.get() == y>
                                {move || lang().pick(y.label_ja(), y.label_en())}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <A href=move || format!("/binder?year={}", chosen.get().0) attr:class="button primary open-binder">{tr!("立入検査用資料を印刷", "Print the inspection binder")}</A>
            </div>
            {move || state.get().map(|(r, reviews_at)| {
                let l = lang();
                let level = overall(&r.lines);
                let missing = r.lines.iter().filter(|x| !x.topic.advice() && x.level != Level::Green).count();
                let own = r.own_checklist.map(|id| format!("/checklists/{id}"));
                let summary = match level {
                    Level::Green => l.pick("準備できています".to_string(), "Ready".to_string()),
                    _ => l.pick(format!("あと {missing} 項目"), format!("{missing} things left")),
                };
                let (required, advice): (Vec<Line>, Vec<Line>) = r.lines.into_iter().partition(|x| !x.topic.advice());
                let row = move |line: Line| {
                    let link = href(line.topic, own.clone());
                    let as_of = (line.topic == Topic::LogReview).then(|| match reviews_at {
                        Some(at) => l.pick(format!("（{} 時点）", local_time(at)), format!(" (as of {})", local_time(at))),
                        None => l.pick(
                            "（サーバで未確認: 管理者がオンラインで開くと表示されます）".into(),
                            " (not heard from the server: shown once an administrator opens this online)".into(),
                        ),
                    });
                    let (topic, level) = (line.topic.key(), line.level.key());
                    let words = detail(&line, l);
                    view! {
                        <li class="readiness-line" data-topic=topic data-level=level>
                            <A href=link attr:class="readiness-link">
                                <span class="readiness-mark" aria-hidden="true">{mark(line.level)}</span>
                                <span class="readiness-text">
                                    <strong>{title(line.topic, l)}</strong>
                                    <span class="readiness-detail">{words}{as_of}</span>
                                </span>
                            </A>
                        </li>
                    }
                };
                let row2 = row.clone();
                view! {
                    <p class="readiness-overall card" data-level=level.key() role="status">
                        <span class="readiness-mark" aria-hidden="true">{mark(level)}</span>
                        <strong>{summary}</strong>
                    </p>
                    <ul class="readiness-lines">{required.into_iter().map(row).collect_view()}</ul>
                    <h2>{tr!("Mamori からの助言（手引きの必須ではありません）", "Mamori's advice (not required by the manual)")}</h2>
                    <ul class="readiness-lines advice">{advice.into_iter().map(row2).collect_view()}</ul>
                }
            })}
        </section>
    }
}
