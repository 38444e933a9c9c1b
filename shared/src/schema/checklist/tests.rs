use automerge::{ActorId, transaction::Transactable};

use super::*;
use crate::answer::Choice;
use crate::calendar::Date;
use crate::edition::edition;

fn d(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

fn meta() -> ChecklistMeta {
    ChecklistMeta::sample(FormKind::Medical)
}

fn by(name: &str) -> Entry {
    Entry {
        by: name.into(),
        device: format!("{name}-tablet"),
        at_ms: 1_700_000_000_000,
        on_behalf_of_vendor: false,
    }
}

fn yes(who: &str) -> Answer {
    Answer::new(Choice::Yes, d("2026-11-20"), by(who))
}

fn no_with_target(who: &str) -> Answer {
    Answer {
        target_on: Some(d("2027-03-31")),
        note: "来年度更新".into(),
        ..Answer::new(Choice::No, d("2026-11-21"), by(who))
    }
}

/// Two devices holding the same new checklist, each with its own actor.
fn two_devices() -> (AutoCommit, AutoCommit) {
    let mut base = create(&meta()).unwrap();
    base.commit();
    (
        base.fork().with_actor(ActorId::random()),
        base.fork().with_actor(ActorId::random()),
    )
}

#[test]
fn answers_round_trip_through_save_and_load() {
    let mut doc = create(&meta()).unwrap();
    let id = ItemId::from("2-⑥");
    put_answer(&mut doc, &id, &no_with_target("佐藤")).unwrap();
    let loaded = AutoCommit::load(&doc.save()).unwrap();
    assert_eq!(super::meta(&loaded).unwrap(), meta_without_random(&loaded));
    let all = answers(&loaded).unwrap();
    assert_eq!(all[&id].current, no_with_target("佐藤"));
    assert!(all[&id].conflicts.is_empty());
}

fn meta_without_random(doc: &AutoCommit) -> ChecklistMeta {
    ChecklistMeta {
        facility_id: super::meta(doc).unwrap().facility_id,
        ..meta()
    }
}

#[test]
fn concurrent_answers_to_different_items_both_survive() {
    let (mut a, mut b) = two_devices();
    put_answer(&mut a, &ItemId::from("1-①"), &yes("佐藤")).unwrap();
    put_answer(&mut b, &ItemId::from("2-⑥"), &no_with_target("鈴木")).unwrap();
    a.merge(&mut b).unwrap();
    let all = answers(&a).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[&ItemId::from("1-①")].current, yes("佐藤"));
    assert_eq!(all[&ItemId::from("2-⑥")].current, no_with_target("鈴木"));
}

#[test]
fn concurrent_answers_to_the_same_item_stay_whole_and_converge() {
    // Step 1: device A says はい with no target; device B says いいえ with a target and a note.
    let (mut a, mut b) = two_devices();
    let id = ItemId::from("2-⑥");
    put_answer(&mut a, &id, &yes("佐藤")).unwrap();
    put_answer(&mut b, &id, &no_with_target("鈴木")).unwrap();
    // Step 2: they sync both ways.
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(a.get_heads(), b.get_heads());
    // Step 3: both devices see the same winner, and the other answer whole as a conflict.
    let (on_a, on_b) = (answers(&a).unwrap(), answers(&b).unwrap());
    assert_eq!(on_a, on_b);
    let item = &on_a[&id];
    assert_eq!(item.conflicts.len(), 1);
    let mut both = vec![item.current.clone(), item.conflicts[0].clone()];
    both.sort_by_key(|x| x.entry.by.clone());
    assert_eq!(both, vec![yes("佐藤"), no_with_target("鈴木")]);
    // One item read alone is what the whole read gives for it, conflict and author included.
    assert_eq!(item_answers(&a, &id).unwrap().as_ref(), Some(item));
    assert_eq!(item_answers(&a, &ItemId::from("1-①")).unwrap(), None);
    // Never a mix: the winner's target date belongs to the winner's choice.
    assert_eq!(
        item.current.target_on.is_some(),
        item.current.choice == Choice::No
    );
}

