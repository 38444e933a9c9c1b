//! The contact chart document (連絡体制図, checklist item 3-①): who to call in an incident, in which order.
//!
//! ```text
//! { schema: 1, kind: "contact_chart",
//!   meta:     { facility_id, template: "medical"|"pharmacy", created_at_ms },
//!   groups:   { <group id>: { id, name, order } },
//!   contacts: { <contact id>: { id, group, role, name, organisation, phones: [{ label, number }], email,
//!                               hours, notes, vendor_id | null, called_by | null, order } },
//!   reviewed: { on: "2026-11-24", by } | null,
//!   updated_at_ms }
//! ```
//! Contacts are a map keyed by a generated id and written one contact at a time, field by field: two
//! devices editing different contacts, or different fields of one contact, both keep their edit. The order
//! of escalation is each contact's `called_by` (the contact who calls them); contacts nobody calls are
//! called first by whoever notices the incident. A contact with `vendor_id` stands for that vendor of the
//! facility index: its name and numbers come from the vendor entity, never copied here.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile_prop};

use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::calendar::Date;
use crate::error::SchemaError;
use crate::model::{FacilityId, FacilityKind, VendorId};

/// Which of the manual's two examples a chart started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum Template {
    #[autosurgeon(rename = "medical")]
    Medical,
    #[autosurgeon(rename = "pharmacy")]
    Pharmacy,
}

impl Template {
    pub fn for_facility(kind: FacilityKind) -> Template {
        if kind == FacilityKind::Pharmacy {
            Template::Pharmacy
        } else {
            Template::Medical
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ChartMeta {
    pub facility_id: FacilityId,
    pub template: Template,
    pub created_at_ms: i64,
}

/// A group of contacts (施設内, 事業者, 都道府県警察 …); users may add their own.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub order: i64,
}

/// One number of a contact; the list's order is the order to try them in.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Phone {
    /// 代表, 携帯, 夜間 …
    pub label: String,
    pub number: String,
}

/// One person or office to call.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Contact {
    pub id: String,
    pub group: String,
    /// The role in an incident (医療情報システム安全管理責任者, サイバー犯罪相談窓口 …).
    pub role: String,
    pub name: String,
    pub organisation: String,
    pub phones: Vec<Phone>,
    pub email: String,
    pub hours: String,
    pub notes: String,
    /// Set when this contact stands for a vendor of the facility index (its name and numbers are there).
    pub vendor_id: Option<VendorId>,
    /// The contact who calls this one (escalation); `None`: called first, by whoever notices.
    pub called_by: Option<String>,
    pub order: i64,
}

impl Contact {
    /// An empty contact in a group, with a fresh id.
    pub fn new(group: &str, order: i64) -> Contact {
        Contact {
            id: uuid::Uuid::new_v4().to_string(),
            group: group.to_string(),
            role: String::new(),
            name: String::new(),
            organisation: String::new(),
            phones: Vec::new(),
            email: String::new(),
            hours: String::new(),
            notes: String::new(),
            vendor_id: None,
            called_by: None,
            order,
        }
    }
}

/// When and by whom the chart was last checked to be right (見直し).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Review {
    #[autosurgeon(with = "super::date_repr")]
    pub on: Option<Date>,
    pub by: String,
}

/// The whole chart, as read.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct ContactChart {
    pub schema: u64,
    pub kind: String,
    pub meta: ChartMeta,
    pub groups: BTreeMap<String, Group>,
    pub contacts: BTreeMap<String, Contact>,
    pub reviewed: Option<Review>,
    pub updated_at_ms: i64,
}

