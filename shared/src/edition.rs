//! Official checklist editions as data.
//!
//! The MHLW revises the checklist every fiscal year (令和5, 6, 7年度版 differ), so an edition is a JSON file
//! under `shared/editions/`, not code: `build.rs` embeds every file found there, and adding the next
//! edition is adding a file. Each file holds the items once, with per-form overrides where the vendor form
//! (事業者確認用) words an item from the vendor's side; [`Edition::form`] resolves one form's view.
//!
//! Wording that no source confirms (most of the vendor form: the manual quotes only parts of it)
//! carries `confirmed: false` so the UI and the print view can say so.

mod data;

use std::sync::{OnceLock, RwLock};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::EditionError;
use crate::model::ItemId;

pub use data::{EditionData, FormOverride, GlossaryEntry, ItemData, SectionData};

/// Which official form a checklist is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// 医療機関確認用: hospitals and clinics.
    #[autosurgeon(rename = "medical")]
    Medical,
    /// 薬局確認用: pharmacies.
    #[autosurgeon(rename = "pharmacy")]
    Pharmacy,
    /// 事業者確認用: filled in by (or for) one IT vendor.
    #[autosurgeon(rename = "vendor")]
    Vendor,
}

impl FormKind {
    pub const ALL: [FormKind; 3] = [FormKind::Medical, FormKind::Pharmacy, FormKind::Vendor];

    /// The stable string used in documents and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::Medical => "medical",
            FormKind::Pharmacy => "pharmacy",
            FormKind::Vendor => "vendor",
        }
    }

    pub fn parse(s: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The official name printed on the form.
    pub fn title_ja(self) -> &'static str {
        match self {
            FormKind::Medical => "医療機関確認用",
            FormKind::Pharmacy => "薬局確認用",
            FormKind::Vendor => "事業者確認用",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            FormKind::Medical => "Medical institution form",
            FormKind::Pharmacy => "Pharmacy form",
            FormKind::Vendor => "Vendor form",
        }
    }

    /// Institution forms carry sections 3 and 4 and the 記入不要 rule for 2-② / 2-③.
    pub fn is_institution(self) -> bool {
        !matches!(self, FormKind::Vendor)
    }
}

/// The scope label an item prints in parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 医療情報システム全般 (servers, terminal PCs and network devices).
    General,
    /// サーバ
    Server,
    /// 端末PC
    Terminal,
    /// ネットワーク機器
    Network,
}

impl Scope {
    pub fn label_ja(self) -> &'static str {
        match self {
            Scope::General => "医療情報システム全般",
            Scope::Server => "サーバ",
            Scope::Terminal => "端末PC",
            Scope::Network => "ネットワーク機器",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Scope::General => "all medical information systems",
            Scope::Server => "servers",
            Scope::Terminal => "terminal PCs",
            Scope::Network => "network devices",
        }
    }
}

/// One edition (版) of the checklist: its three forms share the item catalogue.
#[derive(Debug, Clone)]
pub struct Edition {
    data: EditionData,
}

/// One item as one form prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct FormItem<'a> {
    pub id: ItemId,
    pub section: u8,
    /// The wording as this form prints it (the vendor's side on 事業者確認用 where it differs).
    pub text: &'a str,
    /// The ※ note printed under the item, if any.
    pub note: Option<&'a str>,
    /// An unofficial English rendering, for the English UI only; never printed.
    pub text_en: &'a str,
    pub scopes: &'a [Scope],
    /// Guideline references (▶経営管理編 3.1.2② …).
    pub references: &'a [String],
    /// Glossary terms (用語の解説) that belong to this item.
    pub glossary: Vec<&'a GlossaryEntry>,
    /// A short guide in plain language, written by Mamori (not official text).
    pub guide_ja: &'a str,
    pub guide_en: &'a str,
    /// False where no source confirms this form's wording.
    pub confirmed: bool,
    /// 記入不要 may be chosen on institution forms when the institution has no vendor contract.
    pub not_required_without_vendor: bool,
    /// What an inspector asks to see for this item (機器台帳, 連絡体制図 …), if anything.
    pub evidence: Option<&'a str>,
    pub evidence_en: Option<&'a str>,
}

