//! 期限 — what falls due: a いいえ's 目標日 within 30 days or past, a document's review, the year's check
//! before the fiscal year ends, a vendor's form not returned 30 days after it was asked for, and a contact
//! chart not reviewed for 12 months. The app lists them with a badge; the server mails them (weekly, and on
//! the day one becomes overdue). Pure: both ask with their own today and documents.

use std::collections::BTreeMap;

use automerge::AutoCommit;

use crate::calendar::{Date, DateStyle, FiscalYear};
use crate::edition::{FormKind, edition};
use crate::model::{DocumentId, ItemId};
use crate::progress::Progress;
use crate::readiness::Answers;
use crate::schema::DocKind;
use crate::schema::checklist::{self, ChecklistMeta, ItemAnswers};
use crate::schema::index::FacilityIndex;
use crate::schema::{contact_chart, evidence};

/// How far ahead a date starts to be reminded of.
pub const SOON_DAYS: i64 = 30;
/// How long a vendor has to return its form before it is chased.
pub const VENDOR_WAIT_DAYS: i64 = 30;
/// How long a review (a document's, the contact chart's) holds.
pub const REVIEW_DAYS: i64 = 365;
/// How long before the fiscal year ends an unfinished check is reminded of.
pub const ANNUAL_CHECK_DAYS: i64 = 60;

/// What is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A いいえ's 目標日 (the facility's form, or a vendor's when `vendor` names it).
    Target {
        checklist: DocumentId,
        vendor: Option<String>,
        item: ItemId,
    },
    /// A document of the evidence register (or a ledger) to review.
    DocumentReview { title: String },
    /// The year's check of the facility's own form: not started (`checklist` none), or items left.
    AnnualCheck {
        fiscal_year: FiscalYear,
        checklist: Option<DocumentId>,
        left: usize,
    },
    /// A vendor's 事業者確認用, asked for and not returned.
    VendorForm {
        checklist: DocumentId,
        vendor: String,
        requested_on: Date,
    },
    /// The contact chart (3-①), not reviewed for 12 months (`None`: never since it was made).
    ContactChart { reviewed_on: Option<Date> },
}

impl Subject {
    /// What is due, in Japanese, in one sentence (the app's 期限 screen and the mails say the same).
    pub fn text_ja(&self, style: DateStyle) -> String {
        match self {
            Subject::Target { vendor, item, .. } => match vendor {
                Some(v) => format!("{v} の事業者確認用 {item}（いいえ）の目標日"),
                None => format!("{item}（いいえ）の目標日"),
            },
            Subject::AnnualCheck {
                fiscal_year,
                checklist: None,
                ..
            } => format!("{}のチェックリストがまだありません", fiscal_year.label_ja()),
            Subject::AnnualCheck {
                fiscal_year, left, ..
            } => format!(
                "{}のチェックリスト: あと {left} 項目",
                fiscal_year.label_ja()
            ),
            Subject::VendorForm {
                vendor,
                requested_on,
                ..
            } => format!(
                "{vendor} の事業者確認用が未回収です（{} に依頼）",
                requested_on.display(style)
            ),
            Subject::DocumentReview { title } => format!("「{title}」の見直し"),
            Subject::ContactChart { reviewed_on } => match reviewed_on {
                Some(d) => format!("連絡体制図の見直し（前回 {}）", d.display(style)),
                None => "連絡体制図の見直し（まだ一度もありません）".to_string(),
            },
        }
    }

    /// A stable key (for "mailed once" records and list keys): kind and what it is about.
    pub fn key(&self) -> String {
        match self {
            Subject::Target {
                checklist, item, ..
            } => format!("target:{checklist}:{item}"),
            Subject::DocumentReview { title } => format!("review:{title}"),
            Subject::AnnualCheck { fiscal_year, .. } => format!("annual:{}", fiscal_year.0),
            Subject::VendorForm { checklist, .. } => format!("vendor:{checklist}"),
            Subject::ContactChart { .. } => "chart".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub subject: Subject,
    /// The day it is due; after it, overdue.
    pub due: Date,
}

impl Reminder {
    pub fn overdue(&self, today: Date) -> bool {
        self.due < today
    }
}

/// A checklist watched: its answers, and when it was started (asked for, for a vendor's).
#[derive(Debug, Clone, Copy)]
pub struct Form<'a> {
    pub id: DocumentId,
    pub answers: Answers<'a>,
    pub started_on: Date,
    /// The vendor's name, for a 事業者確認用.
    pub vendor: Option<&'a str>,
}

impl Form<'_> {
    /// Items still to answer, to date, or to give a 目標日 (0 once the form is complete).
    fn left(&self, today: Date) -> usize {
        let p = Progress::of(
            self.answers.edition,
            self.answers.form,
            today.fiscal_year(),
            self.answers.answers,
            today,
        );
        if p.complete() {
            0
        } else {
            (p.total - p.answered + p.undated + p.no_without_target).max(1)
        }
    }
}

/// A document with a review: its title, and when the next is due (its own date, or a year after the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub title: String,
    pub due: Date,
}

/// The contact chart: when it was made and last reviewed. A review is due a year after the later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chart {
    pub made_on: Date,
    pub reviewed_on: Option<Date>,
}

/// What the reminders are computed from: this fiscal year's forms, reviews and the chart.
#[derive(Debug, Clone, Copy)]
pub struct Watch<'a> {
    pub today: Date,
    /// The facility's own form for this fiscal year, if started.
    pub own: Option<Form<'a>>,
    /// This fiscal year's vendor forms.
    pub vendor_forms: &'a [Form<'a>],
    pub reviews: &'a [Review],
    /// The contact chart, if there is one.
    pub chart: Option<Chart>,
}

