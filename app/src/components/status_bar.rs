//! The bar at the top of every screen: where you are, whether your changes are on the device, and the
//! language switch.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::Lang;
use crate::pwa::{safari_may_evict, use_pwa};
use crate::settings::use_settings;
use crate::state::{SaveState, use_workspace};
use crate::storage::StorageError;
use crate::sync::{NetStatus, Refusal};
use crate::tr;

#[component]
pub fn StatusBar() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let pwa = use_pwa();
    let sync = crate::sync::use_sync();
    let facility = move || ws.index().map(|i| i.facility.name).unwrap_or_default();
    // Where this device's data is, all documents together, in the words every screen uses.
    let where_now = move || {
        let ids: Vec<mamori_shared::model::DocumentId> = ws
            .with_docs(|docs| docs.keys().copied().collect())
            .unwrap_or_default();
        sync.overall(&ids)
    };
    let refused = move || sync.status.get() == NetStatus::Refused;
    let toggle_lang = move |_| {
        settings.update(|s| {
            s.lang = if s.lang == Lang::Ja {
                Lang::En
            } else {
                Lang::Ja
            }
        })
    };

    view! {
        <header class="topbar no-print">
            <A href="/" attr:class="brand">
                <span class="brand-mark" lang="ja">"守り"</span>
                <span class="brand-name">"Mamori"</span>
            </A>
            <span class="facility-name">{facility}</span>
            <A href="/emergency" attr:class="emergency-button" attr:aria-label=tr!("緊急連絡（連絡体制図）", "Emergency contacts")>
                <span aria-hidden="true">"☎"</span>" "{tr!("緊急連絡", "Emergency")}
            </A>
            <span class="spacer"></span>
            <span class="save-state" data-state=move || match ws.save.get() {
                SaveState::Saved => "saved",
                SaveState::Saving => "saving",
                SaveState::Failed(_) => "failed",
            } data-network=move || if pwa.online.get() { "online" } else { "offline" }
              data-where=move || if refused() { "refused" } else { where_now().code() }
              role="status" aria-live="polite">
                <span class="net-dot" aria-hidden="true"></span>
                {move || match ws.save.get() {
                    SaveState::Saving => tr!("保存中…", "Saving…")().to_string(),
                    SaveState::Failed(_) => tr!("未保存", "Not saved")().to_string(),
                    SaveState::Saved => {
                        let place = if refused() {
                            tr!("同期できません", "Cannot sync")()
                        } else {
                            where_now().label(crate::i18n::lang())
                        };
                        if pwa.online.get() {
                            place.to_string()
                        } else {
                            format!("{} — {place}", tr!("オフライン", "Offline")())
                        }
                    }
                }}
            </span>
            <A href="/settings" attr:class="icon-button" attr:aria-label=tr!("設定", "Settings")>"⚙"</A>
            <button class="lang-switch" on:click=toggle_lang aria-label="Language">
                // Each language's name in itself (marked, so a reader pronounces 日本語 as Japanese).
                {move || if settings.with(|s| s.lang == Lang::Ja) {
                    view! { <span lang="en">"English"</span> }
                } else {
                    view! { <span lang="ja">"日本語"</span> }
                }}
            </button>
        </header>
        <Show when=move || pwa.update_ready.get()>
            <div class="banner banner-update no-print" role="status">
                <span>{tr!("新しいバージョンがあります", "A new version is available")}</span>
                <button class="button primary update-reload" on:click=move |_| pwa.apply_update()>
                    {tr!("再読み込み", "Reload")}
                </button>
            </div>
        </Show>
        {move || sync.refusal.get().and_then(|r| match r {
            Refusal::OtherOrigin { here, expected } => Some(view! {
                <div class="banner banner-error no-print refused-banner" role="alert">
                    <p>{format!(
                        "サーバーがこの端末からの同期を拒否しました。このサーバーは {expected} で開くように設定されているため、このアドレス（{here}）からは同期もサインインもできません。{expected} を開いてください。正しいアドレスを開いているのにこの表示が出る場合は、サーバーを起動した人に公開URL（--public-url）の設定を確認してもらってください。入力した内容はこの端末に保存されていますが、サーバーには届いていません。"
                    )}</p>
                    <p lang="en" class="small">{format!(
                        "The server refused to sync with this device: it is set up to be opened at {expected}, so from this address ({here}) nothing syncs and no one can sign in. Open {expected}. If that is the address you opened, ask whoever runs the server to check its public URL (--public-url). What you enter is kept on this device but has not reached the server."
                    )}</p>
                    <a href=expected.clone() class="button">{format!("{expected} を開く")}</a>
                </div>
            }),
            Refusal::SignInNeeded => None,
        })}
        {move || (sync.status.get() == NetStatus::SignInNeeded).then(|| view! {
            <div class="banner banner-warn no-print sign-in-banner" role="status">
                <span>{tr!(
                    "サーバーと同期するにはサインインしてください（入力はこの端末に保存されています）。",
                    "Sign in to sync with the server (what you enter is kept on this device)."
                )}</span>" "
                <A href="/account">{tr!("サインイン", "Sign in")}</A>
            </div>
        })}
        {move || (!ws.set_aside.with(Vec::is_empty)).then(|| view! {
            <div class="banner banner-warn no-print set-aside-banner" role="alert">
                <span>{tr!(
                    "サーバーが受け付けなかった変更があります（この端末に保管しています）。",
                    "Some changes were not accepted by the server (kept on this device)."
                )}" "{move || ws.set_aside.with(Vec::len)}</span>" "
                <A href="/set-aside">{tr!("確認する", "Review")}</A>
            </div>
        })}
        {safari_may_evict().then(|| view! {
            <div class="banner banner-warn no-print" role="note">
                {tr!(
                    "iPad・iPhone の Safari では、7日間開かないとこの端末のデータが削除されることがあります。共有ボタン（□↑）から「ホーム画面に追加」して、ホーム画面の「守り」から開いてください。",
                    "Safari on iPad and iPhone may delete this device's data after 7 days without a visit. Use the Share button (□↑) → “Add to Home Screen”, and open Mamori from the home screen."
                )}
            </div>
        })}
        {move || match ws.save.get() {
            SaveState::Failed(err) => Some(view! {
                <div class="banner banner-error no-print" role="alert">
                    <p>{match err {
                        StorageError::QuotaExceeded => tr!(
                            "端末の保存容量がいっぱいのため、最新の変更を保存できませんでした。これまでに保存した内容は残っています。不要なアプリやデータを削除してから「もう一度保存」を押してください。このタブは閉じないでください。",
                            "The device storage is full, so the latest change could not be saved. Everything saved before is safe. Free some space, then press “Save again”. Do not close this tab."
                        )().to_string(),
                        StorageError::Failed(detail) => format!("{} ({detail})", tr!(
                            "変更を端末に保存できませんでした。このタブは閉じないでください。",
                            "The change could not be saved on this device. Do not close this tab."
                        )()),
                    }}</p>
                    <button class="button" on:click=move |_| ws.retry_saves()>{tr!("もう一度保存", "Save again")}</button>
                </div>
            }),
            _ => None,
        }}
    }
}