#[test]
fn a_field_by_field_merge_would_mix_answers_but_put_answer_does_not() {
    // The case the whole-object rule exists for: both devices start from the same answer, then change it.
    let (mut a, mut b) = two_devices();
    let id = ItemId::from("2-⑥");
    put_answer(&mut a, &id, &no_with_target("佐藤")).unwrap();
    b.merge(&mut a).unwrap();
    // A changes its mind to はい (target cleared); B only moves the target date.
    put_answer(&mut a, &id, &yes("佐藤")).unwrap();
    let moved = Answer {
        target_on: Some(d("2027-02-28")),
        ..no_with_target("鈴木")
    };
    put_answer(&mut b, &id, &moved).unwrap();
    a.merge(&mut b).unwrap();
    let item = &answers(&a).unwrap()[&id];
    let all: Vec<&Answer> = std::iter::once(&item.current)
        .chain(&item.conflicts)
        .collect();
    assert_eq!(all.len(), 2);
    assert!(all.contains(&&yes("佐藤")) && all.contains(&&moved));
    // A reconciled merge would have produced はい with 2027-02-28: that must not exist.
    assert!(
        all.iter()
            .all(|x| x.choice == Choice::No || x.target_on.is_none())
    );
}

#[test]
fn choosing_one_answer_resolves_the_conflict_on_every_device() {
    let (mut a, mut b) = two_devices();
    let id = ItemId::from("2-⑥");
    put_answer(&mut a, &id, &yes("佐藤")).unwrap();
    put_answer(&mut b, &id, &no_with_target("鈴木")).unwrap();
    a.merge(&mut b).unwrap();
    let chosen = answers(&a).unwrap()[&id].conflicts[0].clone();
    put_answer(&mut a, &id, &chosen).unwrap();
    b.merge(&mut a).unwrap();
    let item = &answers(&b).unwrap()[&id];
    assert_eq!((&item.current, item.conflicts.len()), (&chosen, 0));
    // Both answers stay in the history.
    assert!(a.get_changes(&[]).len() >= 4);
}

#[test]
fn clearing_an_answer_leaves_the_item_unanswered() {
    let mut doc = create(&meta()).unwrap();
    let id = ItemId::from("1-①");
    put_answer(&mut doc, &id, &yes("佐藤")).unwrap();
    clear_answer(&mut doc, &id).unwrap();
    assert!(answers(&doc).unwrap().is_empty());
}

#[test]
fn a_value_that_is_not_an_answer_is_skipped_not_fatal() {
    let mut doc = create(&meta()).unwrap();
    put_answer(&mut doc, &ItemId::from("1-①"), &yes("佐藤")).unwrap();
    let answers_id = answers_obj(&doc).unwrap().unwrap();
    doc.put(&answers_id, "2-①", "garbage").unwrap();
    assert_eq!(answers(&doc).unwrap().len(), 1);
}

#[test]
fn a_document_of_another_kind_or_newer_schema_is_refused() {
    let mut doc = create(&meta()).unwrap();
    doc.put(automerge::ROOT, "schema", 99_u64).unwrap();
    assert!(matches!(
        super::meta(&doc),
        Err(SchemaError::TooNew { found: 99, .. })
    ));
    let mut doc = create(&meta()).unwrap();
    doc.put(automerge::ROOT, "kind", "ledger").unwrap();
    assert!(matches!(
        super::meta(&doc),
        Err(SchemaError::WrongKind { .. })
    ));
}

#[test]
fn next_fiscal_year_starts_from_last_years_answers_with_dates_cleared() {
    let mut last = create(&meta()).unwrap();
    put_answer(&mut last, &ItemId::from("1-①"), &yes("佐藤")).unwrap();
    put_answer(&mut last, &ItemId::from("2-⑥"), &no_with_target("佐藤")).unwrap();
    let prev_id = DocumentId::generate();
    let r7 = edition("r7").unwrap();
    let (next, next_meta) =
        carry_forward(&last, prev_id, r7, FiscalYear(2027), 2, &by("鈴木")).unwrap();
    assert_eq!(next_meta.fiscal_year, FiscalYear(2027));
    assert_eq!(next_meta.copied_from, Some(prev_id));
    let all = answers(&next).unwrap();
    assert_eq!(all.len(), 2);
    let six = &all[&ItemId::from("2-⑥")].current;
    assert_eq!(
        (six.choice, six.checked_on, six.target_on),
        (Choice::No, None, None)
    );
    assert_eq!(six.entry.by, "鈴木");
}