/// Everything due within [`SOON_DAYS`] or overdue, soonest first.
pub fn reminders(w: &Watch<'_>) -> Vec<Reminder> {
    let soon = w.today.plus_days(SOON_DAYS);
    let year = w.today.fiscal_year();
    let mut out = Vec::new();
    for form in w.own.iter().chain(w.vendor_forms) {
        for (item, a) in form.answers.answers {
            if a.current.choice == crate::answer::Choice::No
                && let Some(target) = a.current.target_on
                && target <= soon
            {
                out.push(Reminder {
                    subject: Subject::Target {
                        checklist: form.id,
                        vendor: form.vendor.map(str::to_string),
                        item: item.clone(),
                    },
                    due: target,
                });
            }
        }
    }
    let left = w.own.as_ref().map(|f| f.left(w.today));
    if left != Some(0) && year.end().days_since(w.today) <= ANNUAL_CHECK_DAYS || w.own.is_none() {
        out.push(Reminder {
            subject: Subject::AnnualCheck {
                fiscal_year: year,
                checklist: w.own.map(|f| f.id),
                left: left.unwrap_or(0),
            },
            due: year.end(),
        });
    }
    for form in w.vendor_forms {
        let due = form.started_on.plus_days(VENDOR_WAIT_DAYS);
        if due <= w.today && form.left(w.today) > 0 {
            out.push(Reminder {
                subject: Subject::VendorForm {
                    checklist: form.id,
                    vendor: form.vendor.unwrap_or_default().to_string(),
                    requested_on: form.started_on,
                },
                due,
            });
        }
    }
    for r in w.reviews {
        if r.due <= soon {
            out.push(Reminder {
                subject: Subject::DocumentReview {
                    title: r.title.clone(),
                },
                due: r.due,
            });
        }
    }
    if let Some(chart) = w.chart {
        let since = chart
            .reviewed_on
            .map_or(chart.made_on, |r| r.max(chart.made_on));
        let due = since.plus_days(REVIEW_DAYS);
        if due <= soon {
            out.push(Reminder {
                subject: Subject::ContactChart {
                    reviewed_on: chart.reviewed_on,
                },
                due,
            });
        }
    }
    crate::order::sort_by_key(&mut out, |r| (r.due, r.subject.key()));
    out
}

/// The reminders of one facility from its documents as stored (the app's copies, or the server's): this
/// fiscal year's own form and vendor forms, the evidence register's reviews and the contact chart. `load`
/// gives a document by id (`None`: not here); `day_of` reads a Unix time (ms) as a calendar day where the
/// caller is (the device's zone, or Japan's on the server).
pub fn of_facility<'d>(
    index: &FacilityIndex,
    load: impl Fn(DocumentId) -> Option<&'d AutoCommit>,
    today: Date,
    day_of: impl Fn(i64) -> Option<Date>,
) -> Vec<Reminder> {
    let year = today.fiscal_year();
    struct Loaded {
        id: DocumentId,
        meta: ChecklistMeta,
        answers: BTreeMap<ItemId, ItemAnswers>,
    }
    let read = |id: DocumentId| -> Option<Loaded> {
        let doc = load(id)?;
        Some(Loaded {
            id,
            meta: checklist::meta(doc).ok()?,
            answers: checklist::answers(doc).ok()?,
        })
    };
    let own: Option<Loaded> = index.own_checklist(year).and_then(|e| read(e.id));
    let vendors: Vec<Loaded> = index
        .checklists()
        .into_iter()
        .filter(|(_, m)| m.fiscal_year == year && m.form == FormKind::Vendor)
        .filter_map(|(e, _)| read(e.id))
        .collect();
    fn form<'a>(l: &'a Loaded, day_of: &impl Fn(i64) -> Option<Date>) -> Option<Form<'a>> {
        Some(Form {
            id: l.id,
            answers: Answers {
                edition: edition(&l.meta.edition)?,
                form: l.meta.form,
                answers: &l.answers,
            },
            started_on: day_of(l.meta.created_at_ms)?,
            vendor: (l.meta.form == FormKind::Vendor).then_some(l.meta.vendor_name.as_str()),
        })
    }
    let vendor_forms: Vec<Form<'_>> = vendors.iter().filter_map(|l| form(l, &day_of)).collect();
    let mut reviews: Vec<Review> = Vec::new();
    for entry in index.documents_of(DocKind::Evidence) {
        let Some(register) = load(entry.id).and_then(|d| evidence::read(d).ok()) else {
            continue;
        };
        for r in register.records() {
            if let Some(due) = r
                .next_review_on
                .or_else(|| r.last_checked().map(|d| d.plus_days(REVIEW_DAYS)))
            {
                reviews.push(Review {
                    title: r.title.clone(),
                    due,
                });
            }
        }
    }
    let chart = index
        .documents_of(DocKind::ContactChart)
        .into_iter()
        .find_map(|e| {
            let chart = contact_chart::read(load(e.id)?).ok()?;
            Some(Chart {
                made_on: day_of(e.created_at_ms)?,
                reviewed_on: chart.reviewed.and_then(|r| r.on),
            })
        });
    reminders(&Watch {
        today,
        own: own.as_ref().and_then(|l| form(l, &day_of)),
        vendor_forms: &vendor_forms,
        reviews: &reviews,
        chart,
    })
}

#[cfg(test)]
mod tests;
