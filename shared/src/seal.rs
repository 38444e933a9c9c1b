//! 年次確認の確定 (the sealed annual check): a checklist's answers and heads in one documented byte form,
//! signed by the server, so an inspector can tell the answers were not changed after the year's check was
//! closed — and a device can say which items changed since.
//!
//! The canonical text, version 1: UTF-8, each line ended by LF, nothing else, in this order:
//!
//! ```text
//! mamori-seal 1
//! facility <facility id>
//! checklist <document id>
//! form <medical|pharmacy|vendor> <edition id> <fiscal year (April start year)>
//! item <item id, ASCII: 2-⑬ as 2-13> <yes|no|not_required|not_applicable|-> <確認日 YYYY-MM-DD|-> <目標日 YYYY-MM-DD|->
//!   … one line per item of the edition's form, in the form's order ("-": not answered / no date)
//! head <document head, hex>
//!   … one line per head, sorted
//! sealed <Unix milliseconds>
//! ```
//!
//! The signature (Ed25519, by the server's key) is over these bytes. Printed in the binder, the text sits
//! between `-----BEGIN MAMORI SEAL-----` and `-----END MAMORI SEAL-----` with the key's id and the
//! signature as hex on lines of their own, short enough that `pdftotext` gives every line back whole.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::answer::Choice;
use crate::edition::Edition;
use crate::model::{DocumentId, FacilityId, ItemId};
use crate::schema::checklist::{ChecklistMeta, ItemAnswers};

pub const VERSION_LINE: &str = "mamori-seal 1";
pub const BEGIN: &str = "-----BEGIN MAMORI SEAL-----";
pub const END: &str = "-----END MAMORI SEAL-----";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    #[error("no sealed block (-----BEGIN MAMORI SEAL----- … -----END MAMORI SEAL-----) found")]
    NoBlock,
    #[error("the sealed block has no {0} line")]
    Missing(&'static str),
    #[error("the signature is not 64 bytes of hex")]
    BadSignature,
    #[error("the text is not a version 1 seal")]
    Version,
}

fn choice(c: Choice) -> &'static str {
    match c {
        Choice::Yes => "yes",
        Choice::No => "no",
        Choice::NotRequired => "not_required",
        Choice::NotApplicable => "not_applicable",
    }
}

fn item_line(id: &ItemId, answer: Option<&ItemAnswers>) -> String {
    let id = id.in_digits();
    let date = |d: Option<crate::calendar::Date>| d.map_or("-".to_string(), |d| d.iso());
    match answer.map(|a| &a.current) {
        Some(a) => format!(
            "item {id} {} {} {}",
            choice(a.choice),
            date(a.checked_on),
            date(a.target_on)
        ),
        None => format!("item {id} - - -"),
    }
}

/// What a seal covers.
#[derive(Debug, Clone, Copy)]
pub struct Sealing<'a> {
    pub facility: FacilityId,
    pub checklist: DocumentId,
    pub meta: &'a ChecklistMeta,
    pub edition: &'a Edition,
    pub answers: &'a BTreeMap<ItemId, ItemAnswers>,
    /// The document's heads, as hex.
    pub heads: &'a [String],
    pub sealed_at_ms: i64,
}

/// The canonical text of a seal (see the module's documentation for the form).
pub fn canonical(s: &Sealing<'_>) -> String {
    let mut out = format!(
        "{VERSION_LINE}\nfacility {}\nchecklist {}\nform {} {} {}\n",
        s.facility,
        s.checklist,
        s.meta.form.as_str(),
        s.edition.id(),
        s.meta.fiscal_year.0
    );
    for item in s.edition.form_items(s.meta.form) {
        out.push_str(&item_line(&item.id, s.answers.get(&item.id)));
        out.push('\n');
    }
    let mut heads = s.heads.to_vec();
    crate::order::sort(&mut heads);
    for h in heads {
        out.push_str(&format!("head {h}\n"));
    }
    out.push_str(&format!("sealed {}\n", s.sealed_at_ms));
    out
}

