//! The on-disk shape of an edition file (`shared/editions/*.json`) and its validation.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{FormKind, Scope};
use crate::error::EditionError;
use crate::model::ItemId;

/// One edition file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionData {
    /// Stable id used in documents (`"r7"`).
    pub id: String,
    /// 令和7年度版 (令和7年5月)
    pub title_ja: String,
    pub title_en: String,
    /// The fiscal year (April start year) the edition is first used for.
    pub fiscal_year: i32,
    /// Where the wording comes from, for people reading the file.
    pub source: String,
    /// The SHA-256 (hex) of the official file (the MHLW PDF or Excel form) this file was transcribed from,
    /// so anyone can tell which publication it follows. Required of an edition loaded from the server's
    /// folder; the embedded 令和7年度版 was transcribed from the manual's text, not a form file, and has none.
    #[serde(default)]
    pub official_sha256: Option<String>,
    pub sections: Vec<SectionData>,
    pub items: Vec<ItemData>,
    #[serde(default)]
    pub glossary: Vec<GlossaryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionData {
    pub number: u8,
    pub title_ja: String,
    pub title_en: String,
    /// The forms that carry this section (sections 3 and 4 are institution-only).
    pub forms: Vec<FormKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemData {
    /// Official id, e.g. `2-⑥`.
    pub id: ItemId,
    pub section: u8,
    /// The item heading as the manual's body prints it, without the scope label.
    pub text: String,
    /// The ※ note printed with the item.
    #[serde(default)]
    pub note: Option<String>,
    pub text_en: String,
    /// Scope label(s); empty where the form prints none.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// Guideline references, e.g. `経営管理編 3.1.2②`.
    #[serde(default)]
    pub references: Vec<String>,
    /// Glossary terms (keys into [`EditionData::glossary`]).
    #[serde(default)]
    pub glossary: Vec<String>,
    pub guide_ja: String,
    pub guide_en: String,
    /// Whether a source confirms this wording on the institution forms.
    pub confirmed: bool,
    #[serde(default)]
    pub not_required_without_vendor: bool,
    /// What the inspector asks to see, if anything.
    #[serde(default)]
    pub evidence: Option<String>,
    /// The same in English (Mamori's translation).
    #[serde(default)]
    pub evidence_en: Option<String>,
    /// Ids this item had in the previous edition, when it was renumbered (for carrying answers forward).
    #[serde(default)]
    pub replaces: Vec<ItemId>,
    /// Per-form wording where a form differs (the vendor's side on 事業者確認用).
    #[serde(default)]
    pub forms: BTreeMap<FormKind, FormOverride>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormOverride {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub text_en: Option<String>,
    #[serde(default)]
    pub guide_ja: Option<String>,
    #[serde(default)]
    pub guide_en: Option<String>,
    /// Whether a source confirms this form's wording.
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlossaryEntry {
    pub term: String,
    /// The manual's own explanation (用語の解説).
    pub definition_ja: String,
    pub definition_en: String,
}

impl EditionData {
    /// Checks what a typo in a data file would break: unique ids, known sections and glossary terms,
    /// no empty wording.
    pub fn validate(&self) -> Result<(), EditionError> {
        let bad = |msg: String| {
            Err(EditionError::Invalid {
                edition: self.id.clone(),
                msg,
            })
        };
        if self.id.is_empty() || self.sections.is_empty() || self.items.is_empty() {
            return bad("an edition needs an id, sections and items".into());
        }
        if let Some(h) = &self.official_sha256
            && (h.len() != 64
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        {
            return bad("official_sha256 is not 64 lowercase hex digits".into());
        }
        if !self
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || self.id.len() > 32
        {
            return bad("the id is not 1 to 32 of a-z, 0-9 and -".into());
        }
        let sections: BTreeSet<u8> = self.sections.iter().map(|s| s.number).collect();
        if sections.len() != self.sections.len() {
            return bad("duplicate section number".into());
        }
        let terms: BTreeSet<&str> = self.glossary.iter().map(|g| g.term.as_str()).collect();
        let mut ids = BTreeSet::new();
        let mut digits = BTreeSet::new();
        for item in &self.items {
            if !ids.insert(&item.id) {
                return bad(format!("duplicate item id {}", item.id));
            }
            // A seal prints ids with circled numbers as digits (2-⑬ as 2-13): they must stay apart.
            if !digits.insert(item.id.in_digits()) {
                return bad(format!(
                    "item {} reads as another item's id in digits",
                    item.id
                ));
            }
            if item.id.section() != Some(item.section) {
                return bad(format!(
                    "item {} is filed under section {}",
                    item.id, item.section
                ));
            }
            if !sections.contains(&item.section) {
                return bad(format!(
                    "item {} names unknown section {}",
                    item.id, item.section
                ));
            }
            if item.text.trim().is_empty()
                || item.guide_ja.trim().is_empty()
                || item.text_en.trim().is_empty()
            {
                return bad(format!("item {} has empty wording or guide", item.id));
            }
            if let Some(t) = item.glossary.iter().find(|t| !terms.contains(t.as_str())) {
                return bad(format!("item {} names unknown glossary term {t}", item.id));
            }
        }
        Ok(())
    }
}
