use automerge::AutoCommit;

use super::*;
use crate::calendar::Date;
use crate::model::{FacilityId, Remote};
use crate::schema::vendor_devices::{self, create, decide, hand_over, put_row, read};

fn device(id: &str, number: &str, os: &str, vendor: Option<VendorId>) -> Device {
    Device {
        id: id.into(),
        number: number.into(),
        os: os.into(),
        location: "サーバ室".into(),
        vendor_id: vendor,
        ..Device::default()
    }
}

/// A facility whose ledger holds one of vendor `v`'s devices and one of another vendor's, and `v`'s
/// contribution with its device handed over.
fn setup() -> (VendorId, BTreeMap<String, Device>, AutoCommit) {
    let (v, other) = (VendorId::generate(), VendorId::generate());
    let mut ledger = BTreeMap::new();
    ledger.insert("a".into(), device("a", "001", "Windows 10", Some(v)));
    ledger.insert("x".into(), device("x", "050", "Windows 11", Some(other)));
    let mut doc = create(FacilityId::generate(), v, 1).unwrap();
    let theirs: Vec<Device> = ledger
        .values()
        .filter(|d| d.vendor_id == Some(v))
        .cloned()
        .collect();
    hand_over(&mut doc, &theirs).unwrap();
    (v, ledger, doc)
}

#[test]
fn a_handed_over_row_proposes_nothing_until_the_vendor_changes_it() {
    let (_, ledger, mut doc) = setup();
    let c = read(&doc).unwrap();
    assert_eq!(state_of(&c, "a"), State::Unchanged);
    assert!(proposals(&c, &ledger).iter().all(|p| p.changes.is_empty()));
    // Only its own rows were handed over.
    assert!(!c.rows.contains_key("x"));

    put_row(
        &mut doc,
        &Device {
            os: "Windows 11".into(),
            last_patch_on: Some(Date::parse_iso("2026-11-01").unwrap()),
            ..c.rows["a"].clone()
        },
    )
    .unwrap();
    let c = read(&doc).unwrap();
    let p = &proposals(&c, &ledger)[0];
    assert_eq!(p.state, State::Pending);
    assert!(!p.new_row && !p.not_theirs);
    let changed: Vec<(&str, &str, &str)> = p
        .changes
        .iter()
        .map(|f| (f.header, f.ledger.as_str(), f.proposed.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            ("OS", "Windows 10", "Windows 11"),
            ("最終パッチ適用日", "", "2026/11/01")
        ]
    );
}

#[test]
fn accepting_writes_only_the_vendors_fields_over_the_facilitys_later_edits() {
    let (v, mut ledger, mut doc) = setup();
    let c = read(&doc).unwrap();
    put_row(
        &mut doc,
        &Device {
            os: "Windows 11".into(),
            ..c.rows["a"].clone()
        },
    )
    .unwrap();
    // Meanwhile the facility moved the device: its location is not the vendor's to undo.
    ledger.get_mut("a").unwrap().location = "診察室2".into();
    let c = read(&doc).unwrap();
    let row = accepted_row(&c, &ledger, "a").unwrap();
    assert_eq!(row.os, "Windows 11");
    assert_eq!(row.location, "診察室2", "the vendor did not change it");
    assert_eq!(row.vendor_id, Some(v));
    assert_eq!(row.number, "001");

    decide(&mut doc, &c.rows["a"], true, 9).unwrap();
    ledger.insert("a".into(), row);
    let c = read(&doc).unwrap();
    assert_eq!(state_of(&c, "a"), State::Accepted);
    assert_eq!(proposals(&c, &ledger)[0].state, State::Accepted);
}

#[test]
fn a_new_row_lands_under_its_id_with_the_vendor_whatever_it_claims() {
    let (v, ledger, mut doc) = setup();
    let someone = VendorId::generate();
    put_row(
        &mut doc,
        &Device {
            remote: Remote::Yes,
            ..device("new", "002", "Windows Server 2022", Some(someone))
        },
    )
    .unwrap();
    let c = read(&doc).unwrap();
    let p = proposals(&c, &ledger);
    assert_eq!(p[0].row.id, "new", "pending first");
    assert!(p[0].new_row);
    assert!(p[0].changes.iter().any(|f| f.key == "remote"));
    let row = accepted_row(&c, &ledger, "new").unwrap();
    assert_eq!(row.vendor_id, Some(v), "not the vendor the row names");
    assert_eq!(row.remote, Remote::Yes);
    assert_eq!(row.os, "Windows Server 2022");
}

#[test]
fn a_rejected_row_stays_rejected_until_the_vendor_changes_it_again() {
    let (_, ledger, mut doc) = setup();
    put_row(&mut doc, &device("new", "002", "Linux", None)).unwrap();
    let c = read(&doc).unwrap();
    decide(&mut doc, &c.rows["new"], false, 3).unwrap();
    let c = read(&doc).unwrap();
    assert_eq!(state_of(&c, "new"), State::Rejected);
    assert!(
        proposals(&c, &ledger)
            .iter()
            .all(|p| p.state != State::Pending),
        "it does not reappear"
    );
    put_row(&mut doc, &device("new", "002", "Ubuntu 24.04", None)).unwrap();
    let c = read(&doc).unwrap();
    assert_eq!(
        state_of(&c, "new"),
        State::Pending,
        "changed: proposed anew"
    );
}

#[test]
fn a_row_under_another_vendors_id_is_never_accepted() {
    let (_, ledger, mut doc) = setup();
    // The vendor guesses (or was once handed) the id of a device another vendor maintains.
    put_row(&mut doc, &device("x", "050", "Windows 7", None)).unwrap();
    let c = read(&doc).unwrap();
    let p = proposals(&c, &ledger);
    let x = p.iter().find(|p| p.row.id == "x").unwrap();
    assert!(x.not_theirs);
    assert_eq!(
        accepted_row(&c, &ledger, "x"),
        Err(NotAccepted::NotTheirs("x".into()))
    );
    // And nothing to accept is not an acceptance.
    assert_eq!(
        accepted_row(&c, &ledger, "a"),
        Err(NotAccepted::Nothing("a".into()))
    );
}

#[test]
fn the_facilitys_copy_of_a_decision_is_read_back_from_the_document() {
    let (_, _, mut doc) = setup();
    put_row(&mut doc, &device("new", "002", "Linux", None)).unwrap();
    let c = read(&doc).unwrap();
    decide(&mut doc, &c.rows["new"], false, 3).unwrap();
    let saved = AutoCommit::load(&doc.save()).unwrap();
    let c = vendor_devices::read(&saved).unwrap();
    assert_eq!(c.decisions["new"].state, REJECTED);
}