/// One section of one form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSection<'a> {
    pub number: u8,
    pub title_ja: &'a str,
    pub title_en: &'a str,
    pub items: Vec<FormItem<'a>>,
}

impl Edition {
    /// Parses and validates an edition file.
    pub fn from_json(json: &str) -> Result<Edition, EditionError> {
        let data: EditionData =
            serde_json::from_str(json).map_err(|e| EditionError::Parse(e.to_string()))?;
        data.validate()?;
        Ok(Edition { data })
    }

    /// An edition from its data (as fetched from a server), validated as a file is.
    pub fn from_data(data: EditionData) -> Result<Edition, EditionError> {
        data.validate()?;
        Ok(Edition { data })
    }

    pub fn id(&self) -> &str {
        &self.data.id
    }

    pub fn title_ja(&self) -> &str {
        &self.data.title_ja
    }

    pub fn title_en(&self) -> &str {
        &self.data.title_en
    }

    /// The edition's name as the official forms print it (令和7年度版): the title without the month the
    /// manual was published in.
    pub fn name_ja(&self) -> &str {
        let title = self.title_ja();
        title.split('（').next().unwrap_or(title).trim()
    }

    /// The first fiscal year (April start year) this edition is meant for.
    pub fn fiscal_year(&self) -> i32 {
        self.data.fiscal_year
    }

    pub fn data(&self) -> &EditionData {
        &self.data
    }

    /// The sections and items of one form, in official order.
    pub fn form(&self, kind: FormKind) -> Vec<FormSection<'_>> {
        self.data
            .sections
            .iter()
            .filter(|s| s.forms.contains(&kind))
            .map(|s| FormSection {
                number: s.number,
                title_ja: &s.title_ja,
                title_en: &s.title_en,
                items: self
                    .data
                    .items
                    .iter()
                    .filter(|i| i.section == s.number)
                    .map(|i| self.resolve(i, kind))
                    .collect(),
            })
            .collect()
    }

    /// All items of one form in order, without the section grouping.
    pub fn form_items(&self, kind: FormKind) -> Vec<FormItem<'_>> {
        self.form(kind).into_iter().flat_map(|s| s.items).collect()
    }

    /// One item of one form, if the form has it.
    pub fn item(&self, kind: FormKind, id: &ItemId) -> Option<FormItem<'_>> {
        let item = self.data.items.iter().find(|i| &i.id == id)?;
        let section = self
            .data
            .sections
            .iter()
            .find(|s| s.number == item.section)?;
        section
            .forms
            .contains(&kind)
            .then(|| self.resolve(item, kind))
    }

    fn resolve<'a>(&'a self, item: &'a ItemData, kind: FormKind) -> FormItem<'a> {
        let o = item.forms.get(&kind);
        FormItem {
            id: item.id.clone(),
            section: item.section,
            text: o.and_then(|o| o.text.as_deref()).unwrap_or(&item.text),
            note: o.and_then(|o| o.note.as_deref()).or(item.note.as_deref()),
            text_en: o
                .and_then(|o| o.text_en.as_deref())
                .unwrap_or(&item.text_en),
            scopes: &item.scopes,
            references: &item.references,
            glossary: item
                .glossary
                .iter()
                .filter_map(|t| self.data.glossary.iter().find(|g| &g.term == t))
                .collect(),
            guide_ja: o
                .and_then(|o| o.guide_ja.as_deref())
                .unwrap_or(&item.guide_ja),
            guide_en: o
                .and_then(|o| o.guide_en.as_deref())
                .unwrap_or(&item.guide_en),
            confirmed: o.map(|o| o.confirmed).unwrap_or(item.confirmed),
            not_required_without_vendor: kind.is_institution() && item.not_required_without_vendor,
            evidence: item.evidence.as_deref(),
            evidence_en: item.evidence_en.as_deref().or(item.evidence.as_deref()),
        }
    }
}

mod embedded {
    // `EDITION_FILES: &[(&str, &str)]`: (file name, contents) of every file in shared/editions/.
    include!(concat!(env!("OUT_DIR"), "/editions.rs"));
}

