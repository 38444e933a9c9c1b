//! Schema migrations: additive, idempotent, safe when two offline devices run them at once.
//!
//! A migration step only adds (puts a field or a map at a key; it never inserts into a list). Each step is
//! committed as its own change under a fixed actor id derived from the step's version, with time 0: two
//! devices migrating the same document from the same heads produce the *same* change (same hash), which
//! Automerge stores once. From different heads the changes differ, but a put at a key merges into one value,
//! so nothing is duplicated either way.
//!
//! A document newer than [`SCHEMA_VERSION`] is never migrated or written: the app opens it read-only and
//! asks the user to update Mamori.

use automerge::{ActorId, AutoCommit, ROOT, transaction::Transactable};

use super::{SCHEMA_VERSION, schema_version};
use crate::error::SchemaError;

/// One step: brings a document from `to - 1` to `to`.
pub struct Step {
    pub to: u64,
    pub apply: fn(&mut AutoCommit) -> Result<(), SchemaError>,
}

/// The steps of this build. Version 1 is the first schema, written by `create`: nothing to migrate yet.
pub const STEPS: &[Step] = &[];

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Already at this build's version.
    Current,
    /// Brought up from `from`.
    Migrated { from: u64 },
    /// Newer than this build: leave it alone and open it read-only.
    TooNew { found: u64 },
}

/// Brings `doc` up to [`SCHEMA_VERSION`] with this build's steps.
pub fn migrate(doc: &mut AutoCommit) -> Result<Outcome, SchemaError> {
    migrate_with(doc, STEPS, SCHEMA_VERSION)
}

/// Whether `actor` is one that commits migration steps: it belongs to no person, and no one may claim it.
pub fn is_step_actor(actor: &ActorId) -> bool {
    let bytes = actor.to_bytes();
    bytes.len() == 16 && bytes.starts_with(b"mamori-m")
}

/// The actor that commits a step: the same on every device, so identical steps make identical changes.
fn step_actor(to: u64) -> ActorId {
    let mut bytes = *b"mamori-migrate--";
    bytes[8..].copy_from_slice(&to.to_be_bytes());
    ActorId::from(bytes.as_slice())
}

/// [`migrate`] with explicit steps, for tests of future schemas.
pub fn migrate_with(
    doc: &mut AutoCommit,
    steps: &[Step],
    current: u64,
) -> Result<Outcome, SchemaError> {
    let from = schema_version(doc);
    if from > current {
        return Ok(Outcome::TooNew { found: from });
    }
    if from == current {
        return Ok(Outcome::Current);
    }
    doc.commit();
    let own_actor = doc.get_actor().clone();
    for step in steps.iter().filter(|s| s.to > from && s.to <= current) {
        doc.set_actor(step_actor(step.to));
        let result = (step.apply)(doc).and_then(|()| Ok(doc.put(ROOT, "schema", step.to)?));
        doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
        if let Err(e) = result {
            doc.set_actor(own_actor);
            return Err(e);
        }
    }
    doc.set_actor(own_actor);
    Ok(Outcome::Migrated { from })
}

#[cfg(test)]
mod tests {
    use automerge::{ObjType, ReadDoc};

    use super::*;

    fn add_notes_map(doc: &mut AutoCommit) -> Result<(), SchemaError> {
        doc.put_object(ROOT, "notes", ObjType::Map)?;
        Ok(())
    }

    const V2: &[Step] = &[Step {
        to: 2,
        apply: add_notes_map,
    }];

    fn v1_doc() -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "schema", 1_u64).unwrap();
        doc.put(ROOT, "kind", "checklist").unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn two_devices_migrating_at_once_make_one_change() {
        // Step 1: both devices hold the same v1 document.
        let mut base = v1_doc();
        let mut a = base.fork().with_actor(ActorId::random());
        let mut b = base.fork().with_actor(ActorId::random());
        // Step 2: each migrates offline.
        assert_eq!(
            migrate_with(&mut a, V2, 2).unwrap(),
            Outcome::Migrated { from: 1 }
        );
        assert_eq!(
            migrate_with(&mut b, V2, 2).unwrap(),
            Outcome::Migrated { from: 1 }
        );
        // Step 3: they merge: the migration change is the same change, stored once.
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(
            a.get_heads().len(),
            1,
            "identical migrations must produce one change"
        );
        assert_eq!(
            a.get_all(ROOT, "notes").unwrap().len(),
            1,
            "no duplicate, no conflict"
        );
        assert_eq!(schema_version(&a), 2);
        // Step 4: a device keeps its own actor for its own edits.
        assert_ne!(a.get_actor(), &step_actor(2));
        assert!(is_step_actor(&step_actor(2)) && !is_step_actor(a.get_actor()));
    }

    #[test]
    fn migration_is_idempotent_and_refuses_newer_documents() {
        let mut doc = v1_doc();
        migrate_with(&mut doc, V2, 2).unwrap();
        let heads = doc.get_heads();
        assert_eq!(migrate_with(&mut doc, V2, 2).unwrap(), Outcome::Current);
        assert_eq!(doc.get_heads(), heads);
        // An older build (current = 1) meets the v2 document: it must not touch it.
        assert_eq!(
            migrate_with(&mut doc, &[], 1).unwrap(),
            Outcome::TooNew { found: 2 }
        );
        assert_eq!(doc.get_heads(), heads);
    }

    #[test]
    fn current_build_has_nothing_to_migrate_in_a_new_document() {
        let mut doc = v1_doc();
        assert_eq!(migrate(&mut doc).unwrap(), Outcome::Current);
    }
}
