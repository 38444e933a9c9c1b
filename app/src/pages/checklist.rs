//! The checklist screen: one section at a time, each item a large touch target.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use mamori_shared::access::Role;
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::error::SchemaError;
use mamori_shared::model::DocumentId;

use crate::components::item_card::ItemCard;
use crate::error::AppError;
use crate::i18n::lang;
use crate::later::{Part, later};
use crate::state::checklist_title;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn ChecklistPage() -> impl IntoView {
    let ws = use_workspace();
    let params = use_params_map();
    let doc_id = Memo::new(move |_| params.read().get("id").and_then(|s| DocumentId::parse(&s)));
    let section = Memo::new(move |_| {
        params
            .read()
            .get("section")
            .and_then(|s| s.parse::<u8>().ok())
            .unwrap_or(1)
    });
    // Not on this device (yet) is not an error; a document here that does not read is (the error boundary).
    let loaded = Memo::new(move |_| {
        let id = doc_id.get()?;
        // The head only: answers are read by each item card, so answering one re-renders that card alone.
        match ws.checklist_head(id) {
            Ok(head) => Some(Ok(head)),
            Err(SchemaError::UnknownDocument(_)) => None,
            Err(e) => Some(Err(AppError::Unreadable {
                id,
                why: e.to_string(),
            })),
        }
    });
    // Opened without a connection: the access log hears of it on the next one (with this device's time).
    Effect::new(move |_| {
        if let Some(id) = doc_id.get()
            && crate::sync::use_sync().status.get_untracked() != crate::sync::NetStatus::Connected
        {
            crate::settings::use_settings().update(|s| {
                s.offline_opens.push((id, crate::state::now_ms()));
                let excess = s.offline_opens.len().saturating_sub(500);
                s.offline_opens.drain(..excess);
            });
        }
    });
    // Answers may have arrived from people this device has not seen yet: learn their names.
    let facility = Memo::new(move |_| {
        loaded.with(|d| match d {
            Some(Ok(d)) => Some(d.meta.facility_id),
            _ => None,
        })
    });
    Effect::new(move |_| {
        if let Some(f) = facility.get()
            && crate::account::role_at(f).is_some_and(|r| r != Role::Vendor)
        {
            leptos::task::spawn_local(crate::account::refresh_actor_names(f));
        }
    });
    // Vendor forms are often typed in from the vendor's paper answers: record that, by default.
    let on_behalf = RwSignal::new(true);

    move || -> Result<AnyView, AppError> {
        let Some(data) = loaded.get() else {
            return Ok(view! {
                <section class="page">
                    <h1>{tr!("チェックリストが見つかりません", "Checklist not found")}</h1>
                    <p>{tr!("このチェックリストはこの端末にありません。", "This checklist is not on this device.")}</p>
                    <A href="/">{tr!("ホームへ戻る", "Back to home")}</A>
                </section>
            }
            .into_any());
        };
        let data = data?;
        let Some(ed) = edition(&data.meta.edition) else {
            return Ok(edition_missing(&data).into_any());
        };
        let id = data.id;
        let form = data.meta.form;
        let sections = ed.form(form);
        let current = section.get();
        let meta = data.meta.clone();
        // A 閲覧者 gets no editing, nor does a document newer than this build.
        let read_only =
            data.too_new || crate::account::role_at(data.meta.facility_id) == Some(Role::Viewer);
        // The vendor's own user answers for itself, never "on its behalf".
        let vendor_user = crate::account::role_at(data.meta.facility_id) == Some(Role::Vendor);
        if vendor_user && on_behalf.get_untracked() {
            on_behalf.set(false);
        }
        let numbers: Vec<u8> = sections.iter().map(|s| s.number).collect();
        let pos = numbers.iter().position(|n| *n == current).unwrap_or(0);
        let prev = pos.checked_sub(1).map(|p| numbers[p]);
        let next = numbers.get(pos + 1).copied();
        let this = sections.into_iter().nth(pos);
        Ok(view! {
            <section class="page checklist" data-doc=id.to_string()>
                <header class="checklist-head">
                    <h1>{move || checklist_title(&meta)}</h1>
                    <p class="muted">{move || lang().pick(ed.title_ja(), ed.title_en())}</p>
                    {move || {
                        let state = crate::sync::use_sync().doc_state(id);
                        view! { <span class="sync-state" data-sync=state.code()>{state.label(lang())}</span> }
                    }}
                    <A href=format!("/checklists/{id}/print") attr:class="button small">{tr!("印刷用の表示", "Print view")}</A>
                </header>
                {read_only.then(|| view! {
                    <div class="banner banner-warn" role="alert">{tr!(
                        "このチェックリストは新しいバージョンのMamoriで保存されています。閲覧のみできます。Mamoriを更新してください。",
                        "This checklist was saved by a newer Mamori. It is read-only here: please update Mamori."
                    )}</div>
                })}
                {later(Part::Seal { id, read_only })}
                {later(Part::EditionMove { id, read_only })}
                {(form == FormKind::Vendor && !vendor_user).then(|| view! {
                    <label class="check proxy">
                        <input type="checkbox" prop:checked=on_behalf on:change=move |ev| on_behalf.set(event_target_checked(&ev)) />
                        {tr!("事業者の回答（紙など）を施設が代理入力している", "Entering the vendor's own answers (e.g. from paper) on its behalf")}
                    </label>
                })}
                {(form == FormKind::Vendor && vendor_user && !read_only).then(|| later(Part::CopyAnswers { to: id, meta: data.meta.clone() }))}
                <nav class="section-tabs" aria-label=tr!("セクション", "Sections")>
                    {numbers.iter().map(|n| {
                        let n = *n;
                        view! {
                            <A href=format!("/checklists/{id}/section/{n}") attr:class=move || if n == current { "tab active" } else { "tab" }
                                attr:aria-current=move || (n == current).then_some("page")>
                                {n}
                            </A>
                        }
                    }).collect_view()}
                </nav>
                {this.map(|s| view! {
                    <h2 class="section-title">{s.number}" "{move || lang().pick(s.title_ja, s.title_en)}</h2>
                    <ol class="items">
                        {s.items.into_iter().map(|item| view! {
                            <ItemCard doc=id item form fiscal_year=data.meta.fiscal_year read_only on_behalf />
                        }).collect_view()}
                    </ol>
                })}
                <nav class="section-pager">
                    {prev.map(|p| view! { <A href=format!("/checklists/{id}/section/{p}") attr:class="button">{"← "}{tr!("前のセクション", "Previous section")}</A> })}
                    <span class="spacer"></span>
                    {next.map(|n| view! { <A href=format!("/checklists/{id}/section/{n}") attr:class="button primary">{tr!("次のセクション", "Next section")}{" →"}</A> })}
                </nav>
            </section>
        }
        .into_any())
    }
}

