//! Preferences for this device: language, date style, the name recorded with answers.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::calendar::DateStyle;

use crate::i18n::Lang;
use crate::settings::use_settings;
use crate::state::{today, use_workspace};
use crate::tr;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = use_settings();
    let ws = use_workspace();
    let sample = move || today();
    // The server's seal key, asked for once someone is signed in (kept for offline); nobody signed in asks
    // the server nothing.
    let asked = StoredValue::new(false);
    Effect::new(move |_| {
        if crate::account::current().is_none() || asked.get_value() {
            return;
        }
        asked.set_value(true);
        leptos::task::spawn_local(async move {
            if let Ok(answer) = crate::api::call("GET", "/api/seal-key", crate::api::NO_BODY).await
                && let Ok(key) = answer.read::<mamori_shared::api::SealKeyInfo>()
                && settings.with_untracked(|s| s.seal_key.as_ref() != Some(&key))
            {
                settings.update(|s| s.seal_key = Some(key));
            }
        });
    });
    view! {
        <section class="page">
            <h1>{tr!("設定", "Settings")}</h1>
            <div class="form">
                <fieldset class="field">
                    <legend>{tr!("表示言語", "Language")}</legend>
                    <label class="check">
                        <input type="radio" name="lang" prop:checked=move || settings.with(|s| s.lang == Lang::Ja)
                            on:change=move |_| settings.update(|s| s.lang = Lang::Ja) /><span lang="ja">"日本語"</span>
                    </label>
                    <label class="check">
                        <input type="radio" name="lang" prop:checked=move || settings.with(|s| s.lang == Lang::En)
                            on:change=move |_| settings.update(|s| s.lang = Lang::En) />"English"
                    </label>
                </fieldset>
                <fieldset class="field">
                    <legend>{tr!("日付の表示", "Date format in Japanese (English shows 2026/11/24)")}</legend>
                    <label class="check">
                        <input type="radio" name="date" prop:checked=move || settings.with(|s| s.date_style == DateStyle::Japanese)
                            on:change=move |_| settings.update(|s| s.date_style = DateStyle::Japanese) />
                        <span lang="ja">{move || sample().display(DateStyle::Japanese)}</span>
                    </label>
                    <label class="check">
                        <input type="radio" name="date" prop:checked=move || settings.with(|s| s.date_style == DateStyle::Western)
                            on:change=move |_| settings.update(|s| s.date_style = DateStyle::Western) />
                        {move || sample().display(DateStyle::Western)}
                    </label>
                </fieldset>
                <label class="field">
                    <span>{tr!("記入者（あなたのお名前）", "Your name (recorded with each answer)")}</span>
                    <input type="text" prop:value=move || settings.with(|s| s.user_name.clone())
                        on:change=move |ev| settings.update(|s| s.user_name = event_target_value(&ev).trim().to_string()) />
                </label>
                <p class="muted persist-state">
                    {move || match crate::pwa::use_pwa().persisted.get() {
                        Some(true) => tr!("この端末のデータは保護されています（ブラウザによる自動削除なし）", "This device's data is protected from automatic deletion by the browser")(),
                        Some(false) => tr!("ブラウザは容量が足りないときにこの端末のデータを削除することがあります。ホーム画面に追加すると保護されやすくなります。", "The browser may delete this device's data when space runs low. Adding Mamori to the home screen helps protect it.")(),
                        None => "",
                    }}
                </p>
                <p class="muted version">{tr!("バージョン", "Version")}": "{env!("CARGO_PKG_VERSION")}" ("{crate::pwa::BUILD}")"</p>
                <label class="field">
                    <span>{tr!("この端末の名前（例: 受付PC、調剤室のiPad）", "This device's name (e.g. reception PC)")}</span>
                    <input type="text" name="device_name" prop:value=move || settings.with(|s| s.device_name.clone())
                        on:change=move |ev| settings.update(|s| s.device_name = event_target_value(&ev).trim().to_string()) />
                    <span class="muted small">{tr!("インシデント対応記録に、どの端末で記録したかとして残ります。", "Recorded with incident log entries as the device they were written on.")}" ("{move || settings.with(|s| s.device.clone())}")"</span>
                </label>
                <p class="muted">{tr!("この端末に保存しているデータ", "Data kept on this device")}": "
                    {format!("{:.1} KB", ws.stored_bytes() as f64 / 1024.0)}</p>
                {move || ws.index_id().map(|id| {
                    let origin = window().location().origin().unwrap_or_default();
                    view! {
                        <div class="field share">
                            <span>{tr!("この施設を別の端末で開く", "Open this facility on another device")}</span>
                            <input type="text" readonly class="share-link" aria-label=tr!("この施設を別の端末で開くリンク", "Link to open this facility on another device") prop:value=format!("{origin}/join/{id}") />
                            <p class="muted small">{tr!(
                                "このリンクを別の端末で開くと、同じチェックリストを一緒に編集できます。",
                                "Open this link on another device to edit the same checklists together."
                            )}</p>
                        </div>
                    }
                })}
                {move || ws.index().map(|_| view! {
                    <A href="/setup" attr:class="button">{tr!("施設の情報を編集", "Edit facility details")}</A>
                })}
                {move || settings.with(|s| s.seal_key.clone()).map(|k| view! {
                    <div class="field seal-key">
                        <span>{tr!("確定の署名鍵（公開鍵）", "Seal key (public)")}</span>
                        <p class="small">{tr!("鍵ID", "Key id")}": "<code class="seal-key-id">{k.key_id}</code></p>
                        <code class="seal-public-key">{k.public_key}</code>
                        <p class="muted small">{tr!(
                            "印刷した確定の署名は、この公開鍵で確かめられます（Ed25519）。",
                            "A printed seal can be checked against this public key (Ed25519)."
                        )}</p>
                    </div>
                })}
                <A href="/account" attr:class="button account-link">{tr!("サインイン・サーバー登録", "Sign in / register on the server")}</A>
            </div>
        </section>
    }
}