#[test]
fn copying_from_another_facility_fills_only_unanswered_items_as_undated_drafts() {
    let r7 = edition("r7").unwrap();
    let vendor_meta = |facility| ChecklistMeta {
        facility_id: facility,
        form: FormKind::Vendor,
        vendor_name: "ABCシステム".into(),
        ..meta()
    };
    let mut elsewhere = create(&vendor_meta(FacilityId::generate())).unwrap();
    put_answer(&mut elsewhere, &ItemId::from("1-①"), &yes("山本")).unwrap();
    put_answer(
        &mut elsewhere,
        &ItemId::from("2-②"),
        &no_with_target("山本"),
    )
    .unwrap();
    let mut here = create(&vendor_meta(FacilityId::generate())).unwrap();
    put_answer(&mut here, &ItemId::from("2-②"), &yes("山本")).unwrap();

    let copied = copy_answers(&elsewhere, &mut here, r7, &by("山本")).unwrap();
    assert_eq!(copied, 1);
    let all = answers(&here).unwrap();
    let one = &all[&ItemId::from("1-①")].current;
    assert_eq!((one.choice, one.checked_on), (Choice::Yes, None));
    assert_eq!(
        all[&ItemId::from("2-②")].current.choice,
        Choice::Yes,
        "an answer already given here is kept"
    );

    let own = create(&meta()).unwrap();
    assert!(copy_answers(&own, &mut here, r7, &by("山本")).is_err());
}

#[test]
fn each_answer_names_the_actor_that_wrote_it() {
    let (mut a, mut b) = two_devices();
    put_answer(&mut a, &ItemId::from("1-①"), &yes("佐藤")).unwrap();
    put_answer(&mut b, &ItemId::from("2-⑥"), &no_with_target("田中")).unwrap();
    a.merge(&mut b).unwrap();
    let all = answers(&a).unwrap();
    assert_eq!(
        all[&ItemId::from("1-①")].author,
        Some(a.get_actor().to_hex_string())
    );
    assert_eq!(
        all[&ItemId::from("2-⑥")].author,
        Some(b.get_actor().to_hex_string())
    );
}

#[test]
fn the_items_a_change_touched_are_found_without_reading_answers() {
    let mut doc = create(&meta()).unwrap();
    put_answer(&mut doc, &ItemId::from("1-①"), &yes("佐藤")).unwrap();
    let before = answer_versions(&doc);
    put_answer(&mut doc, &ItemId::from("2-⑥"), &no_with_target("佐藤")).unwrap();
    put_answer(&mut doc, &ItemId::from("1-①"), &no_with_target("佐藤")).unwrap();
    assert_eq!(
        changed_items(&before, &answer_versions(&doc)),
        vec!["1-①".to_string(), "2-⑥".to_string()]
    );
    clear_answer(&mut doc, &ItemId::from("2-⑥")).unwrap();
    let after = answer_versions(&doc);
    assert_eq!(changed_items(&after, &after), Vec::<String>::new());
    assert!(answer_versions(&AutoCommit::new()).is_empty());
}

#[test]
fn the_latest_entry_time_reads_only_the_items_named() {
    let mut doc = create(&meta()).unwrap();
    let at = |ms| Entry {
        at_ms: ms,
        ..by("佐藤")
    };
    put_answer(
        &mut doc,
        &ItemId::from("1-①"),
        &Answer::new(Choice::Yes, d("2026-11-20"), at(5)),
    )
    .unwrap();
    put_answer(
        &mut doc,
        &ItemId::from("2-⑥"),
        &Answer::new(Choice::Yes, d("2026-11-20"), at(9)),
    )
    .unwrap();
    assert_eq!(latest_entry_at(&doc, &["1-①".into()]), Some(5));
    assert_eq!(
        latest_entry_at(&doc, &["1-①".into(), "2-⑥".into()]),
        Some(9)
    );
    // An item cleared, or never answered, has no time.
    clear_answer(&mut doc, &ItemId::from("2-⑥")).unwrap();
    assert_eq!(latest_entry_at(&doc, &["2-⑥".into(), "3-①".into()]), None);
    assert_eq!(latest_entry_at(&AutoCommit::new(), &["1-①".into()]), None);
}

