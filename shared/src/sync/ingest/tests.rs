//! The decide-and-apply step against the attacks it exists for, and a seeded property test over mangled
//! real messages: whatever arrives, what is applied is exactly what was approved, and nothing panics.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{ActorId, ObjType, ROOT, ReadDoc};

use super::*;
use crate::sync::chunks::craft;
use crate::sync::tests::XorShift;

fn message(heads: Vec<ChangeHash>, chunks: Vec<Vec<u8>>) -> Vec<u8> {
    craft::sync_message(heads, chunks)
}

/// A device's document and the change it just made under `actor`.
fn device_change(base: &mut AutoCommit, actor: &[u8], key: &str) -> (AutoCommit, Change) {
    let mut doc = base.fork().with_actor(ActorId::from(actor));
    doc.put(ROOT, key, "forged or not").unwrap();
    doc.commit();
    let change = doc.get_last_local_change().unwrap().clone();
    (doc, change)
}

fn owners(pairs: &[(&[u8], Owner)]) -> HashMap<ActorId, Owner> {
    pairs.iter().map(|(a, o)| (ActorId::from(*a), *o)).collect()
}

struct Step {
    verdict: Result<Verdict<u8>, IngestError>,
}

fn step(
    doc: &mut AutoCommit,
    pending: &mut Pending<u8>,
    access: Access,
    owners: &HashMap<ActorId, Owner>,
    data: &[u8],
    tag: u8,
) -> Step {
    let id = DocumentId::generate();
    let mut peer = PeerSync::default();
    let verdict = parse(data, &ChunkLimits::default()).and_then(|inbound| {
        decide_and_apply(
            &mut peer,
            id,
            doc,
            &Authority {
                access,
                owners: Some(owners),
                schema: false,
                kind: None,
                seals: None,
            },
            inbound,
            pending,
            tag,
        )
    });
    Step { verdict }
}

const ADMIN: &[u8] = &[1; 16];
const VIEWER: &[u8] = &[2; 16];
const STAFF: &[u8] = &[3; 16];

#[test]
fn a_change_split_over_chunks_is_a_protocol_error_and_nothing_is_applied() {
    let mut base = AutoCommit::new();
    let (_, forged) = device_change(&mut base, ADMIN, "answer");
    let z = forged.raw_bytes().to_vec();
    let owners = owners(&[(ADMIN, Owner::Other), (VIEWER, Owner::Sender)]);
    let splits: Vec<Vec<Vec<u8>>> = vec![
        vec![z[..1].to_vec(), z[1..].to_vec()],
        vec![z[..3].to_vec(), z[3..20].to_vec(), z[20..].to_vec()],
        z.chunks(5).map(<[u8]>::to_vec).collect(),
        vec![z[..z.len() / 2].to_vec()],
    ];
    for chunks in splits {
        for access in [Access::Read, Access::Write] {
            let mut doc = base.fork();
            let mut pending = Pending::new(PendingLimits::default());
            let s = step(
                &mut doc,
                &mut pending,
                access,
                &owners,
                &message(vec![forged.hash()], chunks.clone()),
                0,
            );
            assert!(
                matches!(s.verdict, Err(IngestError::Chunk(_))),
                "{} chunks: {:?}",
                chunks.len(),
                s.verdict
            );
            assert!(doc.get_heads().is_empty(), "nothing applied");
            assert!(pending.is_empty());
        }
    }
}

#[test]
fn own_change_with_the_start_of_a_forged_one_is_refused() {
    let mut base = AutoCommit::new();
    let (_, own) = device_change(&mut base, STAFF, "mine");
    let (_, forged) = device_change(&mut base, ADMIN, "theirs");
    let f = forged.raw_bytes();
    let mut first = own.raw_bytes().to_vec();
    first.extend_from_slice(&f[..10]);
    let owners = owners(&[(ADMIN, Owner::Other), (STAFF, Owner::Sender)]);
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits::default());
    let data = message(
        vec![own.hash(), forged.hash()],
        vec![first, f[10..].to_vec()],
    );
    let s = step(&mut doc, &mut pending, Access::Write, &owners, &data, 0);
    assert!(
        matches!(
            s.verdict,
            Err(IngestError::Chunk(ChunkError::CutShort { .. }))
        ),
        "{:?}",
        s.verdict
    );
    assert!(doc.get_heads().is_empty());
}