/// The items whose answer (choice or dates) differs now from what the seal's text says: 「確定後の変更」.
pub fn changed_since(
    text: &str,
    edition: &Edition,
    meta: &ChecklistMeta,
    answers: &BTreeMap<ItemId, ItemAnswers>,
) -> Vec<ItemId> {
    edition
        .form_items(meta.form)
        .into_iter()
        .filter(|item| item_changed(text, &item.id, answers.get(&item.id)))
        .map(|item| item.id.clone())
        .collect()
}

/// Whether one item's answer differs now from its line in the seal's text (an item the text lacks, of a
/// newer edition, has changed).
pub fn item_changed(text: &str, id: &ItemId, answer: Option<&ItemAnswers>) -> bool {
    let now = item_line(id, answer);
    !text.lines().any(|l| l == now)
}

/// The block printed in the binder: the text, the key's id and the signature as two lines of hex.
pub fn printed(text: &str, key_id: &str, signature: &[u8]) -> String {
    let hex = hex::encode(signature);
    let (a, b) = hex.split_at(hex.len() / 2);
    format!("{BEGIN}\n{text}key {key_id}\nsig {a}\nsig {b}\n{END}\n")
}

/// A printed block read back (from `pdftotext`, say): the canonical text, the key's id and the signature.
/// Blank lines and surrounding spaces, which a PDF's text may add, are dropped.
pub fn read_printed(s: &str) -> Result<(String, String, Vec<u8>), SealError> {
    // A line ending in "-" may come back joined to the next one, its last dash dropped (pdftotext joins
    // what it takes for a hyphenated word): find the words, then skip the dashes after them.
    let words = |marker: &str| marker.trim_matches('-').to_string();
    let start = s.find(&words(BEGIN)).ok_or(SealError::NoBlock)? + words(BEGIN).len();
    let start = start + s[start..].len() - s[start..].trim_start_matches('-').len();
    let end = s[start..].find(&words(END)).ok_or(SealError::NoBlock)? + start;
    let end = s[..end].trim_end_matches('-').len();
    let lines: Vec<&str> = s[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.first() != Some(&VERSION_LINE) {
        return Err(SealError::Version);
    }
    let mut text = String::new();
    let mut key = None;
    let mut sig = String::new();
    for l in lines {
        if let Some(k) = l.strip_prefix("key ") {
            key = Some(k.to_string());
        } else if let Some(h) = l.strip_prefix("sig ") {
            sig.push_str(h);
        } else {
            text.push_str(l);
            text.push('\n');
        }
    }
    let key = key.ok_or(SealError::Missing("key"))?;
    let signature = hex::decode(&sig)
        .ok()
        .filter(|s| s.len() == 64)
        .ok_or(SealError::BadSignature)?;
    Ok((text, key, signature))
}

/// A seal as a checklist keeps it: the printed block, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// The canonical text that was signed.
    pub text: String,
    pub key_id: String,
    pub signature: Vec<u8>,
}

impl Seal {
    /// A printed block (what the checklist keeps and the binder prints) read.
    pub fn read(printed: &str) -> Result<Seal, SealError> {
        let (text, key_id, signature) = read_printed(printed)?;
        Ok(Seal {
            text,
            key_id,
            signature,
        })
    }

    /// The value after `name ` on the text's first line of that name.
    fn field(&self, name: &str) -> Option<&str> {
        self.text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
    }

    /// The checklist the seal was made for.
    pub fn checklist(&self) -> Option<&str> {
        self.field("checklist")
    }

    pub fn facility(&self) -> Option<&str> {
        self.field("facility")
    }

    /// When the server sealed the check (Unix milliseconds).
    pub fn sealed_at_ms(&self) -> Option<i64> {
        self.field("sealed")?.parse().ok()
    }

    /// The document heads the seal covers (hex).
    pub fn heads(&self) -> impl Iterator<Item = &str> {
        self.text.lines().filter_map(|l| l.strip_prefix("head "))
    }

    /// The block printed again (what a device writes into the checklist).
    pub fn printed(&self) -> String {
        printed(&self.text, &self.key_id, &self.signature)
    }
}