/// A made-up later edition (registered for the whole test process): 1-① reworded, 2-⑧ replaced by 2-⑭, a new 3-④.
fn made_up_edition() -> &'static Edition {
    let mut data = edition("r7").unwrap().data().clone();
    data.id = "unit-r8".into();
    // Far ahead: the registry is the process's, and other tests ask which edition a year uses.
    data.fiscal_year = 2090;
    data.official_sha256 = Some("ab".repeat(32));
    for item in &mut data.items {
        if item.id.as_str() == "1-①" {
            item.text.push_str("（改訂）");
            item.forms.clear();
        }
    }
    let old = data
        .items
        .iter()
        .position(|i| i.id.as_str() == "2-⑧")
        .unwrap();
    let mut replacing = data.items.remove(old);
    replacing.id = ItemId::new("2-⑭");
    replacing.replaces = vec![ItemId::new("2-⑧")];
    data.items.push(replacing);
    let mut new = data
        .items
        .iter()
        .find(|i| i.id.as_str() == "3-③")
        .unwrap()
        .clone();
    new.id = ItemId::new("3-④");
    data.items.push(new);
    crate::edition::register(Edition::from_data(data).unwrap()).unwrap()
}

#[test]
fn a_checklist_moves_to_a_newer_edition_keeping_every_answer() {
    let to = made_up_edition();
    let mut doc = create(&meta()).unwrap();
    put_answer(&mut doc, &ItemId::new("1-①"), &yes("佐藤")).unwrap();
    put_answer(&mut doc, &ItemId::new("2-⑧"), &no_with_target("佐藤")).unwrap();
    put_answer(&mut doc, &ItemId::new("2-①"), &yes("佐藤")).unwrap();
    let before = answers(&doc).unwrap();

    let plan = plan_move(edition("r7").unwrap(), to, FormKind::Medical, &before);
    assert_eq!(plan.new_items, vec![ItemId::new("3-④")]);
    assert_eq!(plan.reworded, vec![ItemId::new("1-①"), ItemId::new("2-⑭")]);
    assert_eq!(plan.carried, vec![(ItemId::new("2-⑧"), ItemId::new("2-⑭"))]);
    assert!(plan.left_behind.is_empty(), "{:?}", plan.left_behind);

    assert_eq!(move_to_edition(&mut doc, to).unwrap(), plan);
    let m = super::meta(&doc).unwrap();
    assert_eq!(
        (m.edition.as_str(), m.moved_from_edition.as_deref()),
        ("unit-r8", Some("r7"))
    );
    let after = answers(&doc).unwrap();
    // Every answer is still there, dates and all; 2-⑧'s also answers 2-⑭.
    for (id, a) in &before {
        assert_eq!(after[id].current, a.current, "{id}");
    }
    assert_eq!(
        after[&ItemId::new("2-⑭")].current,
        before[&ItemId::new("2-⑧")].current
    );
    // Seen from the new edition after the move: the same new and reworded items, nothing left behind.
    let again = plan_move(edition("r7").unwrap(), to, FormKind::Medical, &after);
    assert_eq!(
        (again.new_items, again.reworded),
        (plan.new_items, plan.reworded)
    );
    assert!(again.left_behind.is_empty());
    // A checklist that still reads under the schema check.
    assert!(crate::schema::check(&doc, None).is_ok());
}

#[test]
fn a_loaded_edition_cannot_take_an_embedded_id_and_is_found_by_year() {
    let mut data = edition("r7").unwrap().data().clone();
    data.official_sha256 = Some("cd".repeat(32));
    assert!(crate::edition::register(Edition::from_data(data).unwrap()).is_err());
    let to = made_up_edition();
    let r7 = edition("r7").unwrap();
    assert_eq!(
        crate::edition::newer_for(r7, 2090, FormKind::Medical).map(Edition::id),
        Some(to.id())
    );
    assert!(crate::edition::newer_for(r7, 2089, FormKind::Medical).is_none());
    assert!(crate::edition::newer_for(to, 2090, FormKind::Medical).is_none());
}
