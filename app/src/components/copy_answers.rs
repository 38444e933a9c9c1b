//! 他の施設の回答から始める: a vendor's user fills one facility's 事業者確認用 from its answers for another
//! facility. Only unanswered items are filled, as drafts without dates: the vendor checks and dates each
//! item itself (the form asks for the date each item was confirmed for this facility).

use leptos::prelude::*;
use mamori_shared::model::DocumentId;
use mamori_shared::schema::checklist::ChecklistMeta;

use crate::settings::use_settings;
use crate::state::checklist_title;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn CopyAnswers(to: DocumentId, meta: ChecklistMeta) -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let facility = meta.facility_id;
    // The same form at other facilities, with answers.
    let sources = move || {
        ws.vendor_forms()
            .into_iter()
            .filter(|(id, m)| *id != to && m.facility_id != facility)
            .filter(|(id, _)| ws.checklist(*id).is_ok_and(|v| !v.answers.is_empty()))
            .collect::<Vec<_>>()
    };
    let chosen = RwSignal::new(None::<DocumentId>);
    let message = RwSignal::new(None::<String>);
    let copy = move |_| {
        let Some(from) = chosen
            .get_untracked()
            .or_else(|| sources().first().map(|(id, _)| *id))
        else {
            return;
        };
        message.set(Some(match ws.copy_answers(from, to) {
            Ok(n) => format!(
                "{n} 項目をコピーしました。各項目を確認し、確認日を入れてください。 ({n} items copied: check and date each one.)"
            ),
            Err(e) => e.to_string(),
        }));
    };
    move || {
        let all = sources();
        (!all.is_empty()).then(|| {
            let names = settings.with(|s| s.facility_names.clone());
            view! {
                <details class="copy-from">
                    <summary>{tr!("他の施設の回答から始める", "Start from your answers for another facility")}</summary>
                    <label class="field">
                        <span>{tr!("コピー元", "Copy from")}</span>
                        <select class="copy-source" on:change=move |ev| chosen.set(DocumentId::parse(&event_target_value(&ev)))>
                            {all.into_iter().map(|(id, m)| {
                                let place = names.get(&m.facility_id.to_string()).cloned().unwrap_or_default();
                                view! { <option value=id.to_string()>{place}" — "{checklist_title(&m)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <p class="muted small">{tr!(
                        "まだ回答していない項目だけに、確認日なしの下書きとして入ります。",
                        "Only unanswered items are filled, as drafts without dates."
                    )}</p>
                    <button class="button copy-answers" on:click=copy>{tr!("回答をコピー", "Copy answers")}</button>
                    {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
                </details>
            }
        })
    }
}