#[test]
fn read_only_and_impersonation_are_refused_before_anything_is_applied() {
    let mut base = AutoCommit::new();
    let (_, change) = device_change(&mut base, ADMIN, "answer");
    let data = message(vec![change.hash()], vec![change.raw_bytes().to_vec()]);
    let cases = [
        (Access::Read, owners(&[(ADMIN, Owner::Sender)]), READ_ONLY),
        (Access::Write, owners(&[(ADMIN, Owner::Other)]), NOT_YOURS),
        // An actor nobody looked up is nobody's to take.
        (Access::Write, owners(&[]), NOT_YOURS),
    ];
    for (access, owners, expected) in cases {
        let mut doc = base.fork();
        let mut pending = Pending::new(PendingLimits::default());
        let s = step(&mut doc, &mut pending, access, &owners, &data, 0);
        assert!(
            matches!(&s.verdict, Ok(Verdict::Refused { reason, document_changed: false }) if reason == expected),
            "{:?}",
            s.verdict
        );
        assert!(doc.get_heads().is_empty());
    }
    // A viewer's whole document is read into its changes, and refused like them.
    let (mut whole, _) = device_change(&mut base, ADMIN, "answer");
    let data = message(whole.get_heads(), vec![whole.save()]);
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits::default());
    let s = step(&mut doc, &mut pending, Access::Read, &owners(&[]), &data, 0);
    assert!(matches!(s.verdict, Ok(Verdict::Refused { .. })));
    assert!(doc.get_heads().is_empty());
}

#[test]
fn a_writers_whole_document_is_applied_and_its_actors_claimed() {
    let mut base = AutoCommit::new();
    let (mut whole, change) = device_change(&mut base, STAFF, "answer");
    let data = message(whole.get_heads(), vec![whole.save()]);
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits::default());
    let s = step(
        &mut doc,
        &mut pending,
        Access::Write,
        &owners(&[(STAFF, Owner::Unclaimed)]),
        &data,
        0,
    );
    match s.verdict.unwrap() {
        Verdict::Taken {
            applied, claims, ..
        } => {
            assert_eq!(applied.len(), 1);
            assert_eq!(applied[0].change.hash(), change.hash());
            assert_eq!(
                claims.into_iter().collect::<Vec<_>>(),
                vec![ActorId::from(STAFF)]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(doc.get_heads(), vec![change.hash()]);
}

#[test]
fn a_change_waiting_for_its_dependency_is_applied_and_reported_when_it_arrives() {
    let mut base = AutoCommit::new();
    let mut device = base.fork().with_actor(ActorId::from(STAFF));
    device.put(ROOT, "a", 1).unwrap();
    device.commit();
    let first = device.get_last_local_change().unwrap().clone();
    device.put(ROOT, "b", 2).unwrap();
    device.commit();
    let second = device.get_last_local_change().unwrap().clone();
    let owners = owners(&[(STAFF, Owner::Sender)]);
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits::default());
    let s = step(
        &mut doc,
        &mut pending,
        Access::Write,
        &owners,
        &message(device.get_heads(), vec![second.raw_bytes().to_vec()]),
        7,
    );
    assert!(matches!(s.verdict, Ok(Verdict::Taken { ref applied, .. }) if applied.is_empty()));
    assert_eq!(pending.len(), 1);
    assert_eq!(doc.get_missing_deps(&[]), vec![first.hash()]);
    let s = step(
        &mut doc,
        &mut pending,
        Access::Write,
        &owners,
        &message(device.get_heads(), vec![first.raw_bytes().to_vec()]),
        8,
    );
    match s.verdict.unwrap() {
        Verdict::Taken { applied, .. } => {
            let got: Vec<(ChangeHash, Option<u8>)> = applied
                .iter()
                .map(|a| (a.change.hash(), a.earlier))
                .collect();
            assert_eq!(got, vec![(first.hash(), None), (second.hash(), Some(7))]);
        }
        other => panic!("{other:?}"),
    }
    assert!(pending.is_empty());
    assert_eq!(doc.get_heads(), vec![second.hash()]);
}

#[test]
fn the_changes_waiting_for_dependencies_are_bounded() {
    let mut base = AutoCommit::new();
    let mut device = base.fork().with_actor(ActorId::from(STAFF));
    let mut changes = Vec::new();
    for i in 0..4 {
        device.put(ROOT, "k", i).unwrap();
        device.commit();
        changes.push(device.get_last_local_change().unwrap().clone());
    }
    let owners = owners(&[(STAFF, Owner::Sender)]);
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits {
        changes: 2,
        bytes: 1 << 20,
    });
    let chunks: Vec<Vec<u8>> = changes[1..]
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let s = step(
        &mut doc,
        &mut pending,
        Access::Write,
        &owners,
        &message(device.get_heads(), chunks),
        0,
    );
    assert!(
        matches!(s.verdict, Ok(Verdict::Refused { .. })),
        "{:?}",
        s.verdict
    );
    assert!(pending.is_empty() && doc.get_missing_deps(&[]).is_empty());
}