impl ContactChart {
    /// Groups in display order.
    pub fn groups_in_order(&self) -> Vec<&Group> {
        let mut groups: Vec<&Group> = self.groups.values().collect();
        crate::order::sort_by(&mut groups, |a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
        groups
    }

    /// The contact standing for a vendor, if the chart has one.
    pub fn vendor_contact(&self, vendor: VendorId) -> Option<&Contact> {
        self.contacts.values().find(|c| c.vendor_id == Some(vendor))
    }
}

/// A new chart for a facility, filled from the template that fits it.
pub fn create(
    facility: FacilityId,
    kind: FacilityKind,
    now_ms: i64,
) -> Result<AutoCommit, SchemaError> {
    let template = Template::for_facility(kind);
    let (groups, contacts) = crate::contacts::template(template);
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::ContactChart.as_str())?;
    let meta = ChartMeta {
        facility_id: facility,
        template,
        created_at_ms: now_ms,
    };
    reconcile_prop(&mut doc, ROOT, "meta", &meta)?;
    let groups_obj = doc.put_object(ROOT, "groups", ObjType::Map)?;
    for g in &groups {
        reconcile_prop(&mut doc, &groups_obj, g.id.as_str(), g)?;
    }
    let contacts_obj = doc.put_object(ROOT, "contacts", ObjType::Map)?;
    for c in &contacts {
        reconcile_prop(&mut doc, &contacts_obj, c.id.as_str(), c)?;
    }
    reconcile_prop(&mut doc, ROOT, "reviewed", Option::<Review>::None)?;
    doc.put(ROOT, "updated_at_ms", now_ms)?;
    Ok(doc)
}

pub fn read(doc: &AutoCommit) -> Result<ContactChart, SchemaError> {
    expect_kind(doc, DocKind::ContactChart)?;
    Ok(hydrate(doc)?)
}

/// The chart's facility, without reading the whole chart.
pub fn facility(doc: &AutoCommit) -> Result<FacilityId, SchemaError> {
    expect_kind(doc, DocKind::ContactChart)?;
    let meta: ChartMeta = autosurgeon::hydrate_prop(doc, ROOT, "meta")?;
    Ok(meta.facility_id)
}

fn map_at(doc: &mut AutoCommit, key: &str) -> Result<automerge::ObjId, SchemaError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(ROOT, key, ObjType::Map)?),
    }
}

/// Adds or updates one contact (only the fields that changed are written).
pub fn put_contact(
    doc: &mut AutoCommit,
    contact: &Contact,
    now_ms: i64,
) -> Result<(), SchemaError> {
    let contacts = map_at(doc, "contacts")?;
    reconcile_prop(doc, &contacts, contact.id.as_str(), contact)?;
    doc.put(ROOT, "updated_at_ms", now_ms)?;
    Ok(())
}

/// Removes a contact; contacts it called are then called by whoever called it.
pub fn remove_contact(doc: &mut AutoCommit, id: &str, now_ms: i64) -> Result<(), SchemaError> {
    let chart = read(doc)?;
    let Some(gone) = chart.contacts.get(id) else {
        return Ok(());
    };
    let contacts = map_at(doc, "contacts")?;
    for c in chart.contacts.values() {
        if c.called_by.as_deref() == Some(id)
            && let Some((automerge::Value::Object(_), obj)) = doc.get(&contacts, c.id.as_str())?
        {
            reconcile_prop(doc, &obj, "called_by", &gone.called_by)?;
        }
    }
    doc.delete(&contacts, id)?;
    doc.put(ROOT, "updated_at_ms", now_ms)?;
    Ok(())
}

/// Adds or renames a group.
pub fn put_group(doc: &mut AutoCommit, group: &Group, now_ms: i64) -> Result<(), SchemaError> {
    let groups = map_at(doc, "groups")?;
    reconcile_prop(doc, &groups, group.id.as_str(), group)?;
    doc.put(ROOT, "updated_at_ms", now_ms)?;
    Ok(())
}

/// Records that someone checked the whole chart today (見直し).
pub fn mark_reviewed(
    doc: &mut AutoCommit,
    review: &Review,
    now_ms: i64,
) -> Result<(), SchemaError> {
    reconcile_prop(doc, ROOT, "reviewed", Some(review))?;
    doc.put(ROOT, "updated_at_ms", now_ms)?;
    Ok(())
}

