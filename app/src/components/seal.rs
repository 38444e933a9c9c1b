//! 年次確認の確定 on a checklist: whether the year's check is sealed, which items changed since (「確定後の
//! 変更」, read from the document on this device, offline too), and for a 管理者 the button that asks the
//! server to seal it. The server signs what *it* holds, so the button waits until this device's changes
//! have reached it; the device then writes the seal into the checklist, and the server checks that write
//! like any other.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::access::Role;
use mamori_shared::api::Sealed;
use mamori_shared::calendar::jst_timestamp;
use mamori_shared::edition::edition;
use mamori_shared::model::DocumentId;
use mamori_shared::seal::{Seal, changed_since};

use crate::api::NO_BODY;
use crate::state::use_workspace;
use crate::sync::DocSync;
use crate::tr;

/// The seal's state above a checklist, and the 管理者's 確定 button.
#[component]
pub fn SealPanel(id: DocumentId, read_only: bool) -> impl IntoView {
    let ws = use_workspace();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let view_of = Memo::new(move |_| {
        let v = ws.checklist(id).ok()?;
        let changed = v.seal.as_ref().and_then(|s| {
            let ed = edition(&v.meta.edition)?;
            Some(changed_since(&s.text, ed, &v.meta, &v.answers))
        });
        Some((v.meta.facility_id, v.seal, changed.unwrap_or_default()))
    });
    let seal_now = move |facility| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let path = format!("/api/facilities/{facility}/checklists/{id}/seal");
            let done = async {
                let sealed: Sealed = crate::account::sensitive("POST", &path, NO_BODY)
                    .await?
                    .read()?;
                ws.keep_seal(id, &sealed)
                    .map_err(|e| crate::error::AppError::Unexpected(e.to_string()))
            }
            .await;
            if let Err(e) = done {
                error.set(Some(e.to_string()));
            }
            busy.set(false);
        });
    };
    move || {
        let (facility, seal, changed) = view_of.get()?;
        let admin = crate::account::role_at(facility) == Some(Role::Admin) && !read_only;
        let synced = move || crate::sync::use_sync().doc_state(id) == DocSync::Synced;
        let sealed = seal.is_some();
        let state = seal.as_ref().map(sealed_line);
        Some(view! {
            <div class="seal-panel" data-sealed=sealed.to_string()>
                {state}
                {(!changed.is_empty()).then(|| {
                    let items: Vec<String> = changed.iter().map(|i| i.to_string()).collect();
                    view! {
                        <div class="banner banner-warn seal-changes" role="status" data-count=changed.len()>
                            <strong>{tr!("確定後の変更", "Changed after sealing")}{format!(" {}", changed.len())}{tr!("件", "")}</strong>
                            ": "{items.join("、")}
                            <p class="muted small">{tr!(
                                "確定した後に回答が変わっています。内容を確認し、管理者がもう一度確定してください。",
                                "Answers changed after the check was sealed. Review them; a 管理者 can seal the check again."
                            )}</p>
                        </div>
                    }
                })}
                {admin.then(|| view! {
                    <div class="seal-action">
                        <button class="button seal-button" disabled=move || busy.get() || !synced()
                            on:click=move |_| seal_now(facility)>
                            {if sealed { tr!("もう一度確定する", "Seal again") } else { tr!("年次確認を確定する", "Seal the year's check") }}
                        </button>
                        <span class="muted small">{move || if synced() {
                            tr!(
                                "サーバーが今の回答と日付に署名します。パスキーの確認があります。",
                                "The server signs the answers and dates as they are now. You will confirm with your passkey."
                            )()
                        } else {
                            tr!(
                                "オンラインで、この端末の変更がサーバーに届いてから確定できます。",
                                "Sealing needs the server to have this device's changes: connect and wait for sync."
                            )()
                        }}</span>
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                })}
            </div>
        })
    }
}

fn sealed_line(seal: &Seal) -> impl IntoView + use<> {
    let when = seal.sealed_at_ms().map(jst_timestamp).unwrap_or_default();
    view! {
        <p class="seal-state">
            <span class="badge sealed">{tr!("確定済み", "Sealed")}</span>
            " "{when}" "
            <span class="muted small">{tr!("署名鍵", "key")}" "{seal.key_id.clone()}</span>
        </p>
    }
}

/// The seal as the printed form carries it: the block `mamori-server verify-seal` reads back from the PDF
/// (monospace, every line whole), the same block as a QR code, and the items changed since.
pub fn seal_print(
    seal: &Seal,
    ed: &'static mamori_shared::edition::Edition,
    data: &crate::state::ChecklistView,
) -> impl IntoView + use<> {
    let printed = seal.printed();
    let qr = crate::qr::svg(&printed, 200);
    let changed: Vec<String> = changed_since(&seal.text, ed, &data.meta, &data.answers)
        .iter()
        .map(|i| i.to_string())
        .collect();
    let when = seal.sealed_at_ms().map(jst_timestamp).unwrap_or_default();
    view! {
        <section class="seal-print" data-changed=changed.len()>
            <h3>{format!("年次確認の確定（{when}）")}</h3>
            <p class="print-note">"下の欄は、確定の時点の回答・日付にMamoriのサーバーが署名したものです。このPDFの文字（pdftotext -layout）を「mamori-server verify-seal」に渡すと、改ざんがないか確かめられます。"</p>
            <div class="seal-block">
                <pre class="seal-text">{printed}</pre>
                {qr.map(|svg| view! { <div class="seal-qr" role="img" aria-label="確定の署名のQRコード" inner_html=svg></div> })}
            </div>
            {(!changed.is_empty()).then(|| view! {
                <p class="seal-changed">{format!("確定後の変更 {}件: {}", changed.len(), changed.join("、"))}</p>
            })}
        </section>
    }
}
