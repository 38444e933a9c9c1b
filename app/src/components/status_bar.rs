//! The bar at the top of every screen: where you are, whether your changes are on the device, and the
//! language switch.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::Lang;
use crate::pwa::{safari_may_evict, use_pwa};
use crate::settings::use_settings;
use crate::state::{SaveState, use_workspace};
use crate::storage::StorageError;
use crate::sync::NetStatus;
use crate::tr;

#[component]
pub fn StatusBar() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let pwa = use_pwa();
    let sync = crate::sync::use_sync();
    let facility = move || ws.index().map(|i| i.facility.name).unwrap_or_default();
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
                <span class="brand-mark">"守り"</span>
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
              role="status" aria-live="polite">
                <span class="net-dot" aria-hidden="true"></span>
                {move || match (ws.save.get(), pwa.online.get()) {
                    (SaveState::Saving, _) => tr!("保存中…", "Saving…")(),
                    (SaveState::Failed(_), _) => tr!("未保存", "Not saved")(),
                    (SaveState::Saved, true) => tr!("この端末に保存済み", "Saved on this device")(),
                    (SaveState::Saved, false) => tr!("オフライン — この端末に保存済み", "Offline — saved on this device")(),
                }}
            </span>
            <A href="/settings" attr:class="icon-button" attr:aria-label=tr!("設定", "Settings")>"⚙"</A>
            <button class="lang-switch" on:click=toggle_lang aria-label="Language">
                {move || if settings.with(|s| s.lang == Lang::Ja) { "English" } else { "日本語" }}
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