/// Offers `device`'s last change, made by a writer on top of `base`, to a server that checks the schema:
/// the verdict, and whether the server's copy moved (it must then be dropped by the caller).
fn offer_with_schema_check(base: &mut AutoCommit, device: &mut AutoCommit) -> (Verdict<u8>, bool) {
    let change = device.get_last_local_change().unwrap().clone();
    let mut doc = base.fork();
    let before = doc.get_heads();
    let mut peer = PeerSync::default();
    let mut pending = Pending::new(PendingLimits::default());
    let inbound = parse(
        &message(device.get_heads(), vec![change.raw_bytes().to_vec()]),
        &ChunkLimits::default(),
    )
    .unwrap();
    let owners = owners(&[(STAFF, Owner::Sender)]);
    let verdict = decide_and_apply(
        &mut peer,
        DocumentId::generate(),
        &mut doc,
        &Authority {
            access: Access::Write,
            owners: Some(&owners),
            schema: true,
            kind: None,
            seals: None,
        },
        inbound,
        &mut pending,
        0u8,
    )
    .unwrap();
    (verdict, doc.get_heads() != before)
}

#[test]
fn a_change_that_breaks_the_schema_is_refused_after_the_check() {
    let mut base = AutoCommit::new();
    base.put(ROOT, "schema", 1u64).unwrap();
    base.put(ROOT, "kind", "facility_index").unwrap();
    let mut device = base.fork().with_actor(ActorId::from(STAFF));
    device.put_object(ROOT, "kind", ObjType::Text).unwrap();
    device.commit();
    let (verdict, moved) = offer_with_schema_check(&mut base, &mut device);
    assert!(
        matches!(
            verdict,
            Verdict::Refused {
                document_changed: true,
                ..
            }
        ),
        "{verdict:?}"
    );
    assert!(moved, "the caller must drop this copy");
}

/// The ledger's 見直し mark is read by the app with the same function the server's check calls: a writer who
/// puts something else there (text, or a map whose date is a number) is refused, and a real mark passes.
#[test]
fn a_ledger_review_mark_that_does_not_read_is_refused() {
    use crate::schema::ledger::{self, Device, Review};
    let mut base = ledger::create::<Device>(crate::model::FacilityId::generate(), 1).unwrap();
    base.commit();
    let mut text = base.fork().with_actor(ActorId::from(STAFF));
    text.put(ROOT, "reviewed", "昨日").unwrap();
    text.commit();
    let mut numeric = base.fork().with_actor(ActorId::from(STAFF));
    let mark = numeric.put_object(ROOT, "reviewed", ObjType::Map).unwrap();
    numeric.put(&mark, "on", 20261204i64).unwrap();
    numeric.put(&mark, "by", "佐藤").unwrap();
    numeric.commit();
    for mut forged in [text, numeric] {
        let (verdict, _) = offer_with_schema_check(&mut base, &mut forged);
        assert!(matches!(verdict, Verdict::Refused { .. }), "{verdict:?}");
    }
    let mut honest = base.fork().with_actor(ActorId::from(STAFF));
    let review = Review {
        on: Some(crate::calendar::Date::parse_iso("2026-12-04").unwrap()),
        by: "佐藤".into(),
    };
    ledger::mark_reviewed(&mut honest, &review).unwrap();
    honest.commit();
    let (verdict, moved) = offer_with_schema_check(&mut base, &mut honest);
    assert!(!matches!(verdict, Verdict::Refused { .. }), "{verdict:?}");
    assert!(moved);
}

