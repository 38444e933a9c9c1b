use std::collections::BTreeMap;

use super::diagram::{self, diagram};
use super::page::{PageChart, body, document};
use super::*;
use crate::model::{FacilityId, FacilityKind};
use crate::schema::contact_chart::{create, put_contact, read};

fn vendor(name: &str, phone: &str) -> Vendor {
    Vendor {
        id: VendorId::generate(),
        name: name.into(),
        systems: "電子カルテ".into(),
        phone: phone.into(),
        contact_person: String::new(),
        email: String::new(),
        hours: "24時間".into(),
        mds_received_on: None,
        mds_version: String::new(),
        remote: Default::default(),
    }
}

fn vendors(list: &[Vendor]) -> BTreeMap<String, Vendor> {
    list.iter().map(|v| (v.id.to_string(), v.clone())).collect()
}

#[test]
fn tel_links_dial_what_people_type() {
    assert_eq!(tel_href("03-6812-7837").as_deref(), Some("tel:0368127837"));
    assert_eq!(
        tel_href("０９０（１２３４）５６７８").as_deref(),
        Some("tel:09012345678")
    );
    assert_eq!(tel_href("#9110").as_deref(), Some("tel:%239110"));
    assert_eq!(
        tel_href("+81 3-1234-5678").as_deref(),
        Some("tel:+81312345678")
    );
    assert_eq!(tel_href("内線"), None);
    assert_eq!(tel_href(""), None);
}

#[test]
fn every_contact_appears_once_in_escalation_order_with_the_vendors() {
    let doc = create(FacilityId::generate(), FacilityKind::Clinic, 0).unwrap();
    let chart = read(&doc).unwrap();
    let v = vendor("メディカルシステム株式会社", "0120-000-111");
    let shown = resolve(&chart, &vendors(std::slice::from_ref(&v)));
    assert_eq!(shown.len(), chart.contacts.len() + 1);
    // The first contact is the one nobody calls; each contact comes after whoever calls it.
    assert_eq!(shown[0].role, "システム運用担当者");
    assert_eq!(shown[0].depth, 0);
    for (i, s) in shown.iter().enumerate() {
        if let Some(by) = &s.called_by {
            let caller = shown.iter().position(|x| &x.id == by).unwrap();
            assert!(caller < i, "{} is listed after its caller", s.role);
            assert_eq!(shown[caller].depth + 1, s.depth);
        }
    }
    // The vendor comes from the vendor entity, called by the safety officer.
    let vs = shown.iter().find(|s| s.vendor == Some(v.id)).unwrap();
    assert_eq!(vs.organisation, v.name);
    assert_eq!(vs.phones[0].number, "0120-000-111");
    assert_eq!(vs.called_by.as_deref(), Some("t-officer"));
}

#[test]
fn a_cycle_made_on_two_devices_still_shows_everyone() {
    let mut doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let chart = read(&doc).unwrap();
    // The officer is called by the owner, who is called by the officer.
    let mut officer = chart.contacts["t-officer"].clone();
    officer.called_by = Some("t-top".into());
    put_contact(&mut doc, &officer, 1).unwrap();
    let chart = read(&doc).unwrap();
    let shown = resolve(&chart, &BTreeMap::new());
    assert_eq!(shown.len(), chart.contacts.len());
    let ids: std::collections::BTreeSet<_> = shown.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), shown.len(), "no contact twice");
}

#[test]
fn the_chart_check_names_vendors_without_a_number() {
    let doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let chart = read(&doc).unwrap();
    let with = vendor("レセコン株式会社", "03-1111-2222");
    let without = vendor("薬歴システム株式会社", "");
    let check = check(Some(&chart), &vendors(&[with, without]));
    assert!(check.exists);
    assert_eq!(check.vendors_without_phone, ["薬歴システム株式会社"]);
    assert!(!check.complete());
    assert!(check.without_phone.contains(&"管理薬剤師".to_string()));
    assert!(
        !check.without_phone.iter().any(|r| r.contains("報告")),
        "the MHLW number is filled in"
    );
    assert!(!super::check(None, &BTreeMap::new()).exists);
}