/// A checklist in an edition this device does not have (loaded on the server after this device last
/// connected, or kept on another server): its answers, read-only, and what to do. Never an error: the
/// answers are the person's and are shown as they are.
fn edition_missing(data: &crate::state::ChecklistHead) -> impl IntoView + use<> {
    let edition_id = data.meta.edition.clone();
    let style = crate::settings::use_settings().with_untracked(|s| s.dates());
    let fmt = move |d: Option<mamori_shared::calendar::Date>| {
        d.map(|d| d.display(style)).unwrap_or_default()
    };
    let (ws, id) = (use_workspace(), data.id);
    let rows = move || -> Vec<_> {
        let answers = ws.checklist(id).map(|v| v.answers).unwrap_or_default();
        answers
            .iter()
            .map(|(item, a)| {
                let a = &a.current;
                (
                    item.to_string(),
                    a.choice.label_ja(),
                    fmt(a.checked_on),
                    fmt(a.target_on),
                )
            })
            .collect()
    };
    let meta = data.meta.clone();
    view! {
        <section class="page checklist" data-doc=data.id.to_string() data-edition-missing=edition_id.clone()>
            <h1>{move || checklist_title(&meta)}</h1>
            <div class="banner banner-warn edition-missing" role="alert">
                <p>{tr!("この端末には、このチェックリストの様式の版がありません", "This device does not have this checklist's edition of the form")}{format!("（{edition_id}）。")}</p>
                <p>{tr!(
                    "オンラインでサーバーに接続すると取得します。それまでは閲覧のみで、回答を変更することはできません。",
                    "It is fetched when the device connects to the server. Until then the checklist is read-only: answers cannot be changed."
                )}</p>
            </div>
            <table class="print-table answers-read-only">
                <thead><tr><th>{tr!("項番", "Item")}</th><th>{tr!("回答", "Answer")}</th><th>{tr!("確認日", "Checked")}</th><th>{tr!("目標日", "Target")}</th></tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(item, choice, checked, target)| view! {
                        <tr data-item=item.clone()><td>{item.clone()}</td><td>{choice}</td><td>{checked}</td><td>{target}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <A href="/">{tr!("ホームへ戻る", "Back to home")}</A>
        </section>
    }
}
