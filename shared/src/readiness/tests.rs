use std::collections::BTreeMap;

use super::*;
use crate::answer::{Answer, Entry};
use crate::edition::edition;

fn d(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

const TODAY: &str = "2026-12-04";

fn answers(
    form: FormKind,
    choose: impl Fn(&str) -> Option<Answer>,
) -> BTreeMap<ItemId, ItemAnswers> {
    let ed = edition("r7").unwrap();
    ed.form_items(form)
        .into_iter()
        .filter_map(|item| {
            let a = choose(item.id.as_str())?;
            Some((
                item.id.clone(),
                ItemAnswers {
                    current: a,
                    conflicts: Vec::new(),
                    author: None,
                },
            ))
        })
        .collect()
}

fn yes() -> Option<Answer> {
    Some(Answer::new(Choice::Yes, d(TODAY), Entry::default()))
}

fn chart(complete: bool) -> ChartCheck {
    ChartCheck {
        exists: true,
        reviewed_on: Some(d("2026-06-01")),
        vendors_without_phone: Vec::new(),
        without_phone: if complete {
            Vec::new()
        } else {
            vec!["管理薬剤師".into()]
        },
        contacts: 8,
        entered: 3,
    }
}

fn doc(kind: DocumentKind, title: &str, reviewed: &str) -> Document {
    Document {
        kind,
        title: title.into(),
        effective_on: Some(d("2026-04-01")),
        reviewed_on: Some(d(reviewed)),
    }
}

fn level(lines: &[Line], topic: Topic) -> Level {
    lines.iter().find(|l| l.topic == topic).unwrap().level
}

#[test]
fn a_new_pharmacy_is_red_where_the_manual_asks_and_amber_only_for_advice() {
    let chart = ChartCheck {
        exists: true,
        reviewed_on: None,
        vendors_without_phone: Vec::new(),
        without_phone: vec!["管理薬剤師".into()],
        contacts: 8,
        entered: 0,
    };
    let empty = BTreeMap::new();
    let own = Answers {
        edition: edition("r7").unwrap(),
        form: FormKind::Pharmacy,
        answers: &empty,
    };
    let vendors = [Vendor {
        name: "レセコン株式会社",
        form: None,
    }];
    let lines = lines(&Facts {
        fiscal_year: FiscalYear(2026),
        today: d(TODAY),
        own: Some(own),
        has_vendor_contract: true,
        vendors: &vendors,
        devices_in_use: 0,
        chart: &chart,
        documents: &[],
        log_reviews: None,
        log_since: None,
        backups: &[],
    });
    for topic in [
        Topic::Answered,
        Topic::VendorForms,
        Topic::DeviceLedger,
        Topic::ContactChart,
        Topic::Bcp,
        Topic::Rules,
        Topic::LogReview,
    ] {
        assert_eq!(level(&lines, topic), Level::Red, "{topic:?}");
    }
    assert_eq!(level(&lines, Topic::Targets), Level::Green, "no いいえ yet");
    for advice in [Topic::DocumentsReviewed, Topic::Backups] {
        assert_eq!(level(&lines, advice), Level::Amber, "{advice:?} is advice");
    }
    assert_eq!(overall(&lines), Level::Red);
}

#[test]
fn all_green_with_no_vendor_contract_and_no_vendor_forms() {
    let own_answers = answers(FormKind::Pharmacy, |id| match id {
        // 記入不要 where the facility has no vendor contract.
        "2-②" | "2-③" => Some(Answer::new(Choice::NotRequired, d(TODAY), Entry::default())),
        _ => yes(),
    });
    let own = Answers {
        edition: edition("r7").unwrap(),
        form: FormKind::Pharmacy,
        answers: &own_answers,
    };
    let chart = chart(true);
    let documents = [
        doc(DocumentKind::Bcp, "BCP", "2026-05-01"),
        doc(DocumentKind::Rules, "運用管理規程", "2026-05-01"),
    ];
    let reviews: Vec<Date> = [
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
    ]
    .into_iter()
    .map(d)
    .collect();
    let backups = [
        Backup {
            generation: 1,
            offline: false,
        },
        Backup {
            generation: 2,
            offline: false,
        },
        Backup {
            generation: 3,
            offline: true,
        },
    ];
    let lines = lines(&Facts {
        fiscal_year: FiscalYear(2026),
        today: d(TODAY),
        own: Some(own),
        has_vendor_contract: false,
        vendors: &[],
        devices_in_use: 4,
        chart: &chart,
        documents: &documents,
        log_reviews: Some(&reviews),
        log_since: None,
        backups: &backups,
    });
    for l in &lines {
        assert_eq!(l.level, Level::Green, "{l:?}");
    }
    assert_eq!(
        lines
            .iter()
            .find(|l| l.topic == Topic::VendorForms)
            .unwrap()
            .finding,
        Finding::NoVendorContract
    );
}

#[test]
fn answers_dated_last_year_and_overdue_targets_are_red() {
    let own_answers = answers(FormKind::Medical, |id| match id {
        "1-①" => Some(Answer::new(Choice::Yes, d("2026-03-31"), Entry::default())),
        "2-①" => Some(Answer {
            target_on: Some(d("2026-11-30")),
            ..Answer::new(Choice::No, d("2026-10-01"), Entry::default())
        }),
        "2-④" => Some(Answer {
            target_on: Some(d("2027-06-30")),
            ..Answer::new(Choice::No, d("2026-10-01"), Entry::default())
        }),
        "3-①" => Some(Answer {
            target_on: Some(d("2027-03-31")),
            ..Answer::new(Choice::No, d("2026-10-01"), Entry::default())
        }),
        _ => yes(),
    });
    let own = Answers {
        edition: edition("r7").unwrap(),
        form: FormKind::Medical,
        answers: &own_answers,
    };
    let chart = chart(true);
    let lines = lines(&Facts {
        fiscal_year: FiscalYear(2026),
        today: d(TODAY),
        own: Some(own),
        has_vendor_contract: false,
        vendors: &[],
        devices_in_use: 1,
        chart: &chart,
        documents: &[],
        log_reviews: Some(&[]),
        log_since: None,
        backups: &[],
    });
    let answered = lines.iter().find(|l| l.topic == Topic::Answered).unwrap();
    assert_eq!(answered.level, Level::Red);
    let Finding::Answers {
        outside_year,
        unanswered,
        ..
    } = &answered.finding
    else {
        panic!("{answered:?}")
    };
    assert_eq!(outside_year, &[ItemId::from("1-①")]);
    assert!(unanswered.is_empty());
    let targets = lines.iter().find(|l| l.topic == Topic::Targets).unwrap();
    assert_eq!(
        targets.finding,
        Finding::Targets {
            no: 3,
            without: Vec::new(),
            after_year: vec![ItemId::from("2-④")],
            overdue: vec![ItemId::from("2-①")],
        }
    );
    assert_eq!(targets.level, Level::Red);
}

#[test]
fn vendor_forms_go_from_red_to_amber_to_green_and_list_their_no() {
    let ed = edition("r7").unwrap();
    let half = answers(FormKind::Vendor, |id| {
        id.starts_with("1-").then(yes).flatten()
    });
    let all = answers(FormKind::Vendor, |id| match id {
        "2-②" => Some(Answer {
            target_on: Some(d("2027-01-31")),
            ..Answer::new(Choice::No, d(TODAY), Entry::default())
        }),
        _ => yes(),
    });
    let facts = |vendors: &[Vendor<'_>]| -> Line {
        let chart = chart(true);
        lines(&Facts {
            fiscal_year: FiscalYear(2026),
            today: d(TODAY),
            own: None,
            has_vendor_contract: true,
            vendors,
            devices_in_use: 1,
            chart: &chart,
            documents: &[],
            log_reviews: None,
            log_since: None,
            backups: &[],
        })
        .into_iter()
        .find(|l| l.topic == Topic::VendorForms)
        .unwrap()
    };
    let form = |answers| {
        Some(Answers {
            edition: ed,
            form: FormKind::Vendor,
            answers,
        })
    };
    assert_eq!(
        facts(&[]).level,
        Level::Red,
        "a contract with no vendor registered"
    );
    let line = facts(&[Vendor {
        name: "A",
        form: form(&half),
    }]);
    assert_eq!(line.level, Level::Amber);
    let line = facts(&[Vendor {
        name: "A",
        form: form(&all),
    }]);
    assert_eq!(line.level, Level::Green);
    let Finding::Vendors(v) = line.finding else {
        panic!()
    };
    assert_eq!(v[0].state, FormState::Collected);
    assert_eq!(v[0].no, vec![ItemId::from("2-②")]);
    let line = facts(&[
        Vendor {
            name: "A",
            form: form(&all),
        },
        Vendor {
            name: "B",
            form: None,
        },
    ]);
    assert_eq!(line.level, Level::Red, "one vendor never asked");
}

#[test]
fn the_log_review_counts_full_months_only() {
    assert_eq!(
        months_so_far(FiscalYear(2026), d("2026-04-15")),
        Vec::<(i32, u8)>::new()
    );
    assert_eq!(
        months_so_far(FiscalYear(2026), d("2026-06-01")),
        vec![(2026, 4), (2026, 5)]
    );
    assert_eq!(months_so_far(FiscalYear(2025), d("2026-12-04")).len(), 12);
    assert_eq!(
        months_so_far(FiscalYear(2026), d("2027-01-10")).last(),
        Some(&(2026, 12))
    );
}

#[test]
fn months_before_the_facility_joined_the_server_are_not_expected() {
    let chart = chart(true);
    let facts = |since: Option<&str>, reviews: &[Date]| {
        let l = lines(&Facts {
            fiscal_year: FiscalYear(2026),
            today: d(TODAY),
            own: None,
            has_vendor_contract: false,
            vendors: &[],
            devices_in_use: 1,
            chart: &chart,
            documents: &[],
            log_reviews: Some(reviews),
            log_since: since.map(d),
            backups: &[],
        });
        l.into_iter().find(|l| l.topic == Topic::LogReview).unwrap()
    };
    // Registered in November: only November is due by 4 December.
    let line = facts(Some("2026-11-20"), &[]);
    assert_eq!(
        line.finding,
        Finding::LogReview {
            last: None,
            months_without: vec![(2026, 11)]
        }
    );
    assert_eq!(line.level, Level::Amber);
    assert_eq!(
        facts(Some("2026-11-20"), &[d("2026-11-30")]).level,
        Level::Green
    );
    // Registered this month: nothing is due yet.
    assert_eq!(facts(Some("2026-12-01"), &[]).level, Level::Green);
    // Unknown start: every month of the year so far.
    assert_eq!(facts(None, &[d("2026-11-30")]).level, Level::Red);
}

#[test]
fn an_old_review_is_amber_advice_never_red() {
    let chart = ChartCheck {
        reviewed_on: Some(d("2025-06-01")),
        ..chart(true)
    };
    let documents = [doc(DocumentKind::Bcp, "BCP 第2版", "2025-01-10")];
    let lines = lines(&Facts {
        fiscal_year: FiscalYear(2026),
        today: d(TODAY),
        own: None,
        has_vendor_contract: false,
        vendors: &[],
        devices_in_use: 1,
        chart: &chart,
        documents: &documents,
        log_reviews: None,
        log_since: None,
        backups: &[Backup {
            generation: 1,
            offline: true,
        }],
    });
    let stale = lines
        .iter()
        .find(|l| l.topic == Topic::DocumentsReviewed)
        .unwrap();
    assert_eq!(stale.level, Level::Amber);
    assert_eq!(
        stale.finding,
        Finding::Stale(vec![
            Stale::ContactChart,
            Stale::Document("BCP 第2版".into())
        ])
    );
    assert_eq!(level(&lines, Topic::Backups), Level::Amber);
}
