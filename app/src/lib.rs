//! Mamori's tablet app: a Leptos client-side app compiled to wasm that keeps every document on the device.
//!
//! # Layout
//! - [`state`]: the documents on this device and the actions that change them (then save them).
//! - [`storage`]: IndexedDB persistence of document bytes.
//! - [`sync`]: the WebSocket sync client on the shared sans-IO core.
//! - [`tabs`]: tabs of one device merge each other's saves.
//! - [`account`], [`api`], [`passkey`]: the signed-in person, the server's JSON API, WebAuthn ceremonies.
//! - [`emergency`]: the static copy of the contact chart the service worker serves at `/emergency`.
//! - [`departure`]: handing back and deleting a facility's data when this device's person left it.
//! - [`settings`]: small preferences in localStorage (language, date style, who is entering).
//! - [`sheets`]: the spreadsheet worker (.xlsx and CSV files of the ledgers), loaded on first use.
//! - [`pwa`]: service worker registration and updates, network state, storage persistence.
//! - [`i18n`]: Japanese first, English second (`tr!`).
//! - [`pages`]: one route-level component per file; [`later`]: what comes with the split chunk, after the
//!   first screen; [`chunk`]: the chunk's split point and what it builds.
//! - [`components`]: small reusable views.

pub mod account;
pub mod api;
pub mod chunk;
pub mod components;
pub mod connect;
pub mod departure;
pub mod download;
pub mod editions;
pub mod emergency;
pub mod error;
pub mod files;
pub mod i18n;
pub mod later;
pub mod pages;
pub mod passkey;
pub mod pwa;
pub mod qr;
pub mod settings;
pub mod sheets;
pub mod state;
pub mod storage;
pub mod sync;
pub mod tabs;
pub mod timer;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::status_bar::StatusBar;
use crate::error::guarded;
use crate::later::Screen;
use crate::pages::{checklist::ChecklistPage, home::HomePage, not_found::NotFound};
use crate::state::{LoadState, Workspace};

/// Says, until dismissed, that this device deleted a facility's data because its person left it.
#[component]
fn DepartureNotice() -> impl IntoView {
    let settings = settings::use_settings();
    move || {
        settings.with(|s| s.departure_notice.clone()).map(|text| {
            view! {
                <div class="banner banner-warn departure-notice" role="alert">
                    <p>{text}</p>
                    <button class="button small dismiss" on:click=move |_| settings.update(|s| s.departure_notice = None)>
                        {tr!("閉じる", "Dismiss")}
                    </button>
                </div>
            }
        })
    }
}

/// Says, until dismissed, that the server's access log no longer matches what this 管理者 device saw.
#[component]
fn LogAlarm() -> impl IntoView {
    let settings = settings::use_settings();
    move || {
        settings.with(|s| s.log_alarm.clone()).map(|text| {
            view! {
                <div class="banner banner-error log-alarm" role="alert">
                    <p>{text}</p>
                    <button class="button small dismiss" on:click=move |_| settings.update(|s| {
                        s.log_alarm = None;
                        s.log_head = None;
                    })>
                        {tr!("確認した", "Acknowledge")}
                    </button>
                </div>
            }
        })
    }
}

/// The `code` query parameter of the page's address, removed from it (history entry replaced).
fn registration_code_in_url() -> Option<String> {
    let location = window().location();
    let search = location.search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let code = params.get("code").filter(|c| !c.trim().is_empty())?;
    params.delete("code");
    let rest = params.to_string().as_string().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    let clean = if rest.is_empty() {
        path
    } else {
        format!("{path}?{rest}")
    };
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(code)
}

