//! Documents the tests and benchmarks share: a new 医療機関確認用 checklist and answers by a named person.

use automerge::AutoCommit;
use mamori_shared::answer::{Answer, Choice, Entry};
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::edition::FormKind;
use mamori_shared::model::{FacilityId, ItemId};
use mamori_shared::schema::checklist::{self, ChecklistMeta};

/// A new, empty 令和7年度 checklist for a hospital.
pub fn new_checklist() -> AutoCommit {
    checklist::create(&ChecklistMeta {
        facility_id: FacilityId::generate(),
        form: FormKind::Medical,
        edition: "r7".into(),
        fiscal_year: FiscalYear(2026),
        vendor_id: None,
        vendor_name: String::new(),
        created_at_ms: 0,
        copied_from: None,
    })
    .expect("a new checklist")
}

/// Answers `item` as `who`, checked on 2026-11-20.
pub fn answer(doc: &mut AutoCommit, item: &str, choice: Choice, who: &str) {
    let a = Answer::new(
        choice,
        Date::new(2026, 11, 20).expect("a date"),
        Entry {
            by: who.into(),
            ..Entry::default()
        },
    );
    checklist::put_answer(doc, &ItemId::from(item), &a).expect("an answer");
}
