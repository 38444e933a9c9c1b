//! A newer edition of the form, offered above a checklist of the same year: what moving to it does (new
//! items, reworded ones, answers carried to a replacing item, answered items the new form no longer has),
//! said before it is done; and after a move, each item card says whether it is new or reworded.

use leptos::prelude::*;
use mamori_shared::edition::{FormKind, edition, newer_for};
use mamori_shared::model::{DocumentId, ItemId};
use mamori_shared::schema::checklist::plan_move;

use crate::i18n::lang;
use crate::state::use_workspace;
use crate::tr;

fn ids(items: &[ItemId]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

#[component]
pub fn EditionMoveOffer(id: DocumentId, read_only: bool) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    move || {
        let v = ws.checklist(id).ok()?;
        let from = edition(&v.meta.edition)?;
        let to = newer_for(from, v.meta.fiscal_year.0, v.meta.form)?;
        let plan = plan_move(from, to, v.meta.form, &v.answers);
        let unconfirmed = to
            .form_items(v.meta.form)
            .iter()
            .filter(|i| !i.confirmed)
            .count();
        let line = |ja: &'static str, en: &'static str, items: &[ItemId], class: &'static str| {
            (!items.is_empty()).then(|| {
                let text = ids(items);
                let n = items.len();
                view! { <li class=class data-count=n>{move || lang().pick(ja, en)}{format!(" {n}: {text}")}</li> }
            })
        };
        Some(view! {
            <div class="banner edition-move" role="status" data-to=to.id().to_string()>
                <p><strong>{tr!("新しい版の様式があります", "A newer edition of the form is available")}</strong>": "{to.title_ja().to_string()}</p>
                <ul>
                    {line("新しい項目", "New items", &plan.new_items, "move-new")}
                    {line("文言が変わる項目", "Reworded items", &plan.reworded, "move-reworded")}
                    {line("この版にない項目（回答は残り、表示されなくなります）", "Items the new edition lacks (answers stay, no longer shown)", &plan.left_behind, "move-left")}
                </ul>
                {(unconfirmed > 0).then(|| view! {
                    <p class="muted small">{tr!("この版には、公式の様式と照合されていない文言の項目があります", "Some of this edition's wording is not confirmed against the official form")}{format!("（{unconfirmed}）")}</p>
                })}
                {(!read_only).then(|| view! {
                    <button class="button move-edition" on:click=move |_| {
                        if let Err(e) = ws.move_checklist(id, to) {
                            error.set(Some(e.to_string()));
                        }
                    }>{tr!("この版に移行する（回答は引き継がれます）", "Move to this edition (answers are kept)")}</button>
                })}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        })
    }
}

/// After a move: whether `item` is new in this checklist's edition, or reworded since the one it moved
/// from (`None`: neither, or the checklist never moved).
pub fn moved_item_note(id: DocumentId, form: FormKind, item: &ItemId) -> Option<MovedNote> {
    let ws = use_workspace();
    // The head first: only a moved checklist needs its answers read.
    let head = ws.checklist_head(id).ok()?;
    let from = edition(head.meta.moved_from_edition.as_deref()?)?;
    let to = edition(&head.meta.edition)?;
    let plan = plan_move(from, to, form, &ws.checklist(id).ok()?.answers);
    if plan.new_items.contains(item) {
        Some(MovedNote::New)
    } else if plan.reworded.contains(item) {
        Some(MovedNote::Reworded)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedNote {
    New,
    Reworded,
}
