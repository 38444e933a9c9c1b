//! The contact chart as people use it in an incident: the two starting templates of the manual, the order
//! of escalation resolved into a tree (vendors of the facility index included), `tel:` links, and what
//! checklist item 3-① can say about the chart.
//!
//! The document itself is [`crate::schema::contact_chart`]; the static emergency page is [`page`], the
//! drawing of the chart [`diagram`].

pub mod diagram;
pub mod english;
pub mod page;

use std::collections::{BTreeMap, BTreeSet};

use crate::calendar::Date;
use crate::model::{Vendor, VendorId};
use crate::schema::contact_chart::{Contact, ContactChart, Group, Phone, Template};

/// The MHLW office the manual names for suspected cyber attacks.
pub const MHLW_OFFICE: &str = "厚生労働省 医政局特定医薬品開発支援・医療情報担当参事官室";
pub const MHLW_PHONE: &str = "03-6812-7837";
/// The template's note on the police contact: an instruction to whoever fills the chart in, never shown on
/// the 緊急連絡 screen.
pub const POLICE_INSTRUCTION: &str = "都道府県警察のサイバー犯罪相談窓口の番号を記入してください。";
/// Notes the templates carry that tell people what to enter (not something entered).
const INSTRUCTIONS: &[&str] = &[POLICE_INSTRUCTION];

/// Whether a note is one of the templates' data-entry instructions.
pub fn is_instruction(notes: &str) -> bool {
    INSTRUCTIONS.contains(&notes.trim())
}

/// The group vendors of the facility index are shown in.
pub const VENDOR_GROUP: &str = "vendors";

/// The template's groups and contacts. Ids are fixed (`t-…`) so the template's own escalation can refer
/// to them; contacts users add get random ids.
pub fn template(template: Template) -> (Vec<Group>, Vec<Contact>) {
    let group = |id: &str, name: &str, order: i64| Group {
        id: id.into(),
        name: name.into(),
        order,
    };
    let groups = vec![
        group("internal", "施設内", 0),
        group(VENDOR_GROUP, "事業者", 1),
        group("security", "情報セキュリティ事業者", 2),
        group("experts", "外部有識者", 3),
        group("police", "都道府県警察", 4),
        group("ministry", "厚生労働省・所管省庁", 5),
        group("others", "その他", 6),
    ];
    let contact = |id: &str, group: &str, role: &str, by: Option<&str>, order: i64| Contact {
        id: id.into(),
        group: group.into(),
        role: role.into(),
        called_by: by.map(String::from),
        order,
        ..Contact::new(group, order)
    };
    let mut police = contact(
        "t-police",
        "police",
        "サイバー犯罪相談窓口",
        Some("t-top"),
        0,
    );
    police.organisation = "都道府県警察".into();
    police.phones = vec![Phone {
        label: "警察相談専用電話".into(),
        number: "#9110".into(),
    }];
    police.notes = POLICE_INSTRUCTION.into();
    let mut mhlw = contact(
        "t-mhlw",
        "ministry",
        "サイバー攻撃を受けた疑いの報告",
        Some("t-top"),
        0,
    );
    mhlw.organisation = MHLW_OFFICE.into();
    mhlw.phones = vec![Phone {
        label: "代表".into(),
        number: MHLW_PHONE.into(),
    }];
    mhlw.notes = "チェックリストマニュアル記載の連絡先".into();
    let contacts = match template {
        Template::Medical => vec![
            contact("t-operator", "internal", "システム運用担当者", None, 0),
            contact(
                "t-officer",
                "internal",
                "医療情報システム安全管理責任者",
                Some("t-operator"),
                1,
            ),
            contact(
                "t-top",
                "internal",
                "経営層（院長・理事長）",
                Some("t-officer"),
                2,
            ),
            contact("t-planner", "internal", "企画管理者", Some("t-officer"), 3),
            contact(
                "t-departments",
                "internal",
                "各部署の責任者",
                Some("t-top"),
                4,
            ),
            contact(
                "t-security",
                "security",
                "インシデント対応支援",
                Some("t-officer"),
                0,
            ),
            contact(
                "t-expert",
                "experts",
                "外部有識者・CSIRT",
                Some("t-officer"),
                0,
            ),
            police,
            mhlw,
            contact(
                "t-prefecture",
                "ministry",
                "所管（都道府県 医務主管課・保健所）",
                Some("t-top"),
                1,
            ),
        ],
        Template::Pharmacy => vec![
            contact("t-officer", "internal", "管理薬剤師", None, 0),
            contact(
                "t-top",
                "internal",
                "開設者（経営者）",
                Some("t-officer"),
                1,
            ),
            contact(
                "t-staff",
                "internal",
                "薬剤師・事務スタッフ",
                Some("t-officer"),
                2,
            ),
            contact(
                "t-security",
                "security",
                "インシデント対応支援",
                Some("t-officer"),
                0,
            ),
            police,
            mhlw,
            contact(
                "t-prefecture",
                "ministry",
                "所管（都道府県 薬務主管課・保健所）",
                Some("t-top"),
                1,
            ),
            contact(
                "t-association",
                "others",
                "地域の薬剤師会",
                Some("t-top"),
                0,
            ),
        ],
    };
    (groups, contacts)
}