/// The evidence register is read strictly by the server's check: a backup whose generation is text, a
/// document whose title is a text object, or a BCP stage that is a string is refused; an honest entry passes.
#[test]
fn an_evidence_entry_that_does_not_read_is_refused() {
    use crate::schema::evidence::{self, BackupRecord, BcpStage, Record, RecordKind, Stage};
    let mut base = evidence::create(crate::model::FacilityId::generate(), 1).unwrap();
    let record = Record::new(RecordKind::Bcp, 1);
    evidence::put_record(&mut base, &record).unwrap();
    base.commit();
    let documents = match base.get(ROOT, "documents").unwrap() {
        Some((_, id)) => id,
        None => panic!("no documents map"),
    };
    let entry = match base.get(&documents, record.id.as_str()).unwrap() {
        Some((_, id)) => id,
        None => panic!("no entry"),
    };
    let mut title = base.fork().with_actor(ActorId::from(STAFF));
    title.put_object(&entry, "title", ObjType::Text).unwrap();
    title.commit();
    let mut generation = base.fork().with_actor(ActorId::from(STAFF));
    let mut backup = BackupRecord::new();
    backup.medium = "USB".into();
    evidence::put_backup(&mut generation, &backup).unwrap();
    let backups = match generation.get(ROOT, "backups").unwrap() {
        Some((_, id)) => id,
        None => panic!("no backups map"),
    };
    let b = match generation.get(&backups, backup.id.as_str()).unwrap() {
        Some((_, id)) => id,
        None => panic!("no backup"),
    };
    generation.put(&b, "generation", "三世代目").unwrap();
    generation.commit();
    let mut stage = base.fork().with_actor(ActorId::from(STAFF));
    let bcp = match stage.get(ROOT, "bcp").unwrap() {
        Some((_, id)) => id,
        None => panic!("no bcp map"),
    };
    stage.put(&bcp, "shodo", "電話する").unwrap();
    stage.commit();
    for mut forged in [title, generation, stage] {
        let (verdict, _) = offer_with_schema_check(&mut base, &mut forged);
        assert!(matches!(verdict, Verdict::Refused { .. }), "{verdict:?}");
    }
    let mut honest = base.fork().with_actor(ActorId::from(STAFF));
    evidence::put_stage(
        &mut honest,
        BcpStage::FirstResponse,
        &Stage {
            plan: "院長に電話する".into(),
            ..Stage::default()
        },
    )
    .unwrap();
    evidence::put_backup(&mut honest, &BackupRecord::new()).unwrap();
    honest.commit();
    let (verdict, moved) = offer_with_schema_check(&mut base, &mut honest);
    assert!(!matches!(verdict, Verdict::Refused { .. }), "{verdict:?}");
    assert!(moved);
}

#[test]
fn a_bloom_filter_asking_for_billions_of_probes_is_refused() {
    let mut bloom: Vec<u8> = [1u64, 10, u32::MAX as u64]
        .into_iter()
        .flat_map(craft::uleb)
        .collect();
    bloom.extend_from_slice(&[0xff; 2]);
    assert!(check_bloom(&bloom).is_err());
    let mut honest: Vec<u8> = [1u64, 10, 7].into_iter().flat_map(craft::uleb).collect();
    honest.extend_from_slice(&[0xff; 2]);
    assert!(check_bloom(&honest).is_ok());
}

