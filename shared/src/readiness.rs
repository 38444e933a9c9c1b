//! 準備状況: whether a facility is ready for the 立入検査 of one fiscal year, line by line, each green, amber or
//! red with what is missing, from the data alone.
//!
//! The lines follow what the manual says the inspector looks at: the facility's own form answered and dated
//! within the year, a 目標日 inside the year for every いいえ, each contracted vendor's 事業者確認用 collected
//! (with no vendor contract, 2-②/2-③ and vendor forms are not required: the manual's ※), the documents looked
//! at in person (2-① 台帳, 3-① 連絡体制図, 3-③ BCP, 4 規程類) and the access log's review. Mamori's own advice
//! beyond the manual (documents reviewed within 12 months; three backup generations, one offline, which the
//! manual calls 望ましい) is amber at worst and says it is advice ([`Line::advice`]).
//!
//! Pure: the app gathers the facts (and says "as of" for those only the server knows).

use std::collections::BTreeMap;

use crate::answer::Choice;
use crate::calendar::{Date, FiscalYear};
use crate::contacts::ChartCheck;
use crate::edition::{Edition, FormKind};
use crate::model::ItemId;
use crate::schema::checklist::ItemAnswers;

/// A line's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Green,
    Amber,
    Red,
}

impl Level {
    pub fn key(self) -> &'static str {
        match self {
            Level::Green => "green",
            Level::Amber => "amber",
            Level::Red => "red",
        }
    }
}

/// What a line is about (its place on the screen and its link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Every item of the facility's form answered and dated within the year.
    Answered,
    /// Every いいえ with a 目標日 inside the year, none overdue.
    Targets,
    /// Each contracted vendor's 事業者確認用 collected.
    VendorForms,
    /// 2-①: the 機器台帳.
    DeviceLedger,
    /// 3-①: the 連絡体制図.
    ContactChart,
    /// 3-③: the BCP.
    Bcp,
    /// 4: the 規程類.
    Rules,
    /// The access log's monthly review marks.
    LogReview,
    /// Advice: each document reviewed within 12 months.
    DocumentsReviewed,
    /// Advice: three backup generations, one offline.
    Backups,
}

impl Topic {
    pub fn key(self) -> &'static str {
        match self {
            Topic::Answered => "answered",
            Topic::Targets => "targets",
            Topic::VendorForms => "vendor-forms",
            Topic::DeviceLedger => "device-ledger",
            Topic::ContactChart => "contact-chart",
            Topic::Bcp => "bcp",
            Topic::Rules => "rules",
            Topic::LogReview => "log-review",
            Topic::DocumentsReviewed => "documents-reviewed",
            Topic::Backups => "backups",
        }
    }

    /// Mamori's advice beyond the manual: never red.
    pub fn advice(self) -> bool {
        matches!(self, Topic::DocumentsReviewed | Topic::Backups)
    }
}

/// What a line found, as data the screen words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    NoChecklist,
    /// Items not answered, answered without a 確認日, dated outside the year (ids in form order).
    Answers {
        total: usize,
        unanswered: Vec<ItemId>,
        undated: Vec<ItemId>,
        outside_year: Vec<ItemId>,
    },
    /// いいえ answers without a target, with one after the year's end, and past their target.
    Targets {
        no: usize,
        without: Vec<ItemId>,
        after_year: Vec<ItemId>,
        overdue: Vec<ItemId>,
    },
    NoVendorContract,
    /// Each contracted vendor, by name, with where its form stands and its いいえ items.
    Vendors(Vec<VendorForm>),
    Devices(usize),
    Chart(ChartCheck),
    /// Registered evidence of the kind: (title, effective date).
    Evidence(Vec<(String, Option<Date>)>),
    /// The last review of the access log, and the months of the year so far without one.
    LogReview {
        last: Option<Date>,
        months_without: Vec<(i32, u8)>,
    },
    /// Documents whose last review is older than 12 months (or never reviewed).
    Stale(Vec<Stale>),
    Backups {
        generations: usize,
        offline: usize,
    },
}

/// A document due for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    ContactChart,
    /// A document of the evidence register, by title.
    Document(String),
}

/// Where one vendor's form stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormState {
    NotRequested,
    /// 依頼済: nothing answered yet.
    Requested,
    /// 回答中.
    InProgress {
        answered: usize,
        total: usize,
    },
    /// 回収済.
    Collected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorForm {
    pub name: String,
    pub state: FormState,
    /// The vendor's いいえ items (listed for the institution, whatever the colour).
    pub no: Vec<ItemId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub topic: Topic,
    pub level: Level,
    pub finding: Finding,
}

/// One checklist's answers, with what they are answers to.
#[derive(Debug, Clone, Copy)]
pub struct Answers<'a> {
    pub edition: &'a Edition,
    pub form: FormKind,
    pub answers: &'a BTreeMap<ItemId, ItemAnswers>,
}

