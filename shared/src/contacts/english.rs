//! The templates' own words in English. A template's group names, roles and phone labels are labels until
//! someone changes them, so the English UI shows them in English; whatever a person typed is shown as typed
//! (a text is translated only when it is exactly the template's).

use super::{MHLW_OFFICE, Shown};

/// Every text a template writes into a chart, with its English.
const WORDS: &[(&str, &str)] = &[
    // Groups.
    ("施設内", "On site"),
    ("事業者", "Vendors"),
    ("情報セキュリティ事業者", "Security vendors"),
    ("外部有識者", "Outside experts"),
    ("都道府県警察", "Prefectural police"),
    ("厚生労働省・所管省庁", "MHLW and supervising offices"),
    ("その他", "Others"),
    // Roles, institutions.
    ("システム運用担当者", "System operator"),
    (
        "医療情報システム安全管理責任者",
        "Medical information system security manager",
    ),
    ("経営層（院長・理事長）", "Management (director, chair)"),
    ("企画管理者", "Security planner"),
    ("各部署の責任者", "Heads of departments"),
    ("インシデント対応支援", "Incident response support"),
    ("外部有識者・CSIRT", "Outside experts, CSIRT"),
    ("サイバー犯罪相談窓口", "Cybercrime desk"),
    (
        "サイバー攻撃を受けた疑いの報告",
        "Report a suspected attack",
    ),
    (
        "所管（都道府県 医務主管課・保健所）",
        "Supervising office (prefecture's medical affairs division, health centre)",
    ),
    // Roles, pharmacies.
    ("管理薬剤師", "Supervising pharmacist"),
    ("開設者（経営者）", "Owner"),
    ("薬剤師・事務スタッフ", "Pharmacists and office staff"),
    (
        "所管（都道府県 薬務主管課・保健所）",
        "Supervising office (prefecture's pharmaceutical affairs division, health centre)",
    ),
    ("地域の薬剤師会", "Local pharmacists' association"),
    // Organisations, phone labels, notes.
    (
        MHLW_OFFICE,
        "MHLW, Health Policy Bureau, medical information office",
    ),
    ("警察相談専用電話", "Police consultation line"),
    ("代表", "Main"),
    ("連絡先", "Phone"),
    ("保守事業者", "Maintenance vendor"),
    (
        "チェックリストマニュアル記載の連絡先",
        "The number given in the checklist manual",
    ),
];

/// The English of a template's text, if `text` is exactly one.
pub fn template_word(text: &str) -> Option<&'static str> {
    WORDS.iter().find(|(ja, _)| *ja == text).map(|(_, en)| *en)
}

/// `text` in English when it is a template's, else as it is.
pub fn word(text: &str) -> String {
    if let Some(en) = template_word(text) {
        return en.to_string();
    }
    // A vendor without a role of its own: 保守事業者（電子カルテ） names its systems as typed.
    if let Some(systems) = text
        .strip_prefix("保守事業者（")
        .and_then(|r| r.strip_suffix('）'))
    {
        return format!("Maintenance vendor ({systems})");
    }
    text.to_string()
}

impl Shown {
    /// This contact with the template's words in English, what people typed unchanged.
    pub fn in_english(mut self) -> Shown {
        self.group_name = word(&self.group_name);
        self.role = word(&self.role);
        self.organisation = word(&self.organisation);
        for p in &mut self.phones {
            p.label = word(&p.label);
        }
        self.notes = word(&self.notes);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Template, template};

    #[test]
    fn every_template_text_has_its_english() {
        for t in [Template::Medical, Template::Pharmacy] {
            let (groups, contacts) = template(t);
            for g in groups {
                assert!(template_word(&g.name).is_some(), "group {}", g.name);
            }
            for c in contacts {
                for text in [&c.role, &c.organisation] {
                    assert!(text.is_empty() || template_word(text).is_some(), "{text}");
                }
                for p in &c.phones {
                    assert!(template_word(&p.label).is_some(), "{}", p.label);
                }
            }
        }
    }

    #[test]
    fn what_people_typed_stays_as_typed() {
        assert_eq!(word("薬局長 山田"), "薬局長 山田");
        assert_eq!(word("施設内 "), "施設内 ");
        assert_eq!(
            word("保守事業者（レセコン）"),
            "Maintenance vendor (レセコン)"
        );
    }
}
