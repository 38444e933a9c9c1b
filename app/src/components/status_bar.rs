//! The bar at the top of every screen: where you are, whether your changes are on the device, and the
//! language switch.

use gloo_storage::{SessionStorage, Storage};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::Lang;
use crate::pwa::{safari_may_evict, use_pwa};
use crate::settings::use_settings;
use crate::state::{SaveState, use_workspace};
use crate::storage::StorageError;
use crate::sync::{NetStatus, Refusal};
use crate::tr;

/// The sign-in reminder's key among the banners closed in this browser session.
const SIGN_IN_BANNER: &str = "sign-in";
/// sessionStorage: the banners closed in this browser session (a new session shows them again).
const DISMISSED_KEY: &str = "mamori.dismissed";

fn dismissed_in_session(banner: &str) -> bool {
    SessionStorage::get::<Vec<String>>(DISMISSED_KEY).is_ok_and(|l| l.iter().any(|b| b == banner))
}

fn dismiss_for_session(banner: &str) {
    let mut list: Vec<String> = SessionStorage::get(DISMISSED_KEY).unwrap_or_default();
    list.push(banner.to_string());
    // A failure here only shows the reminder again on the next page.
    let _ = SessionStorage::set(DISMISSED_KEY, list);
}

/// The × that closes a reminder banner.
#[component]
pub fn CloseBanner(on_close: impl Fn() + 'static) -> impl IntoView {
    view! {
        <button type="button" class="banner-close" aria-label=tr!("閉じる", "Close") title=tr!("閉じる", "Close")
            on:click=move |_| on_close()>
            <span aria-hidden="true">"×"</span>
        </button>
    }
}

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
    // Banners that only remind may be closed: the update offer until the next page load, the sign-in
    // reminder for this browser session (the top bar still says サインイン), the Safari note for good. A
    // banner about data that is not saved or not accepted has no close button.
    let update_dismissed = RwSignal::new(false);
    let sign_in_dismissed = RwSignal::new(dismissed_in_session(SIGN_IN_BANNER));
    let toggle_lang = move |_| {
        settings.update(|s| {
            s.lang = if s.lang == Lang::Ja {
                Lang::En
            } else {
                Lang::Ja
            }
        })
    };

    // What the pill says, whole or short (a phone's top bar has room for a word or two).
    let save_label = move |short: bool| -> String {
        let pick = |whole: &'static str, brief: &'static str| if short { brief } else { whole };
        match ws.save.get() {
            SaveState::Saving => tr!("保存中…", "Saving…")().to_string(),
            SaveState::Failed(_) => tr!("未保存", "Not saved")().to_string(),
            SaveState::Saved => {
                let lang = crate::i18n::lang();
                let place = if refused() {
                    lang.pick(
                        pick("同期できません", "同期不可"),
                        pick("Cannot sync", "No sync"),
                    )
                } else if short {
                    where_now().short_label(lang)
                } else {
                    where_now().label(lang)
                };
                match (pwa.online.get(), short) {
                    (true, _) => place.to_string(),
                    (false, true) => tr!("オフライン", "Offline")().to_string(),
                    (false, false) => format!("{} — {place}", tr!("オフライン", "Offline")()),
                }
            }
        }
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
                // The whole state in words; on a phone it is read out but not shown, and the short form shows.
                <span class="save-full">{move || save_label(false)}</span>
                <span class="save-short" aria-hidden="true">{move || save_label(true)}</span>
            </span>
            <crate::components::reminders::ReminderBadge />
            <A href="/settings" attr:class="icon-button" attr:aria-label=tr!("設定", "Settings")>"⚙"</A>
            // Each language's name in itself; the button is marked with the language it names, so a reader
            // pronounces 日本語 as Japanese.
            <button class="lang-switch" on:click=toggle_lang
                lang=move || if settings.with(|s| s.lang == Lang::Ja) { "en" } else { "ja" }
                aria-label=move || if settings.with(|s| s.lang == Lang::Ja) { "English" } else { "日本語" }>
                {move || if settings.with(|s| s.lang == Lang::Ja) {
                    view! { <span class="wide">"English"</span><span class="narrow" aria-hidden="true">"EN"</span> }
                } else {
                    view! { <span class="wide">"日本語"</span><span class="narrow" aria-hidden="true">"日本"</span> }
                }}
            </button>
        </header>
        <Show when=move || pwa.update_ready.get() && !update_dismissed.get()>
            <div class="banner banner-update no-print" role="status">
                <span>{tr!("新しいバージョンがあります", "A new version is available")}</span>
                <button class="button primary update-reload" on:click=move |_| pwa.apply_update()>
                    {tr!("再読み込み", "Reload")}
                </button>
                <CloseBanner on_close=move || update_dismissed.set(true) />
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
        {move || (sync.status.get() == NetStatus::SignInNeeded && !sign_in_dismissed.get()).then(|| view! {
            <div class="banner banner-warn no-print sign-in-banner" role="status">
                <span>{tr!(
                    "サインインするまで同期しません（入力はこの端末に保存）。",
                    "Not syncing until you sign in (kept on this device)."
                )}</span>
                <A href="/account" attr:class="button small">{tr!("サインイン", "Sign in")}</A>
                <CloseBanner on_close=move || {
                    sign_in_dismissed.set(true);
                    dismiss_for_session(SIGN_IN_BANNER);
                } />
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
        {move || (safari_may_evict() && !settings.with(|s| s.safari_note_read)).then(|| view! {
            <div class="banner banner-warn no-print safari-note" role="note">
                <span>{tr!(
                    "iPad・iPhone の Safari では、7日間開かないとこの端末のデータが削除されることがあります。共有ボタン（□↑）から「ホーム画面に追加」して、ホーム画面の「守り」から開いてください。",
                    "Safari on iPad and iPhone may delete this device's data after 7 days without a visit. Use the Share button (□↑) → “Add to Home Screen”, and open Mamori from the home screen."
                )}</span>
                <CloseBanner on_close=move || settings.update(|s| s.safari_note_read = true) />
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