/// Who calls a vendor that has no place of its own in the chart yet: the template's officer, if present.
const DEFAULT_VENDOR_CALLER: &str = "t-officer";

/// One contact ready to show: a vendor's details filled in from the vendor entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The chart's contact id, or `vendor:<id>` for a vendor that has no contact of its own yet.
    pub id: String,
    pub group: String,
    pub group_name: String,
    pub role: String,
    pub name: String,
    pub organisation: String,
    pub phones: Vec<Phone>,
    pub email: String,
    pub hours: String,
    pub notes: String,
    pub vendor: Option<VendorId>,
    /// The contact who calls this one, after broken links and cycles are resolved.
    pub called_by: Option<String>,
    /// Depth in the escalation tree (0: called first).
    pub depth: usize,
}

impl Shown {
    /// Who answers: name and organisation, or the role when neither is filled in yet.
    pub fn title(&self) -> String {
        match (self.name.is_empty(), self.organisation.is_empty()) {
            (false, false) => format!("{}（{}）", self.name, self.organisation),
            (false, true) => self.name.clone(),
            (true, false) => self.organisation.clone(),
            (true, true) => self.role.clone(),
        }
    }

    /// The small line above the title: the role, or the group when the title already is the role.
    pub fn label(&self) -> &str {
        if self.name.is_empty() && self.organisation.is_empty() {
            &self.group_name
        } else {
            &self.role
        }
    }

    /// The group's name, when it says something the label and title do not already say (the police's
    /// organisation is 都道府県警察, so is its group).
    pub fn group_tag(&self) -> Option<&str> {
        let g = self.group_name.as_str();
        (!g.is_empty() && g != self.label() && g != self.title()).then_some(g)
    }

    /// Notes worth showing in an emergency: what was entered, never a template's instruction.
    pub fn notes_entered(&self) -> Option<&str> {
        let n = self.notes.trim();
        (!n.is_empty() && !is_instruction(n)).then_some(n)
    }
}

/// Whether someone entered anything into a contact: a vendor's contact always counts (the vendor register
/// is entered), a template contact only when it differs from how the template made it.
fn entered(c: &Contact, template: &[Contact]) -> bool {
    if c.vendor_id.is_some() {
        return true;
    }
    match template.iter().find(|t| t.id == c.id) {
        Some(t) => {
            c.name != t.name
                || c.organisation != t.organisation
                || c.phones != t.phones
                || c.email != t.email
                || c.hours != t.hours
                || c.notes != t.notes
        }
        None => {
            !c.name.trim().is_empty()
                || !c.organisation.trim().is_empty()
                || c.phones.iter().any(|p| !p.number.trim().is_empty())
                || !c.email.trim().is_empty()
        }
    }
}