#[test]
fn the_static_page_escapes_text_and_has_every_number_as_a_link() {
    let doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let mut chart = read(&doc).unwrap();
    let c = chart.contacts.get_mut("t-officer").unwrap();
    c.name = "<script>alert(1)</script>".into();
    c.phones = vec![Phone {
        label: "携帯".into(),
        number: "090-1234-5678".into(),
    }];
    let shown = resolve(&chart, &BTreeMap::new());
    let page = document(
        &[PageChart {
            facility: "さくら薬局".into(),
            contacts: shown.clone(),
            synced: "2026/11/25 10:00".into(),
            changed: "2026/11/24 09:00".into(),
        }],
        "2026/11/25 10:00",
    );
    assert!(
        !page.contains("<script"),
        "no markup from the data, no script at all"
    );
    assert!(page.contains("&lt;script&gt;"));
    assert!(page.contains(r#"href="tel:09012345678""#));
    assert!(page.contains(r#"href="tel:0368127837""#));
    assert!(
        page.contains("<style>"),
        "the static copy carries its own style"
    );
    let html = body(&[]);
    assert!(html.contains("連絡体制図がありません"));
    let svg = diagram(&shown, &diagram::JA);
    assert_eq!(
        svg.matches("class=\"chart-node\"").count(),
        2 * (shown.len() + 1),
        "every contact and the first box, once on screen and once for print"
    );
}

/// The text of a drawing with its markup taken out (lines joined: a wrapped name reads whole).
fn drawn_text(svg: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in svg.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn the_diagram_shows_full_names_and_hours_and_a_big_chart_on_pages() {
    // Step 1: a vendor with a long name and its hours, on the pharmacy template.
    let doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let chart = read(&doc).unwrap();
    let mut v = vendor(
        "株式会社ほくとメディカルシステムズ 東日本カスタマーサポートセンター",
        "0120-123-456",
    );
    v.hours = "平日9時〜18時（土日祝は留守番電話）".into();
    let shown = resolve(&chart, &vendors(&[v]));
    let svg = diagram(&shown, &diagram::JA);
    let (screen, print) = svg.split_at(svg.find("chart-print").unwrap());
    for drawing in [screen, print] {
        // A line may break at the space in the name.
        let text = drawn_text(drawing).replace(' ', "");
        assert!(!text.contains('…'), "nothing cut: {text}");
        assert!(
            text.contains("株式会社ほくとメディカルシステムズ東日本カスタマーサポートセンター"),
            "the whole name, wrapped: {text}"
        );
        assert!(
            text.contains("受付時間平日9時〜18時（土日祝は留守番電話）"),
            "{text}"
        );
        assert!(
            text.contains("0120-123-456"),
            "a number is never split: {text}"
        );
    }
    // The long name breaks at its space, each word whole on its line.
    assert!(
        print.contains(">株式会社ほくとメディカルシステムズ</tspan>")
            || print
                .contains("株式会社ほくとメディカルシステムズ 東日本カスタマーサポートセンター"),
        "{print}"
    );
    assert!(
        !print.contains(">ター<") && !print.contains(">ンター<"),
        "not cut inside a word: {print}"
    );
    // Step 2: for print, no text under 10.5 units (one unit is a point on A4), one part for a template.
    let sizes: Vec<f32> = print
        .split("font-size=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(sizes.iter().all(|s| *s >= 10.5), "{sizes:?}");
    assert_eq!(print.matches("</svg>").count(), 1, "one page");
    // Step 3: forty vendors make a chart that goes on in a second and third part, not smaller text.
    let many: Vec<_> = (0..40)
        .map(|i| vendor(&format!("保守事業者{i}"), "03-1111-2222"))
        .collect();
    let svg = diagram(&resolve(&chart, &vendors(&many)), &diagram::JA);
    let print = &svg[svg.find("chart-print").unwrap()..];
    assert!(print.matches("</svg>").count() >= 3, "split into parts");
    assert_eq!(
        svg.matches("<svg").count(),
        1 + print.matches("</svg>").count(),
        "the screen's drawing stays whole"
    );
}

#[test]
fn a_chart_as_the_template_made_it_is_not_done() {
    // Step 1: a new chart, nothing entered: its placeholders (and the numbers the template fills in) do
    // not make 3-① read as done.
    let doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let mut chart = read(&doc).unwrap();
    let untouched = check(Some(&chart), &BTreeMap::new());
    assert!(untouched.exists);
    assert_eq!(untouched.entered, 0);
    assert!(!untouched.complete());
    // Step 2: one person's name and number entered: one contact entered.
    let c = chart.contacts.get_mut("t-officer").unwrap();
    c.name = "佐藤".into();
    c.phones = vec![Phone {
        label: "携帯".into(),
        number: "090-1234-5678".into(),
    }];
    assert_eq!(check(Some(&chart), &BTreeMap::new()).entered, 1);
    // Step 3: a vendor of the register counts as entered.
    let v = vendor("レセコン株式会社", "03-1111-2222");
    assert_eq!(check(Some(&chart), &vendors(&[v])).entered, 2);
}

#[test]
fn the_emergency_screen_shows_what_was_entered_and_no_name_twice() {
    let doc = create(FacilityId::generate(), FacilityKind::Pharmacy, 0).unwrap();
    let chart = read(&doc).unwrap();
    let shown = resolve(&chart, &BTreeMap::new());
    let html = body(&[PageChart {
        facility: "さくら薬局".into(),
        contacts: shown.clone(),
        synced: String::new(),
        changed: String::new(),
    }]);
    // The template's instruction to whoever fills the chart in is not on the screen.
    assert!(!html.contains("記入してください"), "{html}");
    // The police: organisation and group are both 都道府県警察, said once.
    let police = html
        .split("<li ")
        .find(|li| li.contains("data-contact=\"t-police\""))
        .expect("the police are listed");
    assert_eq!(police.matches("都道府県警察").count(), 1, "{police}");
    // A group that says something else is still shown (a placeholder's title is its role).
    let officer = shown.iter().find(|s| s.id == "t-officer").unwrap();
    assert_eq!(officer.group_tag(), None, "the label already is the group");
    let mhlw = shown.iter().find(|s| s.id == "t-mhlw").unwrap();
    assert_eq!(mhlw.group_tag(), Some("厚生労働省・所管省庁"));
}