/// Brings another chart's contacts and groups into this one (two devices each made a chart while apart): a
/// contact the same as the one with its id is skipped, a different one comes in under a new id, so nothing
/// entered on either device is lost. Returns how many contacts came in.
pub fn take_in(
    doc: &mut AutoCommit,
    other: &ContactChart,
    now_ms: i64,
) -> Result<usize, SchemaError> {
    let current = read(doc)?;
    let mut copied = 0;
    for c in other.contacts.values() {
        match current.contacts.get(&c.id) {
            Some(same) if same == c => continue,
            Some(_) => {
                let fresh = Contact {
                    id: uuid::Uuid::new_v4().to_string(),
                    ..c.clone()
                };
                put_contact(doc, &fresh, now_ms)?;
            }
            None => put_contact(doc, c, now_ms)?,
        }
        copied += 1;
    }
    for g in other.groups.values() {
        if !current.groups.contains_key(&g.id) {
            put_group(doc, g, now_ms)?;
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> AutoCommit {
        create(FacilityId::generate(), FacilityKind::Pharmacy, 1).unwrap()
    }

    #[test]
    fn the_pharmacy_template_has_the_ministry_number_filled_in() {
        let c = read(&chart()).unwrap();
        assert_eq!(c.meta.template, Template::Pharmacy);
        let mhlw = c
            .contacts
            .values()
            .find(|c| c.group == "ministry" && c.organisation.contains("厚生労働省"))
            .expect("the MHLW contact");
        assert_eq!(mhlw.phones[0].number, "03-6812-7837");
        assert!(mhlw.organisation.contains("医療情報担当参事官室"));
    }

    #[test]
    fn edits_of_different_fields_of_one_contact_on_two_devices_both_survive() {
        let mut a = chart();
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        let id = read(&a).unwrap().contacts.keys().next().unwrap().clone();
        let mut ca = read(&a).unwrap().contacts[&id].clone();
        ca.name = "山田 花子".into();
        put_contact(&mut a, &ca, 2).unwrap();
        let mut cb = read(&b).unwrap().contacts[&id].clone();
        cb.phones.push(Phone {
            label: "携帯".into(),
            number: "090-1234-5678".into(),
        });
        put_contact(&mut b, &cb, 3).unwrap();
        a.merge(&mut b).unwrap();
        let merged = &read(&a).unwrap().contacts[&id];
        assert_eq!(merged.name, "山田 花子");
        assert!(merged.phones.iter().any(|p| p.number == "090-1234-5678"));
    }

    #[test]
    fn removing_a_contact_passes_its_calls_up_the_chain() {
        let mut doc = chart();
        let c = read(&doc).unwrap();
        let (middle, caller) = c
            .contacts
            .values()
            .find_map(|x| x.called_by.clone().map(|by| (x.id.clone(), by)))
            .unwrap();
        let below: Vec<String> = c
            .contacts
            .values()
            .filter(|x| x.called_by.as_deref() == Some(middle.as_str()))
            .map(|x| x.id.clone())
            .collect();
        remove_contact(&mut doc, &middle, 5).unwrap();
        let after = read(&doc).unwrap();
        assert!(!after.contacts.contains_key(&middle));
        for id in below {
            assert_eq!(
                after.contacts[&id].called_by.as_deref(),
                Some(caller.as_str())
            );
        }
        assert_eq!(after.updated_at_ms, 5);
    }

    #[test]
    fn a_second_chart_made_apart_is_taken_in_without_losing_a_contact() {
        let facility = FacilityId::generate();
        let mut main = create(facility, FacilityKind::Clinic, 1).unwrap();
        let mut other = create(facility, FacilityKind::Clinic, 2).unwrap();
        let mut officer = read(&other).unwrap().contacts["t-officer"].clone();
        officer.name = "鈴木".into();
        put_contact(&mut other, &officer, 3).unwrap();
        let mut extra = Contact::new("others", 9);
        extra.role = "近隣病院".into();
        put_contact(&mut other, &extra, 3).unwrap();
        let before = read(&main).unwrap().contacts.len();
        let copied = take_in(&mut main, &read(&other).unwrap(), 4).unwrap();
        assert_eq!(
            copied, 2,
            "the edited officer and the new contact; identical ones skipped"
        );
        let after = read(&main).unwrap();
        assert_eq!(after.contacts.len(), before + 2);
        assert!(after.contacts.values().any(|c| c.name == "鈴木"));
        assert!(after.contacts.contains_key(&extra.id));
        assert_eq!(
            take_in(&mut main, &read(&other).unwrap(), 5).unwrap(),
            1,
            "only the renamed officer again"
        );
    }

    #[test]
    fn a_review_is_recorded() {
        let mut doc = chart();
        let review = Review {
            on: Some(Date::parse_iso("2026-11-24").unwrap()),
            by: "佐藤".into(),
        };
        mark_reviewed(&mut doc, &review, 9).unwrap();
        assert_eq!(read(&doc).unwrap().reviewed, Some(review));
    }
}
