//! 保留中の変更: copies of documents whose changes the server did not accept. Each is kept whole on the
//! device with the document and the reason, and can be exported as a file (an Automerge document any
//! automerge tool opens) before it is removed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::settings::use_settings;
use crate::state::{format_time, use_workspace};
use crate::storage::SetAside;
use crate::tr;

/// Offers the copy as a file download.
fn export(entry: &SetAside) {
    crate::download::save_file(
        &entry.bytes,
        "application/octet-stream",
        &format!("mamori-{}-{}.automerge", entry.document, entry.at_ms as i64),
    );
}

#[component]
pub fn SetAsidePage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    view! {
        <section class="page">
            <h1>{tr!("保留中の変更", "Changes set aside")}</h1>
            <p class="lead">{tr!(
                "サーバーが受け付けなかった変更です。この端末に保管しています。ファイルに書き出して管理者に渡すことができます。文書はサーバーの内容に戻して同期を続けています。",
                "Changes the server did not accept, kept on this device. Export them as a file for an administrator. The documents were reset to the server's state and keep syncing."
            )}</p>
            <ul class="set-aside-list">
                {move || ws.set_aside.get().into_iter().map(|entry| {
                    let key = entry.key;
                    let style = settings.with_untracked(|s| s.dates());
                    let for_export = entry.clone();
                    view! {
                        <li class="card set-aside" data-doc=entry.document.to_string()>
                            <strong>{entry.title.clone()}</strong>
                            <p class="reason">{tr!("理由: ", "Reason: ")}{entry.reason.clone()}</p>
                            <p class="muted">{format_time(entry.at_ms as i64, style)}</p>
                            <div class="row-actions">
                                <button class="button export" on:click=move |_| export(&for_export)>
                                    {tr!("ファイルに書き出す", "Export as a file")}
                                </button>
                                <button class="button remove" on:click=move |_| {
                                    spawn_local(async move { let _ = ws.remove_set_aside(key).await; });
                                }>{tr!("書き出し済み — 削除", "Exported — remove")}</button>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