/// The whole app: settings and documents in context, then the router.
#[component]
pub fn App() -> impl IntoView {
    // The wasm is compiled and running (the cold-start benchmark reads the page's marks).
    state::mark("mamori:app");
    let settings = settings::provide();
    pwa::provide();
    // Editions fetched earlier, before any checklist is read.
    editions::load_kept();
    let workspace = Workspace::new();
    provide_context(workspace);
    let sync = sync::provide(workspace);
    account::provide();
    // The effects the chunk creates when it arrives (the emergency copy's keeper) belong to the app.
    let owner = Owner::current().expect("App runs under the root owner");
    later::provide(chunk::load);
    leptos::task::spawn_local(async move {
        workspace.start().await;
        tabs::start(move |id| leptos::task::spawn_local(workspace.merge_from_device(id)));
        // The chunk (the other screens, this screen's parts, sync's set-up) is fetched meanwhile: the first
        // screen does not wait for it.
        later::prefetch();
        // Who is signed in first (one `/api/me`), then the sync socket: signed out, neither is asked again.
        // Here, not in the chunk: a screen shown before the answer would be rebuilt under someone's hands.
        account::refresh_me_first(workspace).await;
        later::connect(workspace, sync, owner).await;
    });

    // The server's first set-up link carries a registration code: keep it for the registration, and take it
    // out of the address bar (it should not end up in bookmarks or the history).
    if let Some(code) = registration_code_in_url() {
        settings.update(|s| s.registration_code = Some(code));
    }

    // The page language follows the setting (screen readers, fonts, hyphenation).
    Effect::new(move |_| {
        let code = settings.with(|s| s.lang.code());
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", code);
        }
    });
    // Warn before closing a tab while a change is not yet on the device.
    let _unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if !matches!(workspace.save.get_untracked(), state::SaveState::Saved) {
            ev.prevent_default();
            ev.set_return_value("");
        }
    });

    view! {
        <Router>
            <StatusBar />
            <DepartureNotice />
            <LogAlarm />
            <main id="main">
                {move || match workspace.load.get() {
                    LoadState::Loading => view! { <p class="loading">{tr!("読み込み中…", "Loading…")}</p> }.into_any(),
                    LoadState::Failed(e) => view! {
                        <div class="error-panel" role="alert">
                            <h2>{tr!("この端末のデータを開けませんでした", "Could not open the data on this device")}</h2>
                            <p>{e}</p>
                            <p>{tr!(
                                "ブラウザのプライベートモードでは保存できません。通常のウィンドウで開き直してください。",
                                "Private browsing cannot keep data. Reopen Mamori in a normal window."
                            )}</p>
                        </div>
                    }.into_any(),
                    LoadState::Ready => view! {
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=|| guarded(HomePage) />
                            <Route path=path!("/setup") view=|| later::lazily(Screen::Setup) />
                            <Route path=path!("/join/:id") view=|| later::lazily(Screen::Join) />
                            <Route path=path!("/set-aside") view=|| later::lazily(Screen::SetAside) />
                            <Route path=path!("/settings") view=|| later::lazily(Screen::Settings) />
                            <Route path=path!("/account") view=|| later::lazily(Screen::Account) />
                            <Route path=path!("/invite/:token") view=|| later::lazily(Screen::Invite) />
                            <Route path=path!("/people") view=|| later::lazily(Screen::People) />
                            <Route path=path!("/log") view=|| later::lazily(Screen::Log) />
                            <Route path=path!("/vendors") view=|| later::lazily(Screen::Vendors) />
                            <Route path=path!("/emergency") view=|| guarded(pages::emergency::EmergencyPage) />
                            <Route path=path!("/contacts") view=|| later::lazily(Screen::Contacts) />
                            <Route path=path!("/ledgers/devices") view=|| later::lazily(Screen::DeviceLedger) />
                            <Route path=path!("/ledgers/accounts") view=|| later::lazily(Screen::AccountLedger) />
                            <Route path=path!("/incidents") view=|| later::lazily(Screen::Incidents) />
                            <Route path=path!("/evidence") view=|| later::lazily(Screen::Evidence) />
                            <Route path=path!("/readiness") view=|| later::lazily(Screen::Readiness) />
                            <Route path=path!("/reminders") view=|| later::lazily(Screen::Reminders) />
                            <Route path=path!("/binder") view=|| later::lazily(Screen::Binder) />
                            <Route path=path!("/incidents/:id") view=|| later::lazily(Screen::Incident) />
                            <Route path=path!("/vendor") view=|| later::lazily(Screen::VendorHome) />
                            <Route path=path!("/vendor/devices/:id") view=|| later::lazily(Screen::VendorDevices) />
                            <Route path=path!("/checklists/:id") view=|| guarded(ChecklistPage) />
                            <Route path=path!("/checklists/:id/section/:section") view=|| guarded(ChecklistPage) />
                            <Route path=path!("/checklists/:id/print") view=|| later::lazily(Screen::Print) />
                            <Route path=path!("/bench/storage") view=|| later::lazily(Screen::Bench) />
                        </Routes>
                    }.into_any(),
                }}
            </main>
        </Router>
    }
}