/// A vendor with a contract, and its form for the year if one was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Vendor<'a> {
    pub name: &'a str,
    pub form: Option<Answers<'a>>,
}

/// A registered document (evidence register): its kind, title, effective date and last review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocumentKind,
    pub title: String,
    pub effective_on: Option<Date>,
    pub reviewed_on: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Bcp,
    Rules,
    Other,
}

/// One backup as recorded: its generation and whether it is kept offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backup {
    pub generation: u32,
    pub offline: bool,
}

/// Everything the lines are computed from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub fiscal_year: FiscalYear,
    pub today: Date,
    pub own: Option<Answers<'a>>,
    pub has_vendor_contract: bool,
    pub vendors: &'a [Vendor<'a>],
    pub devices_in_use: usize,
    pub chart: &'a ChartCheck,
    /// The chart's last review, the device ledger's, and the evidence register's documents.
    pub documents: &'a [Document],
    /// The access log's review marks as the server last said (`None`: never heard).
    pub log_reviews: Option<&'a [Date]>,
    /// When the facility's access log began (its registration on the server): months before are not due.
    pub log_since: Option<Date>,
    pub backups: &'a [Backup],
}

/// The readiness of one facility for one year: every line, in the screen's order.
pub fn lines(f: &Facts<'_>) -> Vec<Line> {
    let mut out = Vec::new();
    out.extend(own_form(f));
    out.push(vendor_forms(f));
    out.push(Line {
        topic: Topic::DeviceLedger,
        level: if f.devices_in_use > 0 {
            Level::Green
        } else {
            Level::Red
        },
        finding: Finding::Devices(f.devices_in_use),
    });
    out.push(Line {
        topic: Topic::ContactChart,
        level: if f.chart.complete() {
            Level::Green
        } else if f.chart.exists && f.chart.entered > 0 {
            // Present, some numbers missing: the inspector sees a chart, the facility has work left.
            Level::Amber
        } else {
            Level::Red
        },
        finding: Finding::Chart(f.chart.clone()),
    });
    for (topic, kind) in [
        (Topic::Bcp, DocumentKind::Bcp),
        (Topic::Rules, DocumentKind::Rules),
    ] {
        let found: Vec<(String, Option<Date>)> = f
            .documents
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| (d.title.clone(), d.effective_on))
            .collect();
        out.push(Line {
            topic,
            level: if found.is_empty() {
                Level::Red
            } else {
                Level::Green
            },
            finding: Finding::Evidence(found),
        });
    }
    out.push(log_review(f));
    out.push(documents_reviewed(f));
    out.push(backups(f));
    out
}

/// The worst colour of the lines that are not advice: what "ready" means.
pub fn overall(lines: &[Line]) -> Level {
    lines
        .iter()
        .filter(|l| !l.topic.advice())
        .map(|l| l.level)
        .max()
        .unwrap_or(Level::Green)
}

fn own_form(f: &Facts<'_>) -> [Line; 2] {
    let Some(own) = f.own else {
        return [
            Line {
                topic: Topic::Answered,
                level: Level::Red,
                finding: Finding::NoChecklist,
            },
            Line {
                topic: Topic::Targets,
                level: Level::Red,
                finding: Finding::NoChecklist,
            },
        ];
    };
    let (mut unanswered, mut undated, mut outside_year) = (Vec::new(), Vec::new(), Vec::new());
    let (mut no, mut without, mut after_year, mut overdue) =
        (0, Vec::new(), Vec::new(), Vec::new());
    let items = own.edition.form_items(own.form);
    for item in &items {
        let Some(a) = own.answers.get(&item.id).map(|a| &a.current) else {
            unanswered.push(item.id.clone());
            continue;
        };
        let dated = matches!(a.choice, Choice::Yes | Choice::No);
        match a.checked_on {
            None if dated => undated.push(item.id.clone()),
            Some(d) if dated && !f.fiscal_year.contains(d) => outside_year.push(item.id.clone()),
            _ => {}
        }
        if a.choice == Choice::No {
            no += 1;
            match a.target_on {
                None => without.push(item.id.clone()),
                Some(t) if t > f.fiscal_year.end() => after_year.push(item.id.clone()),
                Some(t) if t < f.today => overdue.push(item.id.clone()),
                Some(_) => {}
            }
        }
    }
    let answered_ok = unanswered.is_empty() && undated.is_empty() && outside_year.is_empty();
    let targets_ok = without.is_empty() && after_year.is_empty() && overdue.is_empty();
    [
        Line {
            topic: Topic::Answered,
            level: if answered_ok {
                Level::Green
            } else {
                Level::Red
            },
            finding: Finding::Answers {
                total: items.len(),
                unanswered,
                undated,
                outside_year,
            },
        },
        Line {
            topic: Topic::Targets,
            level: if targets_ok { Level::Green } else { Level::Red },
            finding: Finding::Targets {
                no,
                without,
                after_year,
                overdue,
            },
        },
    ]
}

