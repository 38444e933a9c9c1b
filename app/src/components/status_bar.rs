//! The bar at the top of every screen: where you are, whether your changes are on the device, and the
//! language switch.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::Lang;
use crate::settings::use_settings;
use crate::state::{SaveState, use_workspace};
use crate::storage::StorageError;
use crate::tr;

#[component]
pub fn StatusBar() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
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
            <span class="spacer"></span>
            <span class="save-state" data-state=move || match ws.save.get() {
                SaveState::Saved => "saved",
                SaveState::Saving => "saving",
                SaveState::Failed(_) => "failed",
            } role="status" aria-live="polite">
                {move || match ws.save.get() {
                    SaveState::Saved => tr!("この端末に保存済み", "Saved on this device")().into_any(),
                    SaveState::Saving => tr!("保存中…", "Saving…")().into_any(),
                    SaveState::Failed(_) => tr!("未保存", "Not saved")().into_any(),
                }}
            </span>
            <A href="/settings" attr:class="icon-button" attr:aria-label=tr!("設定", "Settings")>"⚙"</A>
            <button class="lang-switch" on:click=toggle_lang aria-label="Language">
                {move || if settings.with(|s| s.lang == Lang::Ja) { "English" } else { "日本語" }}
            </button>
        </header>
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
