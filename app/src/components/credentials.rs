//! On サインイン: the signed-in person's passkeys (add one for another device, remove one) and recovery codes
//! (make a new set, shown once); and, signed out, signing in with a recovery code when every passkey is
//! lost. The server asks for a fresh passkey proof before each change here; the app asks the person for it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::api::{PasskeyInfo, Passkeys, RecoveryCodes, RecoveryCodesLeft};

use crate::account::{self, KnownPerson};
use crate::api::{self, NO_BODY};
use crate::settings::use_settings;
use crate::state::format_time;
use crate::tr;

#[component]
pub fn Credentials() -> impl IntoView {
    let passkeys = RwSignal::new(Vec::<PasskeyInfo>::new());
    let remaining = RwSignal::new(None::<i64>);
    let codes = RwSignal::new(Vec::<String>::new());
    let message = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    let load = move || {
        spawn_local(async move {
            if let Ok(a) = api::call("GET", "/api/passkeys", NO_BODY).await
                && a.ok()
            {
                passkeys.set(a.read::<Passkeys>().map(|p| p.passkeys).unwrap_or_default());
            }
            if let Ok(a) = api::call("GET", "/api/recovery-codes", NO_BODY).await
                && a.ok()
            {
                remaining.set(a.read::<RecoveryCodesLeft>().ok().map(|r| r.remaining));
            }
        });
    };
    load();

    let add = move |_| {
        let name = match account::entered_name(&new_name.get_untracked()) {
            Ok(n) => n,
            Err(_) => {
                return message.set(Some(
                    "パスキーの名前を入力してください（例: 受付のiPad）(name the passkey)".into(),
                ));
            }
        };
        busy.set(true);
        spawn_local(async move {
            match account::add_passkey(&name).await {
                Ok(()) => {
                    new_name.set(String::new());
                    message.set(Some("パスキーを追加しました (passkey added)".into()));
                    load();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match account::sensitive("DELETE", &format!("/api/passkeys/{id}"), NO_BODY).await {
                Ok(a) if a.ok() => {
                    message.set(None);
                    load();
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let make_codes = move |_| {
        if remaining.get_untracked().unwrap_or(0) > 0
            && !window()
                .confirm_with_message(
                    "今の回復コードは使えなくなります。新しいコードを作成しますか？",
                )
                .unwrap_or(false)
        {
            return;
        }
        spawn_local(async move {
            match account::sensitive("POST", "/api/recovery-codes", NO_BODY).await {
                Ok(a) if a.ok() => {
                    codes.set(
                        a.read::<RecoveryCodes>()
                            .map(|r| r.codes)
                            .unwrap_or_default(),
                    );
                    message.set(None);
                    load();
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <section class="credentials">
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <h2>{tr!("パスキー", "Passkeys")}</h2>
            <ul class="passkey-list">
                {move || {
                    let style = use_settings().with(|s| s.dates());
                    passkeys.get().into_iter().enumerate().map(|(n, p)| {
                        let id = p.id;
                        let name = Some(p.name).filter(|s| !s.is_empty())
                            .unwrap_or_else(|| format!("パスキー {}", n + 1));
                        let used = p.last_used_at.unwrap_or(p.created_at);
                        view! {
                            <li class="passkey-row">
                                <span class="name">{name}</span>
                                <span class="muted small">{tr!(" 最終使用 ", " last used ")}{format_time(used, style)}</span>
                                <button class="button secondary remove-passkey" on:click=move |_| remove(id.clone())>
                                    {tr!("削除", "Remove")}</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
            <div class="form add-passkey-form">
                <label class="field">
                    <span>{tr!("新しいパスキーの名前（端末の名前など）", "Name for the new passkey (e.g. the device)")}</span>
                    <input type="text" class="passkey-name" prop:value=move || new_name.get()
                        on:input=move |ev| new_name.set(event_target_value(&ev)) />
                </label>
                <button class="button add-passkey" disabled=move || busy.get() on:click=add>
                    {tr!("パスキーを追加", "Add a passkey")}</button>
            </div>

            <h2>{tr!("回復コード", "Recovery codes")}</h2>
            <p class="muted small">{tr!(
                "すべてのパスキーを失ったときに、1つにつき1回だけサインインに使えます。印刷するか書き写して、端末とは別の安全な場所に保管してください。",
                "If every passkey is lost, each code signs you in once. Print or copy them and keep them somewhere safe, away from your devices."
            )}</p>
            <p class="codes-left">{tr!("未使用のコード: ", "Unused codes: ")}{move || remaining.get().unwrap_or(0)}</p>
            {move || (!codes.get().is_empty()).then(|| view! {
                <div class="new-codes">
                    <p><strong>{tr!("このコードは今だけ表示されます。", "These codes are shown only now.")}</strong></p>
                    <ol class="recovery-codes">
                        {codes.get().into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ol>
                </div>
            })}
            <button class="button secondary make-recovery-codes" on:click=make_codes>
                {tr!("回復コードを作成", "Make recovery codes")}</button>
        </section>
    }
}

/// Signing in with a recovery code (any device: the code names its person). `on_done` runs after success.
#[component]
pub fn RecoverySignIn(on_done: Callback<()>) -> impl IntoView {
    let ws = crate::state::use_workspace();
    let code = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let go = move |_| {
        let typed = code.get_untracked();
        spawn_local(async move {
            match account::sign_in_with_code(&typed).await {
                Ok(person) => {
                    account::now_signed_in(ws, person);
                    code.set(String::new());
                    if let Ok(Some(me)) = account::me().await {
                        account::remember(Some(KnownPerson {
                            person_id: person,
                            name: me.name,
                        }));
                    }
                    message.set(Some(
                        "サインインしました。新しいパスキーを追加してください (signed in: add a new passkey now)".into(),
                    ));
                    on_done.run(());
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <details class="recovery-sign-in">
            <summary>{tr!("パスキーをなくした場合（回復コードでサインイン）", "Lost your passkeys? Sign in with a recovery code")}</summary>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <label class="field">
                <span>{tr!("回復コード", "Recovery code")}</span>
                <input type="text" class="recovery-code" autocomplete="one-time-code" placeholder="XXXX-XXXX-XXXX-XXXX"
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            </label>
            <button class="button sign-in-with-code" on:click=go>{tr!("サインイン", "Sign in")}</button>
        </details>
    }
}