/// Every contact in escalation order (depth first: each contact followed by those it calls), with the
/// facility's vendors included. Links to missing contacts and cycles (two devices each making the other
/// the caller) are broken so every contact appears exactly once.
pub fn resolve(chart: &ContactChart, vendors: &BTreeMap<String, Vendor>) -> Vec<Shown> {
    let group_name = |g: &str| {
        chart
            .groups
            .get(g)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| "その他".into())
    };
    let mut all: BTreeMap<String, Shown> = BTreeMap::new();
    for c in chart.contacts.values() {
        let mut shown = Shown {
            id: c.id.clone(),
            group: c.group.clone(),
            group_name: group_name(&c.group),
            role: c.role.clone(),
            name: c.name.clone(),
            organisation: c.organisation.clone(),
            phones: c.phones.clone(),
            email: c.email.clone(),
            hours: c.hours.clone(),
            notes: c.notes.clone(),
            vendor: c.vendor_id,
            called_by: c.called_by.clone(),
            depth: 0,
        };
        if let Some(v) = c.vendor_id.and_then(|v| vendors.get(&v.to_string())) {
            fill_from_vendor(&mut shown, v);
        }
        all.insert(c.id.clone(), shown);
    }
    for v in vendors.values() {
        if chart.vendor_contact(v.id).is_none() {
            let mut shown = Shown {
                id: format!("vendor:{}", v.id),
                group: VENDOR_GROUP.into(),
                group_name: group_name(VENDOR_GROUP),
                role: String::new(),
                name: String::new(),
                organisation: String::new(),
                phones: Vec::new(),
                email: String::new(),
                hours: String::new(),
                notes: String::new(),
                vendor: Some(v.id),
                called_by: chart
                    .contacts
                    .contains_key(DEFAULT_VENDOR_CALLER)
                    .then(|| DEFAULT_VENDOR_CALLER.to_string()),
                depth: 0,
            };
            fill_from_vendor(&mut shown, v);
            all.insert(shown.id.clone(), shown);
        }
    }
    // Links to contacts that are gone make a root.
    let ids: BTreeSet<String> = all.keys().cloned().collect();
    for s in all.values_mut() {
        if s.called_by
            .as_ref()
            .is_some_and(|by| !ids.contains(by) || by == &s.id)
        {
            s.called_by = None;
        }
    }
    // Cycles: the smallest id on each becomes a root.
    for id in ids.iter() {
        let mut seen = vec![id.clone()];
        let mut at = all[id].called_by.clone();
        while let Some(next) = at {
            if let Some(pos) = seen.iter().position(|s| *s == next) {
                let root = seen[pos..].iter().min().cloned().expect("non-empty");
                all.get_mut(&root).expect("known").called_by = None;
                break;
            }
            at = all[&next].called_by.clone();
            seen.push(next);
        }
    }
    let order_of = |s: &Shown| {
        let group = chart
            .groups
            .get(&s.group)
            .map(|g| g.order)
            .unwrap_or(i64::MAX);
        let own = chart
            .contacts
            .get(&s.id)
            .map(|c| c.order)
            .unwrap_or(i64::MAX);
        (group, own, s.organisation.clone(), s.id.clone())
    };
    let mut children: BTreeMap<Option<String>, Vec<&Shown>> = BTreeMap::new();
    for s in all.values() {
        children.entry(s.called_by.clone()).or_default().push(s);
    }
    for list in children.values_mut() {
        crate::order::sort_by_key(list, |s| order_of(s));
    }
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<(&Shown, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|s| (*s, 0)).collect())
        .unwrap_or_default();
    while let Some((s, depth)) = stack.pop() {
        let mut shown = s.clone();
        shown.depth = depth;
        out.push(shown);
        if let Some(kids) = children.get(&Some(s.id.clone())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

fn fill_from_vendor(shown: &mut Shown, v: &Vendor) {
    shown.organisation = v.name.clone();
    shown.name = v.contact_person.clone();
    if shown.role.is_empty() {
        shown.role = if v.systems.is_empty() {
            "保守事業者".into()
        } else {
            format!("保守事業者（{}）", v.systems)
        };
    }
    shown.phones = if v.phone.trim().is_empty() {
        Vec::new()
    } else {
        vec![Phone {
            label: "連絡先".into(),
            number: v.phone.clone(),
        }]
    };
    shown.email = v.email.clone();
    shown.hours = v.hours.clone();
}

/// A phone number as a `tel:` link: full-width digits made ASCII, separators dropped, `#` and `*` escaped
/// (`#9110`). `None` when nothing dialable is left.
pub fn tel_href(number: &str) -> Option<String> {
    let mut out = String::from("tel:");
    let mut digits = 0;
    for ch in number.chars() {
        let ch = match ch {
            '０'..='９' => char::from_u32(ch as u32 - '０' as u32 + '0' as u32).expect("digit"),
            '＋' => '+',
            '＃' => '#',
            '＊' => '*',
            c => c,
        };
        match ch {
            '0'..='9' => {
                digits += 1;
                out.push(ch);
            }
            '+' if digits == 0 => out.push('+'),
            '#' => out.push_str("%23"),
            '*' => out.push_str("%2A"),
            _ => {}
        }
    }
    (digits >= 3).then_some(out)
}

/// What checklist item 3-① can tell from the chart (a suggestion beside the item, never its answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartCheck {
    pub exists: bool,
    pub reviewed_on: Option<Date>,
    /// Vendors of the facility with no number to call.
    pub vendors_without_phone: Vec<String>,
    /// Contacts (by role) with no number at all.
    pub without_phone: Vec<String>,
    pub contacts: usize,
    /// Contacts someone entered (the facility's vendors included); the template's own placeholders, and the
    /// numbers it fills in, do not count.
    pub entered: usize,
}

impl ChartCheck {
    /// Whether nothing is missing (a chart still as the template made it is not done).
    pub fn complete(&self) -> bool {
        self.exists
            && self.entered > 0
            && self.vendors_without_phone.is_empty()
            && self.without_phone.is_empty()
    }
}

pub fn check(chart: Option<&ContactChart>, vendors: &BTreeMap<String, Vendor>) -> ChartCheck {
    let Some(chart) = chart else {
        return ChartCheck {
            exists: false,
            reviewed_on: None,
            vendors_without_phone: vendors
                .values()
                .filter(|v| tel_href(&v.phone).is_none())
                .map(|v| v.name.clone())
                .collect(),
            without_phone: Vec::new(),
            contacts: 0,
            entered: 0,
        };
    };
    let (_, template_contacts) = template(chart.meta.template);
    let entered_here = chart
        .contacts
        .values()
        .filter(|c| entered(c, &template_contacts))
        .count();
    let vendors_apart = vendors
        .values()
        .filter(|v| chart.vendor_contact(v.id).is_none())
        .count();
    let shown = resolve(chart, vendors);
    let dialable = |s: &Shown| s.phones.iter().any(|p| tel_href(&p.number).is_some());
    ChartCheck {
        exists: true,
        reviewed_on: chart.reviewed.as_ref().and_then(|r| r.on),
        vendors_without_phone: shown
            .iter()
            .filter(|s| s.vendor.is_some() && !dialable(s))
            .map(|s| s.organisation.clone())
            .collect(),
        without_phone: shown
            .iter()
            .filter(|s| s.vendor.is_none() && !dialable(s))
            .map(|s| s.role.clone())
            .collect(),
        contacts: shown.len(),
        entered: entered_here + vendors_apart,
    }
}

#[cfg(test)]
mod tests;
