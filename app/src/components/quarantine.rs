//! 返却された変更 (for the 管理者, on 利用者の管理): changes a departed person's device handed back, held apart
//! on the server until someone decides. Accepting merges a set into the document for everyone; discarding
//! keeps it out. The server checks both; this list only offers them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::api::{HandBackSummary, Quarantine, QuarantinedSet};
use mamori_shared::model::FacilityId;

use crate::api::{self, NO_BODY};
use crate::settings::use_settings;
use crate::state::{format_time, use_workspace};
use crate::tr;

#[component]
pub fn QuarantineList(facility: FacilityId) -> impl IntoView {
    let ws = use_workspace();
    let sets = RwSignal::new(Vec::<QuarantinedSet>::new());
    let message = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            let path = format!("/api/facilities/{facility}/quarantine");
            match api::call("GET", &path, NO_BODY).await {
                Ok(a) if a.ok() => sets.set(
                    a.read::<Quarantine>()
                        .map(|q| q.quarantine)
                        .unwrap_or_default(),
                ),
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    load();
    let decide = move |id: String, verb: &'static str| {
        spawn_local(async move {
            let path = format!("/api/facilities/{facility}/quarantine/{id}/{verb}");
            // Accepting merges data for everyone: the server wants a fresh passkey proof (asked for here).
            match crate::account::sensitive("POST", &path, NO_BODY).await {
                Ok(a) if a.ok() => {
                    message.set(None);
                    load();
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    // What a set is about, from this device's index (the summary when the index does not list it).
    let title = move |set: &QuarantinedSet| {
        let listed = ws.index().and_then(|i| {
            i.documents
                .values()
                .find(|e| e.id == set.doc_id)
                .and_then(|e| e.checklist.clone())
        });
        match listed {
            Some(meta) => crate::state::checklist_title(&meta),
            None if matches!(set.summary, Some(HandBackSummary::Checklist { .. })) => {
                crate::i18n::lang()
                    .pick("チェックリスト", "Checklist")
                    .to_string()
            }
            None => crate::i18n::lang()
                .pick("施設の情報", "Facility details")
                .to_string(),
        }
    };

    view! {
        <section class="quarantine">
            <h2>{tr!("返却された変更", "Changes handed back")}</h2>
            <p class="muted small">{tr!(
                "利用を終了した人の端末が、次の接続時に未同期の変更をここへ返却します。内容を確認して、取り込むか破棄してください。",
                "When a departed person's device next connects, it hands its unsynced changes back here. Review them, then accept or discard each set."
            )}</p>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || {
                let all = sets.get();
                if all.is_empty() {
                    return view! { <p class="muted quarantine-empty">{tr!("ありません", "None")}</p> }.into_any();
                }
                let style = use_settings().with(|s| s.dates());
                view! {
                    <ul class="quarantine-list">
                        {all.into_iter().map(|set| {
                            let id = set.id.clone();
                            let decision = set.decision.clone();
                            let items: Vec<String> = match &set.summary {
                                Some(HandBackSummary::Checklist { items, .. }) => {
                                    items.iter().map(|i| i.as_str().to_string()).collect()
                                }
                                _ => Vec::new(),
                            };
                            let (accept_id, discard_id) = (id.clone(), id.clone());
                            view! {
                                <li class="quarantine-row" data-decision=decision.clone().unwrap_or_default()>
                                    <div class="what"><strong>{title(&set)}</strong></div>
                                    <div class="who muted small">
                                        {set.person_name.clone()}
                                        " · " {format_time(set.received_at, style)}
                                        " · " {set.changes} {tr!(" 件の変更", " changes")}
                                    </div>
                                    {(!items.is_empty()).then(|| view! {
                                        <div class="items small">{tr!("変わる項目: ", "Items changed: ")}{items.join("、")}</div>
                                    })}
                                    {match decision.as_deref() {
                                        Some("accepted") => view! { <span class="decided">{tr!("取り込み済み", "Accepted")}</span> }.into_any(),
                                        Some(_) => view! { <span class="decided">{tr!("破棄済み", "Discarded")}</span> }.into_any(),
                                        None => view! {
                                            <div class="actions">
                                                <button class="button accept-quarantine" on:click=move |_| decide(accept_id.clone(), "accept")>
                                                    {tr!("取り込む", "Accept")}</button>
                                                <button class="button secondary discard-quarantine" on:click=move |_| decide(discard_id.clone(), "discard")>
                                                    {tr!("破棄する", "Discard")}</button>
                                            </div>
                                        }.into_any(),
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
