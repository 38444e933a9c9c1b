//! Handing back: which changes in a departed device's copy of a document the server does not have, and
//! what they touch (for the 管理者 who decides on them). Pure: the caller brings both documents.

use automerge::AutoCommit;
use mamori_shared::schema::checklist;
use serde_json::{Value, json};

/// The changes the server lacks, as concatenated change chunks (loadable with `load_incremental`).
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub chunks: Vec<u8>,
    pub count: usize,
}

/// Changes in `device` that `server` (the server's copy, `None` when it has none) does not have.
pub fn unknown_changes(server: Option<&mut AutoCommit>, device: &mut AutoCommit) -> Unknown {
    let mut chunks = Vec::new();
    let mut count = 0;
    let mut server = server;
    for mut change in device.get_changes(&[]) {
        let known = match server.as_deref_mut() {
            Some(s) => s.get_change_by_hash(&change.hash()).is_some(),
            None => false,
        };
        if !known {
            chunks.extend_from_slice(change.bytes().as_ref());
            count += 1;
        }
    }
    Unknown { chunks, count }
}

/// What merging `unknown` into the server's copy would change, for people: the document's kind and, for a
/// checklist, its form and year and the items whose current answer would differ.
pub fn summary(server: Option<&AutoCommit>, unknown: &Unknown) -> Value {
    let mut merged = match server {
        Some(s) => s.clone(),
        None => AutoCommit::new(),
    };
    if merged.load_incremental(&unknown.chunks).is_err() {
        return json!({ "kind": "unreadable" });
    }
    let Ok(meta) = checklist::meta(&merged) else {
        return json!({ "kind": "other" });
    };
    let before = server
        .and_then(|s| checklist::answers(s).ok())
        .unwrap_or_default();
    let after = checklist::answers(&merged).unwrap_or_default();
    let mut items: Vec<&str> = after
        .iter()
        .filter(|(id, a)| before.get(*id).map(|b| &b.current) != Some(&a.current))
        .map(|(id, _)| id.as_str())
        .collect();
    items.extend(
        before
            .keys()
            .filter(|id| !after.contains_key(*id))
            .map(|id| id.as_str()),
    );
    items.sort_unstable();
    json!({
        "kind": "checklist",
        "form": meta.form,
        "fiscal_year": meta.fiscal_year,
        "vendor_name": meta.vendor_name,
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    #[test]
    fn only_changes_the_server_lacks_are_kept_and_they_merge_back() {
        let mut server = AutoCommit::new();
        server.put(ROOT, "a", 1).unwrap();
        let mut device = server.fork();
        device.put(ROOT, "b", 2).unwrap();
        device.commit();
        device.put(ROOT, "c", 3).unwrap();
        server.put(ROOT, "d", 4).unwrap();

        let unknown = unknown_changes(Some(&mut server), &mut device);
        assert_eq!(unknown.count, 2);
        let mut merged = server.clone();
        merged.load_incremental(&unknown.chunks).unwrap();
        for key in ["a", "b", "c", "d"] {
            assert!(merged.get(ROOT, key).unwrap().is_some(), "{key}");
        }

        let none = unknown_changes(Some(&mut merged), &mut device);
        assert_eq!(none.count, 0);
        assert!(none.chunks.is_empty());
    }

    #[test]
    fn a_document_the_server_never_had_is_handed_back_whole() {
        let mut device = AutoCommit::new();
        device.put(ROOT, "x", "y").unwrap();
        let unknown = unknown_changes(None, &mut device);
        assert_eq!(unknown.count, 1);
        assert_eq!(summary(None, &unknown)["kind"], "other");
    }
}
