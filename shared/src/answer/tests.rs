use super::*;
use crate::edition::{FormKind, edition};
use crate::model::ItemId;

fn d(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

const TODAY: &str = "2026-11-24";
const FY: FiscalYear = FiscalYear(2026);

fn check(form: FormKind, id: &str, a: &Answer) -> Result<Vec<Flag>, AnswerError> {
    let item = edition("r7")
        .unwrap()
        .item(form, &ItemId::from(id))
        .unwrap();
    a.check(&item, form, FY, d(TODAY))
}

fn answer(choice: Choice) -> Answer {
    Answer::new(choice, d(TODAY), Entry::default())
}

#[test]
fn a_yes_checked_today_is_clean() {
    assert_eq!(
        check(FormKind::Medical, "1-①", &answer(Choice::Yes)),
        Ok(vec![])
    );
}

#[test]
fn a_no_without_target_is_flagged_not_refused() {
    assert_eq!(
        check(FormKind::Medical, "2-⑥", &answer(Choice::No)),
        Ok(vec![Flag::NoTarget])
    );
    let with_target = Answer {
        target_on: Some(d("2027-03-31")),
        ..answer(Choice::No)
    };
    assert_eq!(check(FormKind::Medical, "2-⑥", &with_target), Ok(vec![]));
    let late = Answer {
        target_on: Some(d("2027-04-01")),
        ..answer(Choice::No)
    };
    assert_eq!(
        check(FormKind::Medical, "2-⑥", &late),
        Ok(vec![Flag::TargetAfterFiscalYear])
    );
}

#[test]
fn a_check_date_in_the_future_is_refused() {
    let a = Answer {
        checked_on: Some(d("2026-11-25")),
        ..answer(Choice::Yes)
    };
    assert_eq!(
        check(FormKind::Medical, "1-①", &a),
        Err(AnswerError::CheckDateInFuture("2026-11-25".into()))
    );
}

#[test]
fn a_target_before_the_check_date_is_refused() {
    let a = Answer {
        target_on: Some(d("2026-11-01")),
        ..answer(Choice::No)
    };
    assert!(matches!(
        check(FormKind::Medical, "2-⑥", &a),
        Err(AnswerError::TargetBeforeCheck { .. })
    ));
}

#[test]
fn an_undated_answer_is_flagged() {
    let a = Answer {
        checked_on: None,
        ..answer(Choice::Yes)
    };
    assert_eq!(check(FormKind::Medical, "1-①", &a), Ok(vec![Flag::Undated]));
}

#[test]
fn not_required_only_for_two_two_and_two_three_on_institution_forms() {
    let a = answer(Choice::NotRequired);
    assert_eq!(a.checked_on, None);
    assert_eq!(check(FormKind::Medical, "2-②", &a), Ok(vec![]));
    assert_eq!(check(FormKind::Pharmacy, "2-③", &a), Ok(vec![]));
    assert_eq!(
        check(FormKind::Medical, "2-④", &a),
        Err(AnswerError::NotRequiredNotAllowed)
    );
    assert_eq!(
        check(FormKind::Vendor, "2-②", &a),
        Err(AnswerError::NotRequiredNotAllowed)
    );
}

#[test]
fn not_applicable_only_on_vendor_forms_and_flagged_without_a_reason() {
    let a = answer(Choice::NotApplicable);
    assert_eq!(check(FormKind::Vendor, "2-⑬", &a), Ok(vec![Flag::NoReason]));
    let with_reason = Answer {
        reason: "ネットワーク機器は契約外".into(),
        ..a.clone()
    };
    assert_eq!(check(FormKind::Vendor, "2-⑬", &with_reason), Ok(vec![]));
    assert_eq!(
        check(FormKind::Medical, "2-⑬", &with_reason),
        Err(AnswerError::NotApplicableNotAllowed)
    );
}

#[test]
fn offered_choices_follow_the_form() {
    let r7 = edition("r7").unwrap();
    let item = r7.item(FormKind::Medical, &ItemId::from("2-②")).unwrap();
    assert_eq!(
        Choice::offered(&item, FormKind::Medical),
        [Choice::Yes, Choice::No, Choice::NotRequired]
    );
    let item = r7.item(FormKind::Vendor, &ItemId::from("2-②")).unwrap();
    assert_eq!(
        Choice::offered(&item, FormKind::Vendor),
        [Choice::Yes, Choice::No, Choice::NotApplicable]
    );
}

#[test]
fn a_draft_keeps_the_choice_and_note_and_clears_the_dates() {
    let a = Answer {
        target_on: Some(d("2027-03-31")),
        note: "更新予定".into(),
        ..answer(Choice::No)
    };
    let draft = a.as_draft(Entry::default());
    assert_eq!(
        (draft.choice, draft.note.as_str()),
        (Choice::No, "更新予定")
    );
    assert_eq!((draft.checked_on, draft.target_on), (None, None));
}
