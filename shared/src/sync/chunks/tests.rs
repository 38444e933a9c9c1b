use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};

use super::craft;
use super::*;

fn budget() -> Budget {
    ChunkLimits::default().budget(64 * 1024)
}

fn edited(n: usize) -> AutoCommit {
    let mut doc = AutoCommit::new();
    for i in 0..n {
        doc.put(ROOT, format!("field-{i}"), format!("value {i}"))
            .unwrap();
    }
    doc.commit();
    doc
}

#[test]
fn honest_changes_and_documents_pass_with_their_hashes() {
    let mut doc = edited(200);
    let mut change = doc.get_last_local_change().unwrap().clone();
    let plain = change.raw_bytes().to_vec();
    let compressed = change.bytes().into_owned();
    assert_eq!(compressed[8], 2, "a change this size is sent compressed");
    for bytes in [&plain, &compressed] {
        match check(bytes, &mut budget()).unwrap().as_slice() {
            [Checked::Change(c)] => assert_eq!(c.hash(), change.hash()),
            other => panic!("{other:?}"),
        }
    }
    let saved = doc.save();
    assert!(matches!(
        check(&saved, &mut budget()).unwrap().as_slice(),
        [Checked::Document(bytes)] if *bytes == saved
    ));
}

#[test]
fn a_change_split_or_cut_is_refused() {
    let mut doc = edited(3);
    let bytes = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    for at in [1, 8, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            check(&bytes[..at], &mut budget()).is_err(),
            "first {at} bytes"
        );
        assert!(
            check(&bytes[at..], &mut budget()).is_err(),
            "after {at} bytes"
        );
    }
    // Whole chunks one after another are what Automerge's v2 message sends; a whole one followed by part of
    // another is not.
    let mut two = bytes.clone();
    two.extend_from_slice(&bytes);
    assert_eq!(check(&two, &mut budget()).unwrap().len(), 2);
    two.truncate(bytes.len() + 20);
    assert!(matches!(
        check(&two, &mut budget()).unwrap_err(),
        ChunkError::CutShort { .. } | ChunkError::Malformed(_)
    ));
}

#[test]
fn inflation_bombs_are_refused_before_automerge_sees_them() {
    let bomb = craft::compressed_bomb(20 * 1024 * 1024);
    assert!(bomb.len() < 100 * 1024, "{} bytes on the wire", bomb.len());
    assert_eq!(
        check(&bomb, &mut budget()).unwrap_err(),
        ChunkError::InflatesTooLarge
    );
    let bomb = craft::document_column_bomb(20 * 1024 * 1024);
    assert_eq!(
        check(&bomb, &mut budget()).unwrap_err(),
        ChunkError::InflatesTooLarge
    );
}

#[test]
fn run_lengths_declaring_huge_operation_counts_are_refused() {
    let bomb = craft::run_length_bomb(100_000_000, &[9; 16]);
    assert!(bomb.len() < 100);
    assert!(matches!(
        check(&bomb, &mut budget()).unwrap_err(),
        ChunkError::TooManyOps {
            declared: 100_000_000
        }
    ));
    // The same shape within the budget is a valid change: the bound is what stops it, not a parse error.
    let small = craft::run_length_bomb(10, &[9; 16]);
    assert!(
        matches!(check(&small, &mut budget()).unwrap().as_slice(), [Checked::Change(c)] if c.len() == 10)
    );
}

#[test]
fn the_budget_is_for_the_whole_message() {
    let mut doc = edited(100);
    let bytes = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    let mut tight = ChunkLimits {
        ops_floor: 150,
        ops_per_kib: 0,
        ..ChunkLimits::default()
    }
    .budget(0);
    check(&bytes, &mut tight).unwrap();
    assert!(matches!(
        check(&bytes, &mut tight).unwrap_err(),
        ChunkError::TooManyOps { .. }
    ));
}

#[test]
fn no_message_carries_more_than_the_cap_however_large() {
    let mut doc = edited(600);
    let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    let saved = doc.save();
    let limits = ChunkLimits {
        max_ops: 500,
        ..ChunkLimits::default()
    };
    // Well within what a message of this size may declare, but over the cap.
    for bytes in [&change, &saved] {
        assert!(matches!(
            check(bytes, &mut limits.budget(8 * 1024 * 1024)).unwrap_err(),
            ChunkError::OverMessageCap { .. }
        ));
    }
    check(&change, &mut ChunkLimits::default().budget(change.len())).unwrap();
}

#[test]
fn bundles_and_unknown_types_are_refused() {
    assert_eq!(
        check(&craft::chunk(3, &[0; 8]), &mut budget()).unwrap_err(),
        ChunkError::Bundle
    );
    assert_eq!(
        check(&craft::chunk(9, &[0; 8]), &mut budget()).unwrap_err(),
        ChunkError::UnknownType(9)
    );
}

/// Prints how many operations honest Mamori messages carry per byte (wire and inflated), to choose
/// `ops_per_byte`: `cargo test -p mamori-shared --release honest_density -- --ignored --nocapture`.
#[test]
#[ignore]
fn honest_density() {
    use crate::schema::ledger::{self, Device};
    let mut doc = ledger::create::<Device>(crate::model::FacilityId::generate(), 0).unwrap();
    let rows: Vec<Device> = (0..3000)
        .map(|i| Device {
            id: ledger::new_row_id(),
            number: format!("PC-{i:04}"),
            maker: "富士通".into(),
            os: "Windows 11".into(),
            computer_name: format!("Room{}のPC{}", i % 20, i),
            location: format!("{}階", i % 5),
            status: "稼働".into(),
            ..serde_json::from_str::<Device>(r#"{"id":"","number":"","maker":"","os":"","software":"","software_version":"","ip_address":"","computer_name":"","location":"","user":"","registered_on":null,"status":"","description":"","category":"","vendor_id":null,"remote":"unknown","last_patch_on":null,"os_support_end_on":null}"#).unwrap_or_else(|_| panic!("template"))
        })
        .collect();
    ledger::put_rows(&mut doc, &rows).unwrap();
    doc.commit();
    let mut change = doc.get_last_local_change().unwrap().clone();
    let raw = change.raw_bytes().len();
    let wire = change.bytes().len();
    let ops = change.len();
    let saved = doc.save();
    let total_ops: usize = doc.get_changes(&[]).iter().map(|c| c.len()).sum();
    println!(
        "import change: {ops} ops, raw {raw} B ({:.3} ops/B), compressed {wire} B ({:.3} ops/B)",
        ops as f64 / raw as f64,
        ops as f64 / wire as f64
    );
    let mut b = ChunkLimits {
        ops_floor: u64::MAX / 4,
        ..ChunkLimits::default()
    }
    .budget(0);
    check(&saved, &mut b).unwrap();
    println!(
        "whole document: {total_ops} ops, saved {} B ({:.3} ops/B wire), inflated {} B",
        saved.len(),
        total_ops as f64 / saved.len() as f64,
        16 * 1024 * 1024 - b.inflated_left
    );
}
