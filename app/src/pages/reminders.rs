//! 期限 — what falls due: 目標日 within 30 days or past, document reviews, the year's check, vendor forms
//! not returned, the contact chart's yearly review. Overdue first in red; each line links to where it is
//! dealt with. Computed on the device from its documents, so it works offline.

use leptos::prelude::*;

use crate::components::reminders::{line, use_reminders};
use crate::state::today;
use crate::tr;

#[component]
pub fn RemindersPage() -> impl IntoView {
    let all = use_reminders();
    view! {
        <section class="page reminders">
            <h1>{tr!("期限", "Due dates")}</h1>
            <p class="lead">{tr!(
                "30日以内に期限が来るもの、期限を過ぎたものです。それぞれの行から対応する画面を開けます。",
                "What falls due within 30 days, or is overdue. Each line opens the screen where it is dealt with."
            )}</p>
            {move || {
                let list = all.get();
                if list.is_empty() {
                    return view! { <p class="card reminders-none" role="status">{tr!("いま期限が近いものはありません。", "Nothing is due.")}</p> }.into_any();
                }
                let now = today();
                let (overdue, soon): (Vec<_>, Vec<_>) = list.into_iter().partition(|r| r.overdue(now));
                view! {
                    {(!overdue.is_empty()).then(|| view! {
                        <h2>{tr!("期限切れ", "Overdue")}</h2>
                        <ul class="reminder-lines overdue">{overdue.into_iter().map(line).collect_view()}</ul>
                    })}
                    {(!soon.is_empty()).then(|| view! {
                        <h2>{tr!("近づいている期限", "Coming up")}</h2>
                        <ul class="reminder-lines">{soon.into_iter().map(line).collect_view()}</ul>
                    })}
                }.into_any()
            }}
        </section>
    }
}