/// Every embedded edition, oldest first. Parsed once; a broken file fails the unit tests, not the user.
pub fn editions() -> &'static [Edition] {
    static EDITIONS: OnceLock<Vec<Edition>> = OnceLock::new();
    EDITIONS.get_or_init(|| {
        let mut all: Vec<Edition> = embedded::EDITION_FILES
            .iter()
            .filter_map(|(name, json)| match Edition::from_json(json) {
                Ok(e) => Some(e),
                Err(err) => {
                    // Unreachable in a tested build: `every_embedded_edition_parses` covers it.
                    debug_assert!(false, "edition {name}: {err}");
                    None
                }
            })
            .collect();
        crate::order::sort_by_key(&mut all, |e| e.fiscal_year());
        all
    })
}

/// Editions loaded while running, beside the embedded ones: from the server's folder, or fetched from the
/// server and cached by a device. Each is leaked once (a few hundred KB in a process's life) so that it
/// reads as `&'static` like an embedded one; one loaded again with other content replaces it.
static LOADED: RwLock<Vec<&'static Edition>> = RwLock::new(Vec::new());

/// Makes a loaded edition known to [`edition`] and [`edition_for_fiscal_year`]. An embedded edition's id
/// cannot be taken over (a file that claims `r7` is refused: the embedded one is the official transcription).
pub fn register(ed: Edition) -> Result<&'static Edition, EditionError> {
    if editions().iter().any(|e| e.id() == ed.id()) {
        return Err(EditionError::Invalid {
            edition: ed.id().to_string(),
            msg: "an embedded edition has this id".into(),
        });
    }
    let mut loaded = LOADED.write().unwrap_or_else(|e| e.into_inner());
    if let Some(same) = loaded
        .iter()
        .find(|e| e.id() == ed.id() && e.data == ed.data)
    {
        return Ok(same);
    }
    let leaked: &'static Edition = Box::leak(Box::new(ed));
    loaded.retain(|e| e.id() != leaked.id());
    loaded.push(leaked);
    Ok(leaked)
}

/// Every edition known here, embedded and loaded, oldest first.
pub fn known_editions() -> Vec<&'static Edition> {
    let mut all: Vec<&'static Edition> = editions().iter().collect();
    all.extend(LOADED.read().unwrap_or_else(|e| e.into_inner()).iter());
    // The same order on every device and the server, whatever order they were loaded in.
    crate::order::sort_by(&mut all, |a, b| {
        (a.fiscal_year(), a.id()).cmp(&(b.fiscal_year(), b.id()))
    });
    all
}

/// The edition with this id (`"r7"` …), embedded or loaded.
pub fn edition(id: &str) -> Option<&'static Edition> {
    editions().iter().find(|e| e.id() == id).or_else(|| {
        LOADED
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|e| e.id() == id)
            .copied()
    })
}

/// The newest edition known here that a checklist of `form` for `fiscal_year`, now in `current`, can move
/// to: published for a later year than `current`, not after the checklist's year, and carrying that form.
pub fn newer_for(current: &Edition, fiscal_year: i32, form: FormKind) -> Option<&'static Edition> {
    known_editions().into_iter().rfind(|e| {
        e.fiscal_year() > current.fiscal_year()
            && e.fiscal_year() <= fiscal_year
            && !e.form(form).is_empty()
    })
}

/// The newest edition known here whose fiscal year is not after `fiscal_year`, or the oldest one.
pub fn edition_for_fiscal_year(fiscal_year: i32) -> &'static Edition {
    let all = known_editions();
    all.iter()
        .rev()
        .find(|e| e.fiscal_year() <= fiscal_year)
        .or_else(|| all.first())
        .copied()
        .expect("at least one edition is embedded")
}

#[cfg(test)]
mod tests;

/// A guideline reference in English: the volume of the 医療情報システムの安全管理に関するガイドライン named
/// in English, the section as printed (「経営管理編 3.1.2②」 → "Management 3.1.2②").
pub fn reference_en(reference: &str) -> String {
    const VOLUMES: [(&str, &str); 4] = [
        ("概説編", "Overview"),
        ("経営管理編", "Management"),
        ("企画管理編", "Planning and control"),
        ("システム運用編", "System operation"),
    ];
    for (ja, en) in VOLUMES {
        if let Some(rest) = reference.strip_prefix(ja) {
            return format!("{en}{rest}");
        }
    }
    reference.to_string()
}
