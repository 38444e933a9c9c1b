//! Handing back: which changes in a departed device's copy of a document the server does not have, and
//! what they touch (for the 管理者 who decides on them). Pure: the caller brings both documents.

use automerge::{AutoCommit, Change};
use mamori_shared::api::HandBackSummary;
use mamori_shared::schema::checklist;

/// The changes the server lacks, in the device's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub changes: Vec<Change>,
}

impl Unknown {
    pub fn count(&self) -> usize {
        self.changes.len()
    }

    /// The changes as concatenated (compressed) change chunks, as the quarantine stores them.
    pub fn chunks(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for change in &self.changes {
            out.extend_from_slice(change.clone().bytes().as_ref());
        }
        out
    }
}

/// Changes of the device's (`device`, read by the bounded reader) that `server` (the server's copy, `None`
/// when it has none) does not have.
pub fn unknown_changes(server: Option<&mut AutoCommit>, device: Vec<Change>) -> Unknown {
    let mut server = server;
    let mut seen = std::collections::HashSet::new();
    let changes = device
        .into_iter()
        .filter(|change| {
            let known = server
                .as_deref_mut()
                .is_some_and(|s| s.get_change_by_hash(&change.hash()).is_some());
            !known && seen.insert(change.hash())
        })
        .collect();
    Unknown { changes }
}

/// What merging `unknown` into the server's copy would change, for people: the document's kind and, for a
/// checklist, its form and year and the items whose current answer would differ.
pub fn summary(server: Option<&AutoCommit>, unknown: &Unknown) -> HandBackSummary {
    let mut merged = match server {
        Some(s) => s.clone(),
        None => AutoCommit::new(),
    };
    if merged.apply_changes(unknown.changes.clone()).is_err() {
        return HandBackSummary::Unreadable;
    }
    let Ok(meta) = checklist::meta(&merged) else {
        return HandBackSummary::Other;
    };
    let before = server
        .and_then(|s| checklist::answers(s).ok())
        .unwrap_or_default();
    let after = checklist::answers(&merged).unwrap_or_default();
    let mut items: Vec<_> = after
        .iter()
        .filter(|(id, a)| before.get(*id).map(|b| &b.current) != Some(&a.current))
        .map(|(id, _)| id.clone())
        .collect();
    items.extend(before.keys().filter(|id| !after.contains_key(*id)).cloned());
    items.sort_unstable();
    HandBackSummary::Checklist {
        form: meta.form,
        fiscal_year: meta.fiscal_year,
        vendor_name: meta.vendor_name,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    fn changes(doc: &mut AutoCommit) -> Vec<Change> {
        doc.get_changes(&[])
    }

    #[test]
    fn only_changes_the_server_lacks_are_kept_and_they_merge_back() {
        let mut server = AutoCommit::new();
        server.put(ROOT, "a", 1).unwrap();
        let mut device = server.fork();
        device.put(ROOT, "b", 2).unwrap();
        device.commit();
        device.put(ROOT, "c", 3).unwrap();
        server.put(ROOT, "d", 4).unwrap();

        let unknown = unknown_changes(Some(&mut server), changes(&mut device));
        assert_eq!(unknown.count(), 2);
        let mut merged = server.clone();
        merged.load_incremental(&unknown.chunks()).unwrap();
        for key in ["a", "b", "c", "d"] {
            assert!(merged.get(ROOT, key).unwrap().is_some(), "{key}");
        }

        let none = unknown_changes(Some(&mut merged), changes(&mut device));
        assert_eq!(none.count(), 0);
        assert!(none.chunks().is_empty());
    }

    #[test]
    fn a_change_listed_twice_is_kept_once() {
        let mut device = AutoCommit::new();
        device.put(ROOT, "x", "y").unwrap();
        let twice = [changes(&mut device), changes(&mut device)].concat();
        assert_eq!(unknown_changes(None, twice).count(), 1);
    }

    #[test]
    fn a_document_the_server_never_had_is_handed_back_whole() {
        let mut device = AutoCommit::new();
        device.put(ROOT, "x", "y").unwrap();
        let unknown = unknown_changes(None, changes(&mut device));
        assert_eq!(unknown.count(), 1);
        assert_eq!(summary(None, &unknown), HandBackSummary::Other);
    }
}