/// Mangles real messages (chunks split, joined, truncated, mixed between messages, bytes flipped,
/// crafted bombs added) from a writer and from a viewer, and checks the oracle on each: nothing panics; a
/// viewer never changes the document; the changes a writer's step reports applied are exactly the ones the
/// document gained, each one the message (or an earlier one) held whole and an owner allowed.
#[test]
fn property_whatever_arrives_what_is_applied_is_what_was_approved() {
    let cases: u64 = std::env::var("MAMORI_INGEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let mut rng = XorShift(0x5EED_1DEA);
    // How often each outcome came: the oracle must have been tried on every kind.
    let (mut applied_some, mut refused, mut errors) = (0u64, 0u64, 0u64);
    for case in 0..cases {
        let mut device = AutoCommit::new().with_actor(ActorId::from(STAFF));
        let mut other = AutoCommit::new().with_actor(ActorId::from(ADMIN));
        let mut all: Vec<Vec<u8>> = Vec::new();
        for i in 0..(2 + rng.below(5)) {
            let who = if rng.below(3) == 0 {
                &mut other
            } else {
                &mut device
            };
            who.put(ROOT, format!("k{}", rng.below(4)), i as i64)
                .unwrap();
            if rng.below(4) == 0 {
                let list = who.put_object(ROOT, "list", ObjType::List).unwrap();
                for j in 0..rng.below(40) {
                    who.insert(&list, j as usize, "x").unwrap();
                }
            }
            who.commit();
            let mut c = who.get_last_local_change().unwrap().clone();
            all.push(if rng.below(2) == 0 {
                c.raw_bytes().to_vec()
            } else {
                c.bytes().into_owned()
            });
        }
        all.push(device.save());
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        for _ in 0..(1 + rng.below(4)) {
            let pick = all[rng.below(all.len() as u64) as usize].clone();
            chunks.push(pick);
        }
        mangle(&mut rng, &mut chunks);
        let data = message(device.get_heads(), chunks);
        let owners = owners(&[(STAFF, Owner::Sender), (ADMIN, Owner::Other)]);
        for access in [Access::Read, Access::Write] {
            let mut doc = AutoCommit::new();
            let mut pending = Pending::new(PendingLimits::default());
            let before = doc.get_heads();
            let s = step(&mut doc, &mut pending, access, &owners, &data, case as u8);
            let gained: BTreeSet<ChangeHash> =
                doc.get_changes(&before).iter().map(|c| c.hash()).collect();
            match s.verdict {
                Ok(Verdict::Taken { applied, .. }) => {
                    applied_some += u64::from(!applied.is_empty());
                    let reported: BTreeSet<ChangeHash> =
                        applied.iter().map(|a| a.change.hash()).collect();
                    assert_eq!(
                        reported, gained,
                        "case {case}: applied is not what was reported"
                    );
                    for a in &applied {
                        assert_eq!(
                            a.change.actor_id(),
                            &ActorId::from(STAFF),
                            "case {case}: someone else's change applied"
                        );
                        assert!(
                            access == Access::Write,
                            "case {case}: a viewer's change applied"
                        );
                    }
                }
                Ok(Verdict::Refused {
                    document_changed, ..
                }) => {
                    refused += 1;
                    assert!(!document_changed);
                    assert!(gained.is_empty(), "case {case}: refused yet applied");
                }
                Err(_) => {
                    errors += 1;
                    assert!(gained.is_empty(), "case {case}: an error yet applied");
                }
            }
        }
    }
    let each = cases / 20;
    assert!(
        applied_some > each && refused > each && errors > each,
        "applied {applied_some}, refused {refused}, errors {errors} of {cases} cases"
    );
}

fn mangle(rng: &mut XorShift, chunks: &mut Vec<Vec<u8>>) {
    for _ in 0..rng.below(4) {
        let i = rng.below(chunks.len() as u64) as usize;
        match rng.below(7) {
            0 if chunks[i].len() > 1 => {
                let at = 1 + rng.below(chunks[i].len() as u64 - 1) as usize;
                let tail = chunks[i].split_off(at);
                chunks.insert(i + 1, tail);
            }
            1 if chunks.len() > 1 => {
                let next = chunks.remove((i + 1) % chunks.len());
                let last = chunks.len() - 1;
                let i = i.min(last);
                chunks[i].extend(next);
            }
            2 if !chunks[i].is_empty() => {
                let keep = rng.below(chunks[i].len() as u64) as usize;
                chunks[i].truncate(keep);
            }
            3 if !chunks[i].is_empty() => {
                let at = rng.below(chunks[i].len() as u64) as usize;
                chunks[i][at] ^= 1 << rng.below(8);
            }
            4 => chunks.push(craft::run_length_bomb(1 + rng.below(1 << 20), STAFF)),
            5 => chunks.push(craft::compressed_bomb(1 << (10 + rng.below(8)))),
            _ => {
                let j = rng.below(chunks.len() as u64) as usize;
                chunks.swap(i, j);
            }
        }
    }
}

/// A device's real first offer to an empty server (Automerge sends a whole document when it owes most of
/// one): read into its changes, every one approved, applied and reported.
#[test]
fn a_devices_real_offer_is_applied_whole_and_reported() {
    let mut device = AutoCommit::new().with_actor(ActorId::from(STAFF));
    for i in 0..30 {
        device.put(ROOT, format!("k{i}"), i).unwrap();
        device.commit();
    }
    let mut server = AutoCommit::new();
    let offer = crate::sync::tests::first_offer(&mut device, &mut server);
    let owners = owners(&[(STAFF, Owner::Unclaimed)]);
    let mut pending = Pending::new(PendingLimits::default());
    let s = step(&mut server, &mut pending, Access::Write, &owners, &offer, 0);
    match s.verdict.unwrap() {
        Verdict::Taken {
            applied, claims, ..
        } => {
            assert_eq!(applied.len(), 30);
            assert_eq!(claims.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.get_heads(), device.get_heads());
}

#[test]
fn a_change_under_a_migration_actor_that_is_no_migration_of_this_build_is_refused() {
    let mut base = AutoCommit::new();
    base.put(ROOT, "schema", 1u64).unwrap();
    base.put(ROOT, "kind", "facility_index").unwrap();
    // `mamori-m` and a step's version: the actor every device's migration step uses.
    let mut step = [0u8; 16];
    step[..8].copy_from_slice(b"mamori-m");
    step[8..].copy_from_slice(&2u64.to_be_bytes());
    let mut device = base.fork().with_actor(ActorId::from(&step[..]));
    device.put(ROOT, "note", "whatever I like").unwrap();
    device.commit();
    let change = device.get_last_local_change().unwrap().clone();
    let mut doc = base.fork();
    let mut pending = Pending::new(PendingLimits::default());
    let inbound = parse(
        &message(device.get_heads(), vec![change.raw_bytes().to_vec()]),
        &ChunkLimits::default(),
    )
    .unwrap();
    // The gate treats migration actors as no one's: the sender may send them.
    let owners = owners(&[(&step[..], Owner::Sender)]);
    let verdict = decide_and_apply(
        &mut PeerSync::default(),
        DocumentId::generate(),
        &mut doc,
        &Authority {
            access: Access::Write,
            owners: Some(&owners),
            schema: true,
            kind: None,
            seals: None,
        },
        inbound,
        &mut pending,
        0u8,
    )
    .unwrap();
    assert!(
        matches!(&verdict, Verdict::Refused { reason, document_changed: true } if reason.contains("migration")),
        "{verdict:?}"
    );
}

#[test]
fn an_empty_document_becomes_the_kind_it_was_registered_as() {
    // A vendor's contribution, registered but still empty on the server: the vendor's device offers a
    // document of another kind first.
    let facility = crate::model::FacilityId::generate();
    let ledger =
        crate::schema::ledger::create::<crate::schema::ledger::Device>(facility, 1).unwrap();
    let contribution =
        crate::schema::vendor_devices::create(facility, crate::model::VendorId::generate(), 1)
            .unwrap();
    for (offered, registered, refused) in [
        (ledger, Some(crate::schema::DocKind::VendorDevices), true),
        (
            contribution.clone(),
            Some(crate::schema::DocKind::VendorDevices),
            false,
        ),
        (contribution, None, false),
    ] {
        let mut offered = offered;
        let chunks = vec![offered.save()];
        let mut doc = AutoCommit::new();
        let mut peer = PeerSync::default();
        let mut pending = Pending::new(PendingLimits::default());
        let inbound = parse(
            &message(offered.get_heads(), chunks),
            &ChunkLimits::default(),
        )
        .unwrap();
        // Every actor of the offered document is the sender's.
        let owners: HashMap<ActorId, Owner> = offered
            .get_changes(&[])
            .iter()
            .map(|c| (c.actor_id().clone(), Owner::Sender))
            .collect();
        let verdict = decide_and_apply(
            &mut peer,
            DocumentId::generate(),
            &mut doc,
            &Authority {
                access: Access::Write,
                owners: Some(&owners),
                schema: true,
                kind: registered,
                seals: None,
            },
            inbound,
            &mut pending,
            0u8,
        )
        .unwrap();
        assert_eq!(
            matches!(verdict, Verdict::Refused { .. }),
            refused,
            "{registered:?}: {verdict:?}"
        );
    }
}

/// Accepts a signature of 64 bytes of 7 under key `k1`: a stand-in for the server's Ed25519 key.
struct SevensKey;
impl crate::seal::Verifier for SevensKey {
    fn verifies(&self, key_id: &str, _: &str, signature: &[u8]) -> bool {
        key_id == "k1" && signature == [7u8; 64]
    }
}

/// `actor`'s device writes `write` into a fork of `base` in one change; the server's copy of `base` takes it
/// with the schema and seals checked, as signed-in sync does. The server's copy afterwards, and its verdict.
fn written_and_checked(
    base: &mut AutoCommit,
    id: DocumentId,
    actor: &[u8],
    write: &dyn Fn(&mut AutoCommit),
) -> (AutoCommit, Verdict<u8>) {
    let mut device = base.fork().with_actor(ActorId::from(actor));
    write(&mut device);
    device.commit();
    let change = device.get_last_local_change().unwrap().clone();
    let inbound = parse(
        &message(device.get_heads(), vec![change.raw_bytes().to_vec()]),
        &ChunkLimits::default(),
    )
    .unwrap();
    let owners = owners(&[(actor, Owner::Sender)]);
    let mut server = base.fork();
    let verdict = decide_and_apply(
        &mut PeerSync::default(),
        id,
        &mut server,
        &Authority {
            access: Access::Write,
            owners: Some(&owners),
            schema: true,
            kind: None,
            seals: Some(&SevensKey),
        },
        inbound,
        &mut Pending::new(PendingLimits::default()),
        0u8,
    )
    .unwrap();
    (server, verdict)
}

/// Answers `item` of a checklist (a valid answer, dated).
fn answer(doc: &mut AutoCommit, item: &str, choice: crate::answer::Choice) {
    let answer = crate::answer::Answer::new(
        choice,
        crate::calendar::Date::parse_iso("2026-11-20").unwrap(),
        crate::answer::Entry::default(),
    );
    crate::schema::checklist::put_answer(doc, &crate::model::ItemId::from(item), &answer).unwrap();
}

#[test]
fn a_seal_is_taken_only_as_the_server_signed_it_for_this_checklist() {
    use crate::schema::checklist;
    let facility = crate::model::FacilityId::generate();
    let id = DocumentId::generate();
    let meta = checklist::ChecklistMeta {
        facility_id: facility,
        ..checklist::ChecklistMeta::sample(crate::edition::FormKind::Medical)
    };
    let mut base = checklist::create(&meta)
        .unwrap()
        .with_actor(ActorId::from(ADMIN));
    base.commit();
    let head = base.get_heads()[0].to_string();
    let text = |checklist: DocumentId, head: &str| {
        format!(
            "mamori-seal 1\nfacility {facility}\nchecklist {checklist}\nform medical r7 2026\nhead {head}\nsealed 5\n"
        )
    };
    let seal = |text: String, key: &str, sig: u8| crate::seal::Seal {
        text,
        key_id: key.into(),
        signature: vec![sig; 64],
    };
    let other_head = "ab".repeat(32);
    let cases = [
        (seal(text(id, &head), "k1", 7), None),
        (seal(text(id, &head), "k1", 8), Some("signature")),
        (seal(text(id, &head), "k2", 7), Some("signature")),
        (
            seal(text(DocumentId::generate(), &head), "k1", 7),
            Some("another checklist"),
        ),
        (seal(text(id, &other_head), "k1", 7), Some("lacks")),
    ];
    // Each seal alone, and again written in one change with an answer (the check that reads only the
    // touched answers must not be what a seal beside an answer meets).
    let cases = cases.iter().flat_map(|(seal, refused)| {
        [
            (seal.clone(), *refused, false),
            (seal.clone(), *refused, true),
        ]
    });
    for (seal, refused, with_answer) in cases {
        let (doc, verdict) = written_and_checked(&mut base, id, ADMIN, &|device| {
            if with_answer {
                answer(device, "1-①", crate::answer::Choice::Yes);
            }
            checklist::put_seal(device, &seal).unwrap();
        });
        match (refused, &verdict) {
            (None, Verdict::Taken { applied, .. }) => {
                assert_eq!(applied.len(), 1);
                assert_eq!(checklist::seal(&doc), Some(seal));
            }
            (Some(why), Verdict::Refused { reason, .. }) => {
                assert!(reason.contains(why), "{why}: {reason}");
            }
            _ => panic!("{refused:?} (with an answer: {with_answer}): {verdict:?}"),
        }
    }
}

#[test]
fn an_old_seal_is_not_checked_again_but_changing_removing_or_rolling_it_back_is_refused() {
    // A checklist sealed long ago (its seal put by an earlier change): a later answer is not refused
    // because of it, whatever the key says today; the same seal written again with one digit changed is.
    use crate::schema::checklist;
    let facility = crate::model::FacilityId::generate();
    let id = DocumentId::generate();
    let meta = checklist::ChecklistMeta {
        facility_id: facility,
        ..checklist::ChecklistMeta::sample(crate::edition::FormKind::Medical)
    };
    let mut base = checklist::create(&meta)
        .unwrap()
        .with_actor(ActorId::from(ADMIN));
    let sealed = crate::seal::Seal {
        text: format!("mamori-seal 1\nfacility {facility}\nchecklist {id}\nsealed 5\n"),
        key_id: "old".into(),
        signature: vec![1; 64],
    };
    checklist::put_seal(&mut base, &sealed).unwrap();
    base.commit();
    let mut send =
        |write: &dyn Fn(&mut AutoCommit)| written_and_checked(&mut base, id, STAFF, write).1;
    let answered = send(&|d| answer(d, "1-①", crate::answer::Choice::Yes));
    assert!(matches!(answered, Verdict::Taken { .. }), "{answered:?}");
    let tampered = send(&|d| {
        let mut s = sealed.clone();
        s.text = s.text.replace("sealed 5", "sealed 6");
        checklist::put_seal(d, &s).unwrap();
    });
    assert!(
        matches!(&tampered, Verdict::Refused { reason, .. } if reason.contains("signature")),
        "{tampered:?}"
    );
    // Nor can a writer remove the seal, or put back a genuine but older one over it.
    let removed = send(&|d| {
        d.delete(ROOT, "seal").unwrap();
    });
    assert!(
        matches!(&removed, Verdict::Refused { reason, .. } if reason.contains("removed")),
        "{removed:?}"
    );
    let older = send(&|d| {
        let mut s = sealed.clone();
        s.text = s.text.replace("sealed 5", "sealed 3");
        s.key_id = "k1".into();
        s.signature = vec![7; 64];
        checklist::put_seal(d, &s).unwrap();
    });
    assert!(
        matches!(&older, Verdict::Refused { reason, .. } if reason.contains("older")),
        "{older:?}"
    );
}

#[test]
fn a_checklist_moved_to_an_edition_the_server_lacks_is_refused() {
    use crate::schema::checklist;
    let meta = checklist::ChecklistMeta::sample(crate::edition::FormKind::Medical);
    let mut base = checklist::create(&meta)
        .unwrap()
        .with_actor(ActorId::from(ADMIN));
    base.commit();
    // Alone, and in one change with an answer (an answer must not carry a meta past the edition check).
    let cases = [
        ("r7", false, false),
        ("r99-nowhere", true, false),
        ("r7", false, true),
        ("r99-nowhere", true, true),
    ];
    for (edition, refused, with_answer) in cases {
        let (_, verdict) =
            written_and_checked(&mut base, DocumentId::generate(), ADMIN, &|device| {
                if with_answer {
                    answer(device, "2-⑥", crate::answer::Choice::No);
                }
                let mut moved = meta.clone();
                moved.edition = edition.into();
                moved.vendor_name = "changed".into();
                autosurgeon::reconcile_prop(device, ROOT, "meta", &moved).unwrap();
            });
        assert_eq!(
            matches!(&verdict, Verdict::Refused { reason, .. } if reason.contains(edition)),
            refused,
            "{edition} (with an answer: {with_answer}): {verdict:?}"
        );
        if let Verdict::Taken { answers, .. } = &verdict {
            // What the access log will name: the answered item, read from the change's own operations.
            let named: Vec<&str> = answers.iter().flatten().map(String::as_str).collect();
            assert_eq!(named, if with_answer { vec!["2-⑥"] } else { vec![] });
        }
    }
}

/// Attack on the access log: the items it names for a change are read from that change's own operations
/// (the bytes applied), so a change cannot answer an item without the item being named, however it writes:
/// into an answer's entry, a delete, a new answer, all in one change. A change that writes at the root (a
/// new answers map) cannot be read that way: it says so (`None`), and the server then compares every
/// answer before and after, which names every item the new map dropped or replaced.
#[test]
fn the_items_a_change_answered_are_read_from_its_own_operations() {
    use crate::schema::checklist;
    let meta = checklist::ChecklistMeta::sample(crate::edition::FormKind::Medical);
    let mut base = checklist::create(&meta)
        .unwrap()
        .with_actor(ActorId::from(ADMIN));
    answer(&mut base, "1-①", crate::answer::Choice::Yes);
    answer(&mut base, "2-⑥", crate::answer::Choice::No);
    base.commit();
    let heads_before = base.get_heads();
    let named = |verdict: &Verdict<u8>| match verdict {
        Verdict::Taken { answers, .. } => answers.clone(),
        _ => panic!("{verdict:?}"),
    };

    let (_, mixed) = written_and_checked(&mut base, DocumentId::generate(), STAFF, &|d| {
        let (_, answers) = d.get(ROOT, "answers").unwrap().unwrap();
        let (_, first) = d.get(&answers, "1-①").unwrap().unwrap();
        let (_, entry) = d.get(&first, "entry").unwrap().unwrap();
        d.put(&entry, "by", "佐藤").unwrap();
        d.delete(&answers, "2-⑥").unwrap();
        answer(d, "1-②", crate::answer::Choice::Yes);
    });
    assert_eq!(
        named(&mixed),
        Some(["1-①", "1-②", "2-⑥"].map(String::from).into()),
        "an entry written into, a delete and a new answer"
    );

    let (server, replaced) = written_and_checked(&mut base, DocumentId::generate(), STAFF, &|d| {
        d.put_object(ROOT, "answers", ObjType::Map).unwrap();
        answer(d, "1-①", crate::answer::Choice::No);
    });
    assert_eq!(
        named(&replaced),
        None,
        "a new answers map is not read from the ops"
    );
    let diffed = checklist::changed_items(
        &checklist::answer_versions_at(&server, &heads_before),
        &checklist::answer_versions(&server),
    );
    assert_eq!(diffed, ["1-①", "2-⑥"].map(String::from));
}
