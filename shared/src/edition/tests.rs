use super::*;

const INSTITUTION_IDS: [&str; 18] = [
    "1-①", "2-①", "2-②", "2-③", "2-④", "2-⑤", "2-⑥", "2-⑦", "2-⑧", "2-⑨", "2-⑩", "2-⑪", "2-⑫",
    "2-⑬", "3-①", "3-②", "3-③", "4-①",
];

fn r7() -> &'static Edition {
    edition("r7").expect("the 令和7年度版 is embedded")
}

fn ids(kind: FormKind) -> Vec<String> {
    r7().form_items(kind)
        .iter()
        .map(|i| i.id.to_string())
        .collect()
}

#[test]
fn every_embedded_edition_parses() {
    for (name, json) in embedded::EDITION_FILES {
        Edition::from_json(json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(!editions().is_empty());
}

#[test]
fn institution_forms_have_all_items_in_official_order() {
    assert_eq!(ids(FormKind::Medical), INSTITUTION_IDS);
    assert_eq!(ids(FormKind::Pharmacy), INSTITUTION_IDS);
}

#[test]
fn vendor_form_has_sections_one_and_two_only() {
    assert_eq!(ids(FormKind::Vendor), INSTITUTION_IDS[..14]);
    let sections: Vec<u8> = r7()
        .form(FormKind::Vendor)
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(sections, [1, 2]);
    let sections: Vec<u8> = r7()
        .form(FormKind::Medical)
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(sections, [1, 2, 3, 4]);
}

#[test]
fn every_item_has_wording_scope_references_and_a_guide() {
    for kind in FormKind::ALL {
        for item in r7().form_items(kind) {
            assert!(
                !item.text.is_empty() && !item.text_en.is_empty(),
                "{} wording",
                item.id
            );
            assert!(
                !item.guide_ja.is_empty() && !item.guide_en.is_empty(),
                "{} guide",
                item.id
            );
            assert!(
                !item.references.is_empty(),
                "{} has no guideline reference",
                item.id
            );
            // 1-① and section 3 print no scope label; every other item does.
            let labelled = !(item.id.as_str() == "1-①" || item.section == 3);
            assert_eq!(!item.scopes.is_empty(), labelled, "{} scope", item.id);
        }
    }
}

#[test]
fn wording_follows_the_manuals_item_headings() {
    let item = |kind, id: &str| r7().item(kind, &ItemId::from(id)).unwrap();
    let i = item(FormKind::Medical, "2-④");
    assert_eq!(i.note, Some("※管理者権限対象者の明確化を行っている"));
    let i = item(FormKind::Medical, "2-⑦");
    // The body's wording, not the table of contents' typo (混在してさせた).
    assert_eq!(
        i.text,
        "パスワードは英数字、記号が混在した8文字以上とし、定期的に変更している。"
    );
    assert_eq!(
        i.note,
        Some("※二要素認証、または13文字以上の場合は定期的な変更は不要")
    );
    assert_eq!(item(FormKind::Medical, "2-⑪").scopes, [Scope::Server]);
    assert_eq!(
        item(FormKind::Medical, "2-⑫").scopes,
        [Scope::Server, Scope::Terminal]
    );
    assert_eq!(item(FormKind::Medical, "2-⑬").scopes, [Scope::Network]);
    assert!(
        item(FormKind::Medical, "1-①")
            .references
            .iter()
            .any(|r| r == "経営管理編 3.1.2②")
    );
    assert!(
        item(FormKind::Medical, "1-①")
            .glossary
            .iter()
            .any(|g| g.term == "企画管理者")
    );
}

#[test]
fn vendor_form_speaks_from_the_vendors_side_and_marks_unconfirmed_wording() {
    let v = |id: &str| r7().item(FormKind::Vendor, &ItemId::from(id)).unwrap();
    assert_eq!(
        v("1-①").text,
        "医療情報システム等の提供に係る管理責任者を設置している。"
    );
    assert!(v("2-③").text.contains("提出した"));
    assert!(
        r7().form_items(FormKind::Vendor)
            .iter()
            .all(|i| !i.confirmed),
        "no source confirms the R7 vendor form"
    );
    assert!(
        r7().item(FormKind::Medical, &ItemId::from("2-⑥"))
            .unwrap()
            .confirmed
    );
    assert!(r7().item(FormKind::Vendor, &ItemId::from("3-①")).is_none());
}

#[test]
fn not_required_is_offered_only_for_two_two_and_two_three_on_institution_forms() {
    let offered: Vec<String> = r7()
        .form_items(FormKind::Medical)
        .into_iter()
        .filter(|i| i.not_required_without_vendor)
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(offered, ["2-②", "2-③"]);
    assert!(
        r7().form_items(FormKind::Vendor)
            .iter()
            .all(|i| !i.not_required_without_vendor)
    );
}

#[test]
fn editions_are_chosen_by_fiscal_year() {
    assert_eq!(edition_for_fiscal_year(2025).id(), "r7");
    assert_eq!(
        edition_for_fiscal_year(2026).id(),
        editions().last().unwrap().id()
    );
    // Before the first embedded edition, the oldest one is offered.
    assert_eq!(
        edition_for_fiscal_year(2000).id(),
        editions().first().unwrap().id()
    );
}

#[test]
fn a_broken_edition_file_is_refused_with_a_reason() {
    let mut data = r7().data().clone();
    data.items[1].id = data.items[0].id.clone();
    let json = serde_json::to_string(&data).unwrap();
    assert!(matches!(
        Edition::from_json(&json),
        Err(EditionError::Invalid { .. })
    ));
    assert!(matches!(
        Edition::from_json("{}"),
        Err(EditionError::Parse(_))
    ));
}

#[test]
fn a_new_edition_is_data_only() {
    // A later edition (here a copy with one renumbered item) is just another file.
    let mut data = r7().data().clone();
    data.id = "r8".into();
    data.fiscal_year = 2026;
    let item = data
        .items
        .iter_mut()
        .find(|i| i.id.as_str() == "2-⑬")
        .unwrap();
    item.id = ItemId::from("2-⑭");
    item.replaces = vec![ItemId::from("2-⑬")];
    let r8 = Edition::from_json(&serde_json::to_string(&data).unwrap()).unwrap();
    assert_eq!(r8.form_items(FormKind::Medical).len(), 18);
    assert!(r8.item(FormKind::Medical, &ItemId::from("2-⑭")).is_some());
}

#[test]
fn every_reference_reads_in_english() {
    let jp = |s: &str| {
        // What parentheses hold may stay Japanese (a section's own name: 「1.2.1（管理責任）②」).
        let mut depth = 0;
        s.chars().any(|c| {
            match c {
                '（' | '(' => depth += 1,
                '）' | ')' => depth -= 1,
                _ => {}
            }
            depth == 0 && matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}')
        })
    };
    for ed in super::editions() {
        for item in ed.form_items(super::FormKind::Medical) {
            for r in item.references {
                let en = super::reference_en(r);
                assert!(!jp(&en), "{} {r} → {en}", item.id);
            }
        }
    }
}

#[test]
fn the_printed_name_is_the_official_one() {
    assert_eq!(r7().name_ja(), "令和7年度版");
    assert_eq!(r7().title_ja(), "令和7年度版（令和7年5月）");
}
