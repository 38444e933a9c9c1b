//! `/join/<facility index id>`: opens a facility that was set up on another device. The index is fetched
//! from the server, then every document it lists (see `sync::want_listed_documents`).
//!
//! The link grants nothing by itself: the server sends the documents only to a signed-in person whose role
//! allows them (invitations lead here after the new person's passkey is made).

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_params_map;
use mamori_shared::model::DocumentId;

use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::sync::{NetStatus, use_sync};
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
        (Some(index), None) => waiting(sync.status.get(), sync.unavailable.with(|u| u.contains(&index))),
    }
    }
}

/// While the facility's data has not arrived: receiving it, or why it cannot arrive and what to do (never
/// a "receiving…" that waits for ever).
fn waiting(status: NetStatus, unavailable: bool) -> AnyView {
    let (state, title, lead): (&str, (&str, &str), (&str, &str)) = match status {
        NetStatus::SignInNeeded => (
            "sign-in",
            ("サインインが必要です", "Sign-in needed"),
            (
                "施設のデータは、招待された人がサインインすると届きます。招待のリンクを開き直すか、サインインしてください。",
                "The facility's data arrives once an invited person signs in. Open the invitation link again, or sign in.",
            ),
        ),
        NetStatus::Refused => (
            "refused",
            (
                "施設のデータを受信できません",
                "The facility's data cannot arrive",
            ),
            (
                "サーバーがこの端末からの接続を拒否しました。画面上部の説明をご覧ください。",
                "The server refused this device's connection: see the explanation at the top of the screen.",
            ),
        ),
        NetStatus::Connected if unavailable => (
            "unavailable",
            (
                "施設のデータを受信できません",
                "The facility's data cannot arrive",
            ),
            (
                "サーバーにこの施設のデータがないか、サインインしている人にはこの施設を見る権限がありません。招待した管理者に確認してください。",
                "The server has no data for this facility, or the person signed in may not see it. Ask the administrator who invited you.",
            ),
        ),
        _ => (
            "receiving",
            ("施設のデータを受信中…", "Receiving the facility's data…"),
            (
                "サーバーに接続すると、この端末に施設のチェックリストが届きます。",
                "Once connected to the server, the facility's checklists arrive on this device.",
            ),
        ),
    };
    let signed_out = state == "sign-in";
    view! {
        <section class="page join-waiting" data-state=state>
            <h1>{move || crate::i18n::lang().pick(title.0, title.1)}</h1>
            <p class="lead">{move || crate::i18n::lang().pick(lead.0, lead.1)}</p>
            {signed_out.then(|| view! { <A href="/account" attr:class="button primary">{tr!("サインイン", "Sign in")}</A> })}
        </section>
    }
    .into_any()
}
