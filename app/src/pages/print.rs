//! The print view: the filled-in checklist laid out on A4 like the official form, through the browser's
//! print dialog (which works offline too).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use mamori_shared::answer::Choice;
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::model::DocumentId;

use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::tr;

/// The form's printed title.
fn form_heading(form: FormKind) -> &'static str {
    match form {
        FormKind::Medical => "医療機関におけるサイバーセキュリティ対策チェックリスト",
        FormKind::Pharmacy => "薬局におけるサイバーセキュリティ対策チェックリスト",
        FormKind::Vendor => "医療機関等におけるサイバーセキュリティ対策チェックリスト",
    }
}

#[component]
pub fn PrintPage() -> impl IntoView {
    let params = use_params_map();
    let doc_id = Memo::new(move |_| params.read().get("id").and_then(|s| DocumentId::parse(&s)));
    move || {
        let id = doc_id.get()?;
        Some(view! {
            <div class="print-toolbar no-print">
                <A href=format!("/checklists/{id}") attr:class="button">{"← "}{tr!("チェックリストへ戻る", "Back to the checklist")}</A>
                <button class="button primary" on:click=move |_| { let _ = window().print(); }>{tr!("印刷する", "Print")}</button>
            </div>
            <ChecklistSheet id />
        })
    }
}

/// One checklist laid out like the official form (the print view, and a part of the 立入検査 binder).
#[component]
pub fn ChecklistSheet(id: DocumentId) -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    move || {
        let data = ws.checklist(id).ok()?;
        let ed = edition(&data.meta.edition)?;
        let idx = ws.index()?;
        let style = settings.with(|s| s.date_style);
        let form = data.meta.form;
        let fmt = move |d: Option<mamori_shared::calendar::Date>| {
            d.map(|d| d.display(style)).unwrap_or_default()
        };
        Some(view! {
            <article class="print-sheet" lang="ja">
                <header class="print-head">
                    <p class="print-form">{form.title_ja()}</p>
                    <h1>{form_heading(form)}</h1>
                    <p class="print-meta">
                        <span>{data.meta.fiscal_year.label_ja()}</span>
                        <span class="print-edition">{ed.name_ja().to_string()}</span>
                    </p>
                    <table class="print-who">
                        <tbody>
                            <tr><th>"施設名"</th><td>{idx.facility.name.clone()}</td></tr>
                            {(form == FormKind::Vendor).then(|| view! {
                                <tr><th>"事業者名"</th><td class="vendor-name">{data.meta.vendor_name.clone()}</td></tr>
                            })}
                        </tbody>
                    </table>
                </header>
                {ed.form(form).into_iter().map(|section| view! {
                    <table class="print-table">
                        <caption>{format!("{} {}", section.number, section.title_ja)}</caption>
                        // The same widths in every section's table (table-layout: fixed in print).
                        <colgroup>
                            <col class="col-id" />
                            <col class="col-text" />
                            <col class="col-answer" />
                            <col class="col-date" />
                            <col class="col-date" />
                        </colgroup>
                        <thead>
                            <tr>
                                <th class="col-id">"項番"</th>
                                <th class="col-text">"チェック項目"</th>
                                <th class="col-answer">"回答"</th>
                                <th class="col-date">"確認日"</th>
                                <th class="col-date">"目標日"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {section.items.into_iter().map(|item| {
                                let answer = data.answers.get(&item.id).map(|a| a.current.clone());
                                let choice = answer.as_ref().map(|a| a.choice);
                                let scopes: Vec<&str> = item.scopes.iter().map(|s| s.label_ja()).collect();
                                view! {
                                    <tr data-item=item.id.to_string()>
                                        <td class="col-id">{item.id.to_string()}</td>
                                        <td class="col-text">
                                            {item.text}
                                            {(!scopes.is_empty()).then(|| format!("（{}）", scopes.join("、")))}
                                            {item.note.map(|n| view! { <br /><span class="print-note">{n}</span> })}
                                            {answer.as_ref().filter(|a| !a.note.is_empty() || !a.reason.is_empty()).map(|a| view! {
                                                <br /><span class="print-memo">{format!("メモ: {}{}", a.reason, a.note)}</span>
                                            })}
                                        </td>
                                        <td class="col-answer">
                                            {match choice {
                                                Some(Choice::NotRequired) => view! { <span class="circled">"記入不要"</span> }.into_any(),
                                                Some(Choice::NotApplicable) => view! { <span class="circled">"対象外"</span> }.into_any(),
                                                c => view! {
                                                    <span class=if c == Some(Choice::Yes) { "opt circled" } else { "opt" }>"はい"</span>
                                                    "・"
                                                    <span class=if c == Some(Choice::No) { "opt circled" } else { "opt" }>"いいえ"</span>
                                                }.into_any(),
                                            }}
                                        </td>
                                        <td class="col-date">{fmt(answer.as_ref().and_then(|a| a.checked_on))}</td>
                                        <td class="col-date">{fmt(answer.as_ref().and_then(|a| a.target_on))}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }).collect_view()}
                {data.seal.as_ref().map(|seal| crate::components::seal::seal_print(seal, ed, &data))}
                <footer class="print-foot">
                    {form.is_institution().then_some("※事業者と契約していない場合には、2-②及び2-③の記入は不要です。")}
                    <p>"「いいえ」の場合は、対策の実施にかかる目標日を記入してください。"</p>
                    <p class="muted">{format!("Mamori で作成（{}）", crate::state::today().display(style))}</p>
                </footer>
            </article>
        })
    }
}
