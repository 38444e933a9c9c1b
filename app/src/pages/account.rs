//! サインイン: who is signed in on this device, signing in with a passkey (choosing among the people who used
//! this device), signing out, and registering this device's facility on the server as its first 管理者.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use mamori_shared::access::Role;

use crate::account::{self, KnownPerson, Me};
use crate::components::credentials::{Credentials, RecoverySignIn};
use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::{passkey, tr};

#[component]
pub fn AccountPage() -> impl IntoView {
    let settings = use_settings();
    let ws = use_workspace();
    let sync = crate::sync::use_sync();
    let me = RwSignal::new(None::<Me>);
    let checked = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let name = RwSignal::new(settings.with_untracked(|s| s.user_name.clone()));
    // From the server's set-up link, when this device opened it.
    let code =
        RwSignal::new(settings.with_untracked(|s| s.registration_code.clone().unwrap_or_default()));

    let refresh = move || {
        spawn_local(async move {
            match account::me().await {
                Ok(m) => {
                    me.set(m);
                    checked.set(true);
                }
                Err(e) => {
                    message.set(Some(e.to_string()));
                    checked.set(true);
                }
            }
        })
    };
    refresh();

    let register = move |_| {
        let (Some(index), Some(index_id)) = (ws.index(), ws.index_id()) else {
            return;
        };
        let person = match account::entered_name(&name.get_untracked()) {
            Ok(n) => n,
            Err(e) => return message.set(Some(e.to_string())),
        };
        let code = code.get_untracked().trim().to_string();
        if code.is_empty() {
            return message.set(Some(
                "登録コードを入力してください。サーバーを起動した人が持っています (enter the registration code: whoever runs the server has it)".into(),
            ));
        }
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match account::register_facility(&index.facility, index_id, &person, &code).await {
                Ok(p) => {
                    if let Some(k) = &p {
                        account::now_signed_in(ws, k.person_id);
                    }
                    account::remember(p);
                    settings.update(|s| s.registration_code = None);
                    message.set(Some("サーバーに登録しました (registered)".into()));
                    sync.reconnect();
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    let sign_in = move |p: KnownPerson| {
        busy.set(true);
        message.set(None);
        spawn_local(async move {
            match account::sign_in(p.person_id).await {
                Ok(()) => {
                    // Before anything else syncs or is edited: this person's own actor.
                    account::now_signed_in(ws, p.person_id);
                    settings.update(|s| s.user_name = p.name.clone());
                    sync.reconnect();
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    let sign_out = move |_| {
        spawn_local(async move {
            // What this person just did reaches the server under their session first.
            sync.settle(3000).await;
            let _ = account::sign_out().await;
            me.set(None);
            sync.reconnect();
        })
    };

    view! {
        <section class="page account">
            <h1>{tr!("サインイン", "Sign in")}</h1>
            {passkey::unavailable_reason().map(|why| view! { <p class="warning" role="alert">{why}</p> })}
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || match me.get() {
                Some(m) => {
                    let facility = ws.index().map(|i| i.facility.id);
                    let admin = facility.and_then(|f| m.role_at(f)) == Some(Role::Admin);
                    view! {
                        <div class="signed-in">
                            <p>{tr!("サインイン中: ", "Signed in as ")}<strong class="me">{m.name.clone()}</strong></p>
                            <ul class="memberships">
                                {m.memberships.iter().map(|ms| {
                                    let role = ms.role;
                                    view! { <li>{ms.facility_name.clone().unwrap_or_default()}" — "
                                        {move || crate::i18n::lang().pick(role.label_ja(), role.label_en())}</li> }
                                }).collect_view()}
                            </ul>
                            {admin.then(|| view! {
                                <A href="/people" attr:class="button">{tr!("利用者の管理", "People")}</A>
                                <A href="/log" attr:class="button access-log-link">{tr!("アクセスログ", "Access log")}</A>
                            })}
                            <button class="button secondary sign-out" on:click=sign_out>{tr!("サインアウト", "Sign out")}</button>
                            <Credentials />
                        </div>
                    }.into_any()
                }
                None => view! {
                    <div class="signed-out">
                        {move || (checked.get() && !settings.with(|s| s.known_people.is_empty())).then(|| view! {
                            <h2>{tr!("この端末の利用者", "People on this device")}</h2>
                            <ul class="people-choice">
                                {settings.with(|s| s.known_people.clone()).into_iter().map(|p| {
                                    let label = p.name.clone();
                                    view! { <li><button class="button person" disabled=move || busy.get()
                                        on:click=move |_| sign_in(p.clone())>{label}</button></li> }
                                }).collect_view()}
                            </ul>
                        })}
                        <RecoverySignIn on_done=Callback::new(move |()| {
                            sync.reconnect();
                            refresh();
                        }) />
                        {move || ws.index().map(|index| view! {
                            <div class="register">
                                <h2>{tr!("この施設をサーバーに登録する（最初の管理者）", "Register this facility on the server (first administrator)")}</h2>
                                <p class="muted">{index.facility.name.clone()}</p>
                                <label class="field">
                                    <span>{tr!("あなたのお名前", "Your name")}</span>
                                    <input type="text" class="person-name" prop:value=move || name.get()
                                        on:input=move |ev| name.set(event_target_value(&ev)) />
                                </label>
                                <label class="field">
                                    <span>{tr!("登録コード（サーバーを起動した人が持っています）", "Registration code (whoever runs the server has it)")}</span>
                                    <input type="text" class="registration-code" autocomplete="off" spellcheck="false"
                                        prop:value=move || code.get()
                                        on:input=move |ev| code.set(event_target_value(&ev)) />
                                </label>
                                <button class="button register-facility" disabled=move || busy.get() on:click=register>
                                    {tr!("パスキーを作成して登録", "Create a passkey and register")}
                                </button>
                            </div>
                        })}
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