fn vendor_forms(f: &Facts<'_>) -> Line {
    if !f.has_vendor_contract {
        return Line {
            topic: Topic::VendorForms,
            level: Level::Green,
            finding: Finding::NoVendorContract,
        };
    }
    let forms: Vec<VendorForm> = f
        .vendors
        .iter()
        .map(|v| {
            let Some(form) = v.form else {
                return VendorForm {
                    name: v.name.to_string(),
                    state: FormState::NotRequested,
                    no: Vec::new(),
                };
            };
            let items = form.edition.form_items(form.form);
            let total = items.len();
            let mut answered = 0;
            let mut complete = true;
            let mut no = Vec::new();
            for item in &items {
                match form.answers.get(&item.id).map(|a| &a.current) {
                    None => complete = false,
                    Some(a) => {
                        answered += 1;
                        if matches!(a.choice, Choice::Yes | Choice::No) && a.checked_on.is_none() {
                            complete = false;
                        }
                        if a.choice == Choice::No {
                            no.push(item.id.clone());
                        }
                    }
                }
            }
            let state = match (answered, complete) {
                (_, true) => FormState::Collected,
                (0, _) => FormState::Requested,
                _ => FormState::InProgress { answered, total },
            };
            VendorForm {
                name: v.name.to_string(),
                state,
                no,
            }
        })
        .collect();
    // A contract and no vendor registered: the forms cannot even be asked for.
    let level = if forms.is_empty() || forms.iter().any(|v| v.state == FormState::NotRequested) {
        Level::Red
    } else if forms.iter().all(|v| v.state == FormState::Collected) {
        Level::Green
    } else {
        Level::Amber
    };
    Line {
        topic: Topic::VendorForms,
        level,
        finding: Finding::Vendors(forms),
    }
}

/// Months of the year up to the last full month before `today` (a month in progress is not yet missing).
fn months_so_far(year: FiscalYear, today: Date) -> Vec<(i32, u8)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (year.0, 4u8);
    loop {
        let this_month = (today.year(), today.month());
        if (y, m) >= this_month || (y, m) > (year.0 + 1, 3) {
            break;
        }
        out.push((y, m));
        if m == 12 {
            (y, m) = (y + 1, 1);
        } else {
            m += 1;
        }
    }
    out
}

fn log_review(f: &Facts<'_>) -> Line {
    let reviews = f.log_reviews.unwrap_or_default();
    let months_without: Vec<(i32, u8)> = months_so_far(f.fiscal_year, f.today)
        .into_iter()
        .filter(|ym| f.log_since.is_none_or(|s| *ym >= (s.year(), s.month())))
        .filter(|(y, m)| !reviews.iter().any(|d| d.year() == *y && d.month() == *m))
        .collect();
    let last = reviews.iter().max().copied();
    let level = match (f.log_reviews, months_without.len()) {
        (None, _) => Level::Red,
        (Some(_), 0) => Level::Green,
        // One month missed is a reminder; more is a gap the inspector sees.
        (Some(_), 1) => Level::Amber,
        _ => Level::Red,
    };
    Line {
        topic: Topic::LogReview,
        level,
        finding: Finding::LogReview {
            last,
            months_without,
        },
    }
}

fn documents_reviewed(f: &Facts<'_>) -> Line {
    let old = |d: Option<Date>| d.is_none_or(|r| f.today.days_since(r) > 365);
    let mut stale: Vec<Stale> = Vec::new();
    if f.chart.exists && old(f.chart.reviewed_on) {
        stale.push(Stale::ContactChart);
    }
    stale.extend(
        f.documents
            .iter()
            .filter(|d| old(d.reviewed_on))
            .map(|d| Stale::Document(d.title.clone())),
    );
    Line {
        topic: Topic::DocumentsReviewed,
        level: if stale.is_empty() {
            Level::Green
        } else {
            Level::Amber
        },
        finding: Finding::Stale(stale),
    }
}

fn backups(f: &Facts<'_>) -> Line {
    let mut generations: Vec<u32> = f.backups.iter().map(|b| b.generation).collect();
    crate::order::sort(&mut generations);
    generations.dedup();
    let offline = f.backups.iter().filter(|b| b.offline).count();
    Line {
        topic: Topic::Backups,
        level: if generations.len() >= 3 && offline >= 1 {
            Level::Green
        } else {
            Level::Amber
        },
        finding: Finding::Backups {
            generations: generations.len(),
            offline,
        },
    }
}

#[cfg(test)]
mod tests;
