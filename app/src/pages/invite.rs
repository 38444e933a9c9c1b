//! `/invite/<token>`: joining a facility by an administrator's invitation. Shows which facility and role it
//! is for, creates this person's passkey, then opens the facility on this device.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use mamori_shared::access::Role;

use crate::account;
use crate::api;
use crate::sync::use_sync;
use crate::{passkey, tr};

#[component]
pub fn InvitePage() -> impl IntoView {
    let sync = use_sync();
    let navigate = use_navigate();
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let info = RwSignal::new(None::<Result<serde_json::Value, String>>);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    {
        let token = token.clone();
        spawn_local(async move {
            let answer = match api::call("GET", &format!("/api/invitations/{token}"), None).await {
                Ok(a) if a.ok() => {
                    name.set(a.body["name"].as_str().unwrap_or_default().to_string());
                    Ok(a.body)
                }
                Ok(a) => Err(a.error()),
                Err(e) => Err(e),
            };
            info.set(Some(answer));
        });
    }
    let join = move |_| {
        let (token, navigate) = (token.clone(), navigate.clone());
        let person = match account::entered_name(&name.get_untracked()) {
            Ok(n) => n,
            Err(e) => return message.set(Some(e)),
        };
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match account::accept_invitation(&token, &person).await {
                Ok(known) => {
                    account::remember(known);
                    sync.reconnect();
                    let index = account::me()
                        .await
                        .ok()
                        .flatten()
                        .and_then(|m| m.memberships.into_iter().find_map(|ms| ms.index_doc));
                    match index {
                        Some(index) => navigate(&format!("/join/{index}"), Default::default()),
                        None => message.set(Some(
                            "参加しました。事業者の方は依頼された事業者確認用を開けます（画面は準備中です）。 (Joined.)".into(),
                        )),
                    }
                }
                Err(e) => message.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="page invite">
            <h1>{tr!("招待", "Invitation")}</h1>
            {passkey::unavailable_reason().map(|why| view! { <p class="warning" role="alert">{why}</p> })}
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || match info.get() {
                None => view! { <p class="loading">{tr!("確認中…", "Checking…")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error invite-problem" role="alert">{e}</p> }.into_any(),
                Some(Ok(i)) => {
                    let role = i["role"].as_str().and_then(Role::parse).unwrap_or(Role::Viewer);
                    let facility = i["facility_name"].as_str().unwrap_or_default().to_string();
                    let join = join.clone();
                    view! {
                        <p class="lead"><strong class="facility-name">{facility}</strong>
                            {tr!(" に ", " invites you as ")}
                            <strong class="role">{move || crate::i18n::lang().pick(role.label_ja(), role.label_en())}</strong>
                            {tr!(" として招待されています。", ".")}</p>
                        <label class="field">
                            <span>{tr!("あなたのお名前", "Your name")}</span>
                            <input type="text" class="person-name" prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev)) />
                        </label>
                        <p class="muted">{tr!(
                            "この端末の指紋・顔認証・PINでパスキーを作成します。パスワードはありません。",
                            "You will create a passkey with this device's fingerprint, face or PIN. There is no password."
                        )}</p>
                        <button class="button accept-invitation" disabled=move || busy.get() on:click=join>
                            {tr!("パスキーを作成して参加", "Create a passkey and join")}
                        </button>
                    }.into_any()
                }
            }}
        </section>
    }
}
