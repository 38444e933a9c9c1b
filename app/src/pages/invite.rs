//! `/invite/<token>`: joining a facility by an administrator's invitation. Shows which facility and role it
//! is for, creates this person's passkey, then opens the facility on this device.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use mamori_shared::access::Role;
use mamori_shared::api::InvitationInfo;

use crate::account;
use crate::api::{self, NO_BODY};
use crate::error::AppError;
use crate::sync::use_sync;
use crate::{passkey, tr};

#[component]
pub fn InvitePage() -> impl IntoView {
    let sync = use_sync();
    let ws = crate::state::use_workspace();
    let navigate = use_navigate();
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let info = RwSignal::new(None::<Result<InvitationInfo, AppError>>);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    {
        let token = token.clone();
        spawn_local(async move {
            let path = format!("/api/invitations/{token}");
            let answer = api::call("GET", &path, NO_BODY)
                .await
                .and_then(|a| a.read::<InvitationInfo>());
            if let Ok(i) = &answer {
                name.set(i.name.clone());
            }
            info.set(Some(answer));
        });
    }
    // Someone already signed in here (a vendor's user invited by another facility) joins with that account.
    let me = RwSignal::new(None::<account::Me>);
    spawn_local(async move {
        if let Ok(m) = account::me().await {
            me.set(m);
        }
    });
    let after_join = {
        let navigate = navigate.clone();
        move |vendor: bool| {
            let navigate = navigate.clone();
            spawn_local(async move {
                sync.reconnect();
                account::refresh_me(ws);
                let index = account::me()
                    .await
                    .ok()
                    .flatten()
                    .and_then(|m| m.memberships.into_iter().find_map(|ms| ms.index_doc));
                match index {
                    Some(index) if !vendor => {
                        navigate(&format!("/join/{index}"), Default::default())
                    }
                    _ => navigate("/vendor", Default::default()),
                }
            });
        }
    };
    let accept_as_me = {
        let (token, after_join) = (token.clone(), after_join.clone());
        move |vendor: bool| {
            let (token, after_join) = (token.clone(), after_join.clone());
            busy.set(true);
            message.set(None);
            spawn_local(async move {
                match account::accept_invitation_as_me(&token).await {
                    Ok(()) => after_join(vendor),
                    Err(e) => message.set(Some(e.to_string())),
                }
                busy.set(false);
            });
        }
    };
    let join = move |_| {
        let (token, after_join) = (token.clone(), after_join.clone());
        let person = match account::entered_name(&name.get_untracked()) {
            Ok(n) => n,
            Err(e) => return message.set(Some(e.to_string())),
        };
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match account::accept_invitation(&token, &person).await {
                Ok(known) => {
                    if let Some(k) = &known {
                        account::now_signed_in(ws, k.person_id);
                    }
                    account::remember(known);
                    let vendor =
                        info.with_untracked(|i| matches!(i, Some(Ok(i)) if i.role == Role::Vendor));
                    after_join(vendor);
                }
                Err(e) => message.set(Some(e.to_string())),
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
                Some(Err(e)) => view! { <p class="error invite-problem" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(i)) => {
                    let role = i.role;
                    let facility = i.facility_name;
                    let join = join.clone();
                    let accept_as_me = accept_as_me.clone();
                    view! {
                        <p class="lead"><strong class="facility-name">{facility}</strong>
                            {tr!(" に ", " invites you as ")}
                            <strong class="role">{move || crate::i18n::lang().pick(role.label_ja(), role.label_en())}</strong>
                            {tr!(" として招待されています。", ".")}</p>
                        {move || me.get().map(|m| {
                            let accept_as_me = accept_as_me.clone();
                            view! {
                                <div class="as-me">
                                    <p>{tr!("サインイン中のアカウントで参加できます: ", "Join with the account signed in here: ")}<strong>{m.name}</strong></p>
                                    <button class="button primary accept-as-me" disabled=move || busy.get()
                                        on:click=move |_| accept_as_me(role == Role::Vendor)>
                                        {tr!("このアカウントで参加", "Join with this account")}
                                    </button>
                                    <p class="muted small">{tr!("別の人として参加する場合は、下で新しいパスキーを作成してください。", "To join as someone else, create a new passkey below.")}</p>
                                </div>
                            }
                        })}
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
