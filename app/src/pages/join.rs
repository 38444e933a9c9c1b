//! `/join/<facility index id>`: opens a facility that was set up on another device. The index is fetched
//! from the server, then every document it lists (see `sync::want_listed_documents`).
//!
//! The link grants nothing by itself: the server sends the documents only to a signed-in person whose role
//! allows them (invitations lead here after the new person's passkey is made).

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;
use mamori_shared::model::DocumentId;

use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::sync::use_sync;
use crate::tr;

#[component]
pub fn JoinPage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let sync = use_sync();
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|s| DocumentId::parse(&s)));
    if let Some(id) = id {
        settings.update(|s| s.facility_index = Some(id));
        sync.want(id);
    }
    move || {
        match (id, ws.index()) {
        (None, _) => view! { <p class="error">{tr!("このリンクは正しくありません。", "This link is not valid.")}</p> }.into_any(),
        (Some(_), Some(_)) => view! { <Redirect path="/" /> }.into_any(),
        (Some(_), None) => view! {
            <section class="page">
                <h1>{tr!("施設のデータを受信中…", "Receiving the facility's data…")}</h1>
                <p class="lead">{tr!(
                    "サーバーに接続すると、この端末に施設のチェックリストが届きます。",
                    "Once connected to the server, the facility's checklists arrive on this device."
                )}</p>
            </section>
        }
        .into_any(),
    }
    }
}