/// Checks a seal's signature. Only the server holds the key, so only the server implements this; its sync
/// step asks it about every seal a peer's changes write into a checklist, so that no device can put a seal
/// the server did not make (or one made for another checklist) where other devices and the binder show it.
pub trait Verifier: Sync {
    /// Whether `signature` over `text` was made with the key named `key_id`.
    fn verifies(&self, key_id: &str, text: &str, signature: &[u8]) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{Answer, Entry};
    use crate::calendar::Date;
    use crate::edition::{FormKind, edition};

    fn setup() -> (ChecklistMeta, BTreeMap<ItemId, ItemAnswers>) {
        let meta = ChecklistMeta::sample(FormKind::Pharmacy);
        let mut answers = BTreeMap::new();
        let mut no = Answer::new(
            Choice::No,
            Date::parse_iso("2026-06-01").unwrap(),
            Entry::default(),
        );
        no.target_on = Some(Date::parse_iso("2027-03-31").unwrap());
        answers.insert(
            ItemId::new("1-①"),
            ItemAnswers {
                current: no,
                conflicts: Vec::new(),
                author: None,
            },
        );
        (meta, answers)
    }

    #[test]
    fn the_canonical_text_is_stable_and_reads_back_from_print() {
        let (meta, answers) = setup();
        let ed = edition("r7").unwrap();
        let heads = vec!["bb".repeat(32), "aa".repeat(32)];
        let sealing = Sealing {
            facility: meta.facility_id,
            checklist: DocumentId::generate(),
            meta: &meta,
            edition: ed,
            answers: &answers,
            heads: &heads,
            sealed_at_ms: 1_800_000_000_000,
        };
        let text = canonical(&sealing);
        assert!(text.starts_with("mamori-seal 1\nfacility "));
        assert!(text.contains(
            "\nform pharmacy r7 2026\nitem 1-1 no 2026-06-01 2027-03-31\nitem 2-1 - - -\n"
        ));
        assert!(text.ends_with(&format!(
            "head {}\nhead {}\nsealed 1800000000000\n",
            "aa".repeat(32),
            "bb".repeat(32)
        )));
        assert_eq!(
            text,
            canonical(&sealing),
            "the same answers give the same bytes"
        );
        // Printed, then read back as pdftotext gives it (indents, blank lines, text around it).
        let sig: Vec<u8> = (0..64).collect();
        let page = printed(&text, "k1", &sig)
            .lines()
            .map(|l| format!("  {l}  \n\n"))
            .collect::<String>();
        let (back, key, signature) =
            read_printed(&format!("立入検査用資料\n{page}3 / 9\n")).unwrap();
        assert_eq!(
            (back.as_str(), key.as_str(), signature),
            (text.as_str(), "k1", sig)
        );
    }

    #[test]
    fn items_changed_after_sealing_are_named() {
        let (meta, mut answers) = setup();
        let ed = edition("r7").unwrap();
        let text = canonical(&Sealing {
            facility: meta.facility_id,
            checklist: DocumentId::generate(),
            meta: &meta,
            edition: ed,
            answers: &answers,
            heads: &[],
            sealed_at_ms: 5,
        });
        assert_eq!(
            changed_since(&text, ed, &meta, &answers),
            Vec::<ItemId>::new()
        );
        answers.get_mut(&ItemId::new("1-①")).unwrap().current.choice = Choice::Yes;
        answers.insert(
            ItemId::new("2-①"),
            ItemAnswers {
                current: Answer::new(
                    Choice::Yes,
                    Date::parse_iso("2026-07-01").unwrap(),
                    Entry::default(),
                ),
                conflicts: Vec::new(),
                author: None,
            },
        );
        assert_eq!(
            changed_since(&text, ed, &meta, &answers),
            vec![ItemId::new("1-①"), ItemId::new("2-①")]
        );
    }

    #[test]
    fn a_block_without_its_parts_is_refused_plainly() {
        assert_eq!(read_printed("nothing here"), Err(SealError::NoBlock));
        let text = format!("{BEGIN}\nmamori-seal 1\nsealed 5\nsig 00\n{END}");
        assert_eq!(read_printed(&text), Err(SealError::Missing("key")));
        let text = format!("{BEGIN}\nmamori-seal 1\nkey k\nsig zz\n{END}");
        assert_eq!(read_printed(&text), Err(SealError::BadSignature));
    }
}
