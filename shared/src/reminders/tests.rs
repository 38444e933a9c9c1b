use std::collections::BTreeMap;

use super::*;
use crate::answer::{Answer, Choice, Entry};
use crate::edition::{FormKind, edition};
use crate::schema::checklist::ItemAnswers;

fn d(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

/// Every item はい on `on`, except the items given as いいえ with their 目標日.
fn answered(form: FormKind, on: &str, no: &[(&str, &str)]) -> BTreeMap<ItemId, ItemAnswers> {
    edition("r7")
        .unwrap()
        .form_items(form)
        .into_iter()
        .map(|item| {
            let mut a = Answer::new(Choice::Yes, d(on), Entry::default());
            if let Some((_, target)) = no.iter().find(|(id, _)| *id == item.id.as_str()) {
                a.choice = Choice::No;
                a.target_on = Some(d(target));
            }
            let answers = ItemAnswers {
                current: a,
                conflicts: Vec::new(),
                author: None,
            };
            (item.id.clone(), answers)
        })
        .collect()
}

fn form<'a>(
    id: DocumentId,
    kind: FormKind,
    answers: &'a BTreeMap<ItemId, ItemAnswers>,
    started: &str,
    vendor: Option<&'a str>,
) -> Form<'a> {
    Form {
        id,
        answers: Answers {
            edition: edition("r7").unwrap(),
            form: kind,
            answers,
        },
        started_on: d(started),
        vendor,
    }
}

fn keys(w: &Watch<'_>) -> Vec<(String, bool)> {
    reminders(w)
        .into_iter()
        .map(|r| (r.subject.key(), r.overdue(w.today)))
        .collect()
}

#[test]
fn targets_within_thirty_days_or_past_are_reminded_soonest_first() {
    let own = DocumentId::generate();
    let answers = answered(
        FormKind::Medical,
        "2026-06-01",
        &[
            ("1-①", "2026-12-01"),
            ("2-④", "2027-01-03"),
            ("2-⑤", "2027-01-04"),
        ],
    );
    let w = Watch {
        today: d("2026-12-04"),
        own: Some(form(own, FormKind::Medical, &answers, "2026-05-01", None)),
        vendor_forms: &[],
        reviews: &[],
        chart: Some(Chart {
            made_on: d("2026-04-01"),
            reviewed_on: Some(d("2026-06-01")),
        }),
    };
    // 1-① is overdue; 2-④ is 30 days away (reminded); 2-⑤ is 31 days away (not yet).
    assert_eq!(
        keys(&w),
        vec![
            (format!("target:{own}:1-①"), true),
            (format!("target:{own}:2-④"), false),
        ]
    );
}

#[test]
fn the_year_check_is_reminded_when_not_started_and_when_unfinished_near_the_year_end() {
    let w = Watch {
        today: d("2026-07-01"),
        own: None,
        vendor_forms: &[],
        reviews: &[],
        chart: None,
    };
    let r = reminders(&w);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].due, d("2027-03-31"));
    assert!(matches!(
        r[0].subject,
        Subject::AnnualCheck {
            checklist: None,
            ..
        }
    ));

    // Started with an item left: quiet in July, reminded from 60 days before 31 March.
    let own = DocumentId::generate();
    let mut answers = answered(FormKind::Medical, "2026-06-01", &[]);
    answers.pop_first();
    let started = Watch {
        own: Some(form(own, FormKind::Medical, &answers, "2026-05-01", None)),
        ..w
    };
    assert_eq!(keys(&started), vec![]);
    let february = Watch {
        today: d("2027-01-30"),
        ..started
    };
    let r = reminders(&february);
    assert!(
        matches!(
            &r[..],
            [Reminder {
                subject: Subject::AnnualCheck {
                    left: 1,
                    checklist: Some(_),
                    ..
                },
                ..
            }]
        ),
        "{r:?}"
    );
    // Complete: nothing.
    let done = answered(FormKind::Medical, "2026-06-01", &[]);
    let complete = Watch {
        own: Some(form(own, FormKind::Medical, &done, "2026-05-01", None)),
        ..february
    };
    assert_eq!(keys(&complete), vec![]);
}

#[test]
fn a_vendor_form_is_chased_thirty_days_after_it_was_asked_for_until_returned() {
    let own_id = DocumentId::generate();
    let own = answered(FormKind::Medical, "2026-06-01", &[]);
    let vendor = DocumentId::generate();
    let nothing = BTreeMap::new();
    let returned = answered(FormKind::Vendor, "2026-11-20", &[("2-①", "2027-06-30")]);
    let asked = [form(
        vendor,
        FormKind::Vendor,
        &nothing,
        "2026-11-04",
        Some("メディコム"),
    )];
    let w = Watch {
        today: d("2026-12-03"),
        own: Some(form(own_id, FormKind::Medical, &own, "2026-05-01", None)),
        vendor_forms: &asked,
        reviews: &[],
        chart: None,
    };
    assert_eq!(keys(&w), vec![], "29 days: not yet");
    let w = Watch {
        today: d("2026-12-04"),
        ..w
    };
    assert_eq!(keys(&w), vec![(format!("vendor:{vendor}"), false)]);
    let back = [form(
        vendor,
        FormKind::Vendor,
        &returned,
        "2026-11-04",
        Some("メディコム"),
    )];
    let w = Watch {
        vendor_forms: &back,
        ..w
    };
    assert_eq!(keys(&w), vec![], "returned; its いいえ's 目標日 is far off");
}

#[test]
fn reviews_and_the_chart_fall_due_a_year_on() {
    let reviews = [
        Review {
            title: "運用管理規程".into(),
            due: d("2026-12-20"),
        },
        Review {
            title: "BCP".into(),
            due: d("2027-06-01"),
        },
    ];
    let w = Watch {
        today: d("2026-12-04"),
        own: None,
        vendor_forms: &[],
        reviews: &reviews,
        chart: Some(Chart {
            made_on: d("2025-04-01"),
            reviewed_on: Some(d("2025-12-01")),
        }),
    };
    let got: Vec<(String, bool)> = keys(&w)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("annual"))
        .collect();
    assert_eq!(
        got,
        vec![
            ("chart".into(), true),
            ("review:運用管理規程".into(), false)
        ]
    );
    // A chart never reviewed is due a year after it was made; one reviewed in June is not due.
    let never = Watch {
        chart: Some(Chart {
            made_on: d("2025-12-20"),
            reviewed_on: None,
        }),
        reviews: &[],
        ..w
    };
    assert!(keys(&never).contains(&("chart".into(), false)));
    let new = Watch {
        chart: Some(Chart {
            made_on: d("2026-11-01"),
            reviewed_on: None,
        }),
        reviews: &[],
        ..w
    };
    assert!(!keys(&new).iter().any(|(k, _)| k == "chart"));
    let recent = Watch {
        chart: Some(Chart {
            made_on: d("2025-04-01"),
            reviewed_on: Some(d("2026-06-01")),
        }),
        reviews: &[],
        ..w
    };
    assert!(!keys(&recent).iter().any(|(k, _)| k == "chart"));
}
