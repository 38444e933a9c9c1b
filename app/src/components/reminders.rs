//! 期限 in words: one line per reminder (what, when, where it is fixed) and the top bar's badge. Shared by
//! the 期限 screen and the top bar (pages import this; components never import pages).

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::calendar::DateStyle;
use mamori_shared::reminders::{Reminder, Subject};

use crate::i18n::{Lang, lang};
use crate::settings::use_settings;
use crate::state::{today, use_workspace};

/// Where a reminder is dealt with.
pub fn href(r: &Reminder) -> String {
    match &r.subject {
        Subject::Target { checklist, .. } => format!("/checklists/{checklist}"),
        Subject::AnnualCheck {
            checklist: Some(id),
            ..
        } => format!("/checklists/{id}"),
        Subject::AnnualCheck {
            checklist: None, ..
        } => "/".into(),
        Subject::VendorForm { .. } => "/vendors".into(),
        Subject::DocumentReview { .. } => "/evidence".into(),
        Subject::ContactChart { .. } => "/contacts".into(),
    }
}

/// What is due, in one sentence (the date shown apart); the Japanese is the mails' (`Subject::text_ja`).
pub fn words(r: &Reminder, l: Lang, style: DateStyle) -> String {
    if l == Lang::Ja {
        return r.subject.text_ja(style);
    }
    match &r.subject {
        Subject::Target { vendor, item, .. } => match vendor {
            Some(v) => format!("Target date of {item} (No) on {v}'s vendor form"),
            None => format!("Target date of {item} (No)"),
        },
        Subject::AnnualCheck {
            fiscal_year,
            checklist: None,
            ..
        } => format!("No checklist for {} yet", fiscal_year.label_en()),
        Subject::AnnualCheck {
            fiscal_year, left, ..
        } => format!("{} checklist: {left} items left", fiscal_year.label_en()),
        Subject::VendorForm {
            vendor,
            requested_on,
            ..
        } => format!(
            "{vendor}'s vendor form not returned (asked for on {})",
            requested_on.display(style)
        ),
        Subject::DocumentReview { title } => format!("Review of “{title}”"),
        Subject::ContactChart { reviewed_on } => match reviewed_on {
            Some(d) => format!("Review of the contact chart (last {})", d.display(style)),
            None => "Review of the contact chart (never reviewed)".to_string(),
        },
    }
}

/// The reminders of the facility this device shows (reactive); empty when there is none.
pub fn use_reminders() -> Memo<Vec<Reminder>> {
    let ws = use_workspace();
    Memo::new(move |_| ws.reminders().unwrap_or_default())
}

/// The top bar's 期限 badge: how many things are due or overdue, a link to the list; nothing when none.
#[component]
pub fn ReminderBadge() -> impl IntoView {
    let all = use_reminders();
    move || {
        let list = all.get();
        let n = list.len();
        (n > 0).then(|| {
            let overdue = list.iter().any(|r| r.overdue(today()));
            let label = lang().pick(format!("期限 {n}件"), format!("{n} due"));
            view! {
                <A href="/reminders" attr:class="icon-button reminders-badge"
                    attr:data-overdue=overdue.to_string() attr:aria-label=label>
                    <span class="wide" aria-hidden="true">{move || lang().pick("期限", "Due")}</span>
                    <span class="reminder-count" aria-hidden="true">{n}</span>
                </A>
            }
        })
    }
}

/// One reminder as a list line, linked to where it is dealt with.
pub fn line(r: Reminder) -> impl IntoView {
    let settings = use_settings();
    let now = today();
    let overdue = r.overdue(now);
    let link = href(&r);
    let key = r.subject.key();
    view! {
        <li class="reminder-line" data-key=key data-overdue=overdue.to_string()>
            <A href=link attr:class="reminder-link">
                <span class="reminder-when">{move || {
                    let style = settings.with(|s| s.dates());
                    let l = lang();
                    let date = r.due.display(style);
                    if overdue {
                        l.pick(format!("{date}（期限切れ）"), format!("{date} (overdue)"))
                    } else if r.due == now {
                        l.pick(format!("{date}（今日）"), format!("{date} (today)"))
                    } else {
                        date
                    }
                }}</span>
                <span class="reminder-what">{move || words(&r, lang(), settings.with(|s| s.dates()))}</span>
            </A>
        </li>
    }
}
