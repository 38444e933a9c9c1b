//! The server's one decide-and-apply step for a sync message from a peer: no socket, no database, no clock.
//!
//! [`parse`] reads the message once: every chunk through [`chunks::check`](super::chunks::check) (whole
//! chunks only, cost bounded), every whole document expanded into its changes. [`decide_and_apply`] then
//! decides on exactly those parsed changes — the same objects, built from the same bytes, that Automerge
//! applies; nothing is re-read from the message — and applies them only if every one is allowed: the
//! connection may write, and each change's actor belongs to the sender (or is unclaimed, and will be
//! claimed for it). A change waiting for a missing dependency is decided on when it arrives and reported
//! (with who sent it) when it is applied; the number waiting is bounded. After applying, the document must
//! still read as its schema. The verdict says what was applied, in order, with the bytes to store.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::sync;
use automerge::{ActorId, AutoCommit, Change, ChangeHash};

use super::chunks::{self, Checked, ChunkError, ChunkLimits};
use super::{Incoming, PeerSync, receive_with};
use crate::access::Access;
use crate::model::DocumentId;

/// Why a message could not be taken at all: a protocol error (the connection closes; nothing is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("not an Automerge sync message: {0}")]
    BadSyncMessage(String),
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("a document in the message does not load whole: {0}")]
    BadDocument(String),
    #[error("the changes could not be applied: {0}")]
    Rejected(String),
}

/// A sync message read once: its sync fields, and every change its chunks hold.
#[derive(Debug)]
pub struct Inbound {
    message: sync::Message,
    changes: Vec<Change>,
}

impl Inbound {
    /// Every change the message holds, in its order (a whole document's in its own order).
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }
}

/// The most Bloom filter probes and bits per entry a peer's `have` may ask for (Automerge uses 7 and 10).
/// Automerge allocates a vector of `probes` entries for every hash it tests against the filter.
const MAX_BLOOM_PROBES: u64 = 32;
const MAX_BLOOM_BITS_PER_ENTRY: u64 = 64;

/// Reads a sync message: decodes it, checks the peer's Bloom filters, checks and parses every chunk under
/// `limits`. Nothing is applied.
pub fn parse(data: &[u8], limits: &ChunkLimits) -> Result<Inbound, IngestError> {
    let mut message =
        sync::Message::decode(data).map_err(|e| IngestError::BadSyncMessage(e.to_string()))?;
    for have in &message.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    let wire: usize = message.changes.iter().map(|c| c.len()).sum();
    let mut budget = limits.budget(wire);
    let mut changes = Vec::new();
    for entry in message.changes.iter() {
        read_into(entry, &mut budget, &mut changes)?;
    }
    message.changes = sync::ChunkList::from(Vec::<Vec<u8>>::new());
    Ok(Inbound { message, changes })
}

/// Every change in `bytes` (whole chunks one after another: changes, compressed changes, documents), read
/// under `limits` as one message's chunks are: for data that arrives outside sync (a device's handed-back
/// document) or was stored from there.
pub fn read_changes(bytes: &[u8], limits: &ChunkLimits) -> Result<Vec<Change>, IngestError> {
    let mut changes = Vec::new();
    read_into(bytes, &mut limits.budget(bytes.len()), &mut changes)?;
    Ok(changes)
}

fn read_into(
    entry: &[u8],
    budget: &mut chunks::Budget,
    changes: &mut Vec<Change>,
) -> Result<(), IngestError> {
    for checked in chunks::check(entry, budget)? {
        match checked {
            Checked::Change(change) => changes.push(*change),
            Checked::Document(bytes) => {
                let options = automerge::LoadOptions::new()
                    .on_partial_load(automerge::OnPartialLoad::Error)
                    .verification_mode(automerge::VerificationMode::Check);
                let mut whole = AutoCommit::load_with_options(&bytes, options)
                    .map_err(|e| IngestError::BadDocument(e.to_string()))?;
                changes.extend(whole.get_changes(&[]));
            }
        }
    }
    Ok(())
}

fn check_bloom(bytes: &[u8]) -> Result<(), IngestError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let bad = |why: &str| IngestError::BadSyncMessage(format!("a Bloom filter {why}"));
    let mut fields = [0u64; 3];
    let mut at = 0;
    for field in &mut fields {
        let mut shift = 0;
        loop {
            let b = *bytes.get(at).ok_or_else(|| bad("is cut short"))?;
            at += 1;
            if shift > 28 {
                return Err(bad("has a number over 32 bits"));
            }
            *field |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let [_entries, bits_per_entry, probes] = fields;
    if probes == 0 || probes > MAX_BLOOM_PROBES {
        return Err(bad(&format!("asks for {probes} probes")));
    }
    if bits_per_entry == 0 || bits_per_entry > MAX_BLOOM_BITS_PER_ENTRY {
        return Err(bad(&format!("asks for {bits_per_entry} bits an entry")));
    }
    if at == bytes.len() {
        return Err(bad("has no bits"));
    }
    Ok(())
}

/// Who an actor id belongs to, as the server's records say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The sender of this message.
    Sender,
    /// No one yet: it becomes the sender's when a change under it is applied.
    Unclaimed,
    /// Someone else (another person, a token, or held for another person of a shared device).
    Other,
}

/// What the connection may do, as the gate decided it.
pub struct Authority<'a> {
    pub access: Access,
    /// Whose each actor is; `None` on an open development server, where actor ids are not checked.
    pub owners: Option<&'a HashMap<ActorId, Owner>>,
    /// Whether the document must still read as a Mamori document after the changes (not on an open
    /// development server, whose tests and benchmarks sync plain documents).
    pub schema: bool,
    /// The kind the server's registry records for the document, if any: a document still empty must become
    /// exactly that kind (so the first writer of a vendor's contribution cannot make it something else). A
    /// document with content keeps the kind it has.
    pub kind: Option<crate::schema::DocKind>,
    /// Checks the seals the changes write into a checklist (the server's key); `None` refuses any seal.
    pub seals: Option<&'a dyn crate::seal::Verifier>,
}

/// The most changes (and their bytes) that may wait in one document for dependencies that have not arrived.
#[derive(Debug, Clone, Copy)]
pub struct PendingLimits {
    pub changes: usize,
    pub bytes: usize,
}

impl Default for PendingLimits {
    fn default() -> PendingLimits {
        PendingLimits {
            changes: 1_024,
            bytes: 8 * 1024 * 1024,
        }
    }
}

/// Changes a document holds back for a missing dependency (in Automerge's own queue), each with the tag of
/// whoever sent it, so that it is reported for them when it is finally applied.
#[derive(Debug)]
pub struct Pending<T> {
    waiting: HashMap<ChangeHash, (Change, T)>,
    bytes: usize,
    limits: PendingLimits,
}

impl<T> Pending<T> {
    pub fn new(limits: PendingLimits) -> Pending<T> {
        Pending {
            waiting: HashMap::new(),
            bytes: 0,
            limits,
        }
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The changes waiting, to put back into a document read again from the store.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.waiting.values().map(|(c, _)| c)
    }

    /// Forgets the waiting changes `doc` has applied by another path (a merge from outside sync), so
    /// that no later step reports them again.
    pub fn prune(&mut self, doc: &mut AutoCommit) {
        let applied: Vec<ChangeHash> = self
            .waiting
            .keys()
            .filter(|h| doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        for hash in applied {
            if let Some((change, _)) = self.waiting.remove(&hash) {
                self.bytes -= change.raw_bytes().len();
            }
        }
    }
}

/// A change applied by one step, and who sent it.
#[derive(Debug)]
pub struct Applied<T> {
    pub change: Change,
    /// `None`: this message; else the tag of the earlier message that brought it.
    pub earlier: Option<T>,
}

/// What a step did.
#[derive(Debug)]
pub enum Verdict<T> {
    /// Allowed: these changes were applied (in dependency order, possibly none); `claims` are the actor
    /// ids that became the sender's; `answers`, when the schema was checked, the checklist items they
    /// answered (see [`Checked::answers`](crate::schema::Checked)).
    Taken {
        applied: Vec<Applied<T>>,
        claims: BTreeSet<ActorId>,
        answers: Option<BTreeSet<String>>,
    },
    /// Refused: nothing this message brought was applied. When `document_changed` is set the changes had
    /// been applied before the schema check refused them: the caller drops its copy of the document and
    /// reads it again from the store.
    Refused {
        reason: String,
        document_changed: bool,
    },
}

/// The changes in `inbound` that `doc` has not applied or queued: their actor ids (whose the caller must look
/// up before [`decide_and_apply`]) and their size in bytes (for the caller's quotas).
pub fn new_changes<T>(
    inbound: &Inbound,
    doc: &mut AutoCommit,
    pending: &Pending<T>,
) -> (BTreeSet<ActorId>, usize) {
    let mut authors = BTreeSet::new();
    let mut bytes = 0;
    for change in &inbound.changes {
        if is_new(doc, pending, &change.hash()) {
            authors.insert(change.actor_id().clone());
            bytes += change.raw_bytes().len();
        }
    }
    (authors, bytes)
}

fn is_new<T>(doc: &mut AutoCommit, pending: &Pending<T>, hash: &ChangeHash) -> bool {
    doc.get_change_meta_by_hash(hash).is_none() && !pending.waiting.contains_key(hash)
}

/// The read-only refusal, as the app shows it.
pub const READ_ONLY: &str =
    "閲覧のみの権限です: 変更は保存されません (read only: changes are not kept)";
/// The impersonation refusal.
pub const NOT_YOURS: &str =
    "この変更は別の利用者の作成者IDで作られています (changes carry another person's actor id)";

/// Decides on the message's new changes and, if all are allowed, applies them and the rest of the message
/// to `doc` and the peer's sync state for `id`. `tag` names this message's sender for changes that must
/// wait for a dependency.
#[allow(clippy::too_many_arguments)]
pub fn decide_and_apply<T: Clone>(
    peer: &mut PeerSync,
    id: DocumentId,
    doc: &mut AutoCommit,
    authority: &Authority<'_>,
    inbound: Inbound,
    pending: &mut Pending<T>,
    tag: T,
) -> Result<Verdict<T>, IngestError> {
    let Inbound { message, changes } = inbound;
    let mut seen = HashSet::new();
    let new: Vec<Change> = changes
        .into_iter()
        .filter(|c| is_new(doc, pending, &c.hash()) && seen.insert(c.hash()))
        .collect();
    let refuse = |reason: &str| {
        Ok(Verdict::Refused {
            reason: reason.to_string(),
            document_changed: false,
        })
    };
    let mut claims = BTreeSet::new();
    if !new.is_empty() {
        if authority.access != Access::Write {
            return refuse(READ_ONLY);
        }
        if let Some(owners) = authority.owners {
            for change in &new {
                match owners
                    .get(change.actor_id())
                    .copied()
                    .unwrap_or(Owner::Other)
                {
                    Owner::Sender => {}
                    Owner::Unclaimed => {
                        claims.insert(change.actor_id().clone());
                    }
                    Owner::Other => return refuse(NOT_YOURS),
                }
            }
        }
        let waiting = unready(doc, &new);
        let added_bytes: usize = waiting.iter().map(|c| c.raw_bytes().len()).sum();
        if pending.waiting.len() + waiting.len() > pending.limits.changes
            || pending.bytes + added_bytes > pending.limits.bytes
        {
            return refuse(&format!(
                "依存する変更が届いていない変更が多すぎます (more than {} changes wait for missing dependencies)",
                pending.limits.changes
            ));
        }
    }
    // Read only when something may be applied: a message without new changes (most are acknowledgements)
    // changes nothing, and this one lookup at the root cost the server 2 % of its CPU.
    let kind_before = if new.is_empty() {
        authority.kind
    } else {
        crate::schema::kind_of(doc).or(authority.kind)
    };
    let heads_before = doc.get_heads();
    let state = peer.states.entry(id).or_default();
    let incoming = if new.is_empty() {
        Incoming::Nothing
    } else {
        Incoming::Changes(new.clone())
    };
    receive_with(state, doc, message, incoming)
        .map_err(|e| IngestError::Rejected(e.to_string()))?;
    if doc.get_heads() == heads_before {
        // Nothing applied (an acknowledgement, or changes that all wait for a dependency).
        for change in new {
            pending.bytes += change.raw_bytes().len();
            pending.waiting.insert(change.hash(), (change, tag.clone()));
        }
        return Ok(Verdict::Taken {
            applied: Vec::new(),
            claims,
            answers: Some(BTreeSet::new()),
        });
    }
    let mut answers = None;
    if authority.schema {
        // Everything the document took in: what arrived and what it released from the waiting queue.
        match check_applied(doc, id, &heads_before, kind_before, authority.seals) {
            Ok(checked) => answers = checked.answers,
            Err(reason) => {
                return Ok(Verdict::Refused {
                    reason,
                    document_changed: true,
                });
            }
        }
    }
    let mut applied = Vec::new();
    for change in new {
        if doc.get_change_meta_by_hash(&change.hash()).is_some() {
            applied.push(Applied {
                change,
                earlier: None,
            });
        } else {
            pending.bytes += change.raw_bytes().len();
            pending.waiting.insert(change.hash(), (change, tag.clone()));
        }
    }
    let released: Vec<ChangeHash> = pending
        .waiting
        .keys()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .copied()
        .collect();
    for hash in released {
        let (change, earlier) = pending.waiting.remove(&hash).expect("a key just read");
        pending.bytes -= change.raw_bytes().len();
        applied.push(Applied {
            change,
            earlier: Some(earlier),
        });
    }
    let applied = in_dependency_order(applied);
    if !explains(&heads_before, &applied, &doc.get_heads()) {
        return Err(IngestError::Rejected(
            "the document took in changes it was not given here".into(),
        ));
    }
    Ok(Verdict::Taken {
        applied,
        claims,
        answers,
    })
}

/// The checks on a document that has just taken in changes since `heads_before` (from a peer, or handed back
/// and accepted, and whatever they released from Automerge's queue of changes waiting for a dependency):
/// every change the document took in is checked, not a list the caller believes it applied, whichever way
/// they came: a change under a migration actor must be exactly this build's
/// migration step from its dependencies (migration actors belong to no one: every device makes the same
/// steps, so nothing else may be written under them; the step is recomputed on a fork and compared by
/// hash), and the whole document must still read as its kind (`kind_before`, `None` for a new one). On `Err`
/// the document holds changes it must not keep: the caller drops this copy.
pub fn check_applied(
    doc: &mut AutoCommit,
    id: DocumentId,
    heads_before: &[ChangeHash],
    kind_before: Option<crate::schema::DocKind>,
    seals: Option<&dyn crate::seal::Verifier>,
) -> Result<crate::schema::Checked, String> {
    let arrived: Vec<Change> = doc.get_changes(heads_before);
    for c in arrived
        .iter()
        .filter(|c| crate::schema::migrate::is_step_actor(c.actor_id()))
    {
        let made_here = doc.fork_at(c.deps()).ok().is_some_and(|mut at| {
            crate::schema::migrate::migrate(&mut at).is_ok()
                && at.get_change_meta_by_hash(&c.hash()).is_some()
        });
        if !made_here {
            return Err(format!(
                "移行の作成者IDで、この版の移行と異なる変更です (a change under a migration actor that is not this build's migration: {})",
                c.hash()
            ));
        }
    }
    let checked = crate::schema::check_changed(doc, kind_before, &arrived).map_err(|reason| {
        format!("文書の形式に合わない変更です (the changes break the document's schema: {reason})")
    })?;
    // Answers alone cannot move a checklist's edition or write its seal (both lie outside them).
    if checked.kind == crate::schema::DocKind::Checklist && checked.beyond_answers {
        check_edition(doc, heads_before)?;
        check_seals(doc, id, heads_before, &arrived, seals).map_err(|reason| {
            format!("確定の署名を確認できません (a seal that this server did not make: {reason})")
        })?;
    }
    Ok(checked)
}

/// A checklist's edition, when a change sets it (a new checklist, or one moved to another edition), is one this
/// server knows (embedded, or loaded from its editions folder): else every device would open it read-only
/// and it could not be sealed.
fn check_edition(doc: &AutoCommit, heads_before: &[ChangeHash]) -> Result<(), String> {
    use automerge::{ObjType, ROOT, ReadDoc, Value};
    let now = crate::schema::checklist::meta(doc)
        .map_err(|e| e.to_string())?
        .edition;
    let before = match doc.get_at(ROOT, "meta", heads_before) {
        Ok(Some((Value::Object(ObjType::Map), meta))) => {
            match doc.get_at(&meta, "edition", heads_before) {
                Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_string),
                _ => None,
            }
        }
        _ => None,
    };
    if before.as_deref() != Some(now.as_str()) && crate::edition::edition(&now).is_none() {
        return Err(format!(
            "この版（{now}）はサーバーにありません (edition {now} is not known to this server)"
        ));
    }
    Ok(())
}

/// Every seal value that `arrived` wrote into checklist `id` (a scalar's id is the operation that put it,
/// so an old seal is not checked again, and a changed one is a new value): signed by this server's key over
/// exactly its text, made for this checklist at this facility, and covering heads the document has. And a
/// seal stays: none is removed, and the one shown is never older than the newest before (a genuine but
/// older seal of the same checklist put back would hide the latest). The document has already been checked
/// to read, so each value is a seal that reads.
fn check_seals(
    doc: &mut AutoCommit,
    id: DocumentId,
    heads_before: &[ChangeHash],
    arrived: &[Change],
    seals: Option<&dyn crate::seal::Verifier>,
) -> Result<(), String> {
    use crate::schema::checklist;
    use automerge::ReadDoc;
    let sealed_at = |value: &automerge::Value<'_>| match value {
        automerge::Value::Scalar(s) => s
            .as_str()
            .and_then(|p| crate::seal::Seal::read(p).ok())
            .and_then(|seal| seal.sealed_at_ms()),
        _ => None,
    };
    let newest_before = doc
        .get_all_at(automerge::ROOT, "seal", heads_before)
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|(v, _)| sealed_at(v))
        .max();
    if let Some(before) = newest_before {
        let shown = checklist::seal(doc).and_then(|s| s.sealed_at_ms());
        if shown.is_none_or(|now| now < before) {
            return Err(
                "the seal of a sealed check cannot be removed or replaced by an older one".into(),
            );
        }
    }
    let written_here = |op: &automerge::ObjId| match op {
        automerge::ObjId::Id(counter, actor, _) => arrived.iter().any(|c| {
            let start = c.start_op().get();
            c.actor_id() == actor && (start..start + c.len() as u64).contains(counter)
        }),
        automerge::ObjId::Root => false,
    };
    let written: Vec<String> = checklist::seal_values(doc)
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|(_, op)| written_here(op))
        .filter_map(|(value, _)| match value {
            automerge::Value::Scalar(s) => s.as_str().map(str::to_string),
            _ => None,
        })
        .collect();
    if written.is_empty() {
        return Ok(());
    }
    let verifier = seals.ok_or("this server checks no seals")?;
    let meta = checklist::meta(doc).map_err(|e| e.to_string())?;
    for printed in written {
        let seal = crate::seal::Seal::read(&printed).map_err(|e| e.to_string())?;
        if !verifier.verifies(&seal.key_id, &seal.text, &seal.signature) {
            return Err(format!(
                "the signature does not match (key {})",
                seal.key_id
            ));
        }
        if seal.checklist() != Some(id.to_string().as_str()) {
            return Err("it was made for another checklist".into());
        }
        if seal.facility() != Some(meta.facility_id.to_string().as_str()) {
            return Err("it was made for another facility".into());
        }
        for head in seal.heads() {
            let known = head
                .parse::<ChangeHash>()
                .ok()
                .is_some_and(|h| doc.get_change_meta_by_hash(&h).is_some());
            if !known {
                return Err(format!("it covers a change this document lacks ({head})"));
            }
        }
    }
    Ok(())
}

/// Whether applying exactly `applied` on top of `before` gives `after`: the changes reported are all the
/// document took in (a change queued by some other path and released here would break this).
fn explains<T>(before: &[ChangeHash], applied: &[Applied<T>], after: &[ChangeHash]) -> bool {
    let mut heads: BTreeSet<ChangeHash> = before.iter().copied().collect();
    for a in applied {
        heads.insert(a.change.hash());
    }
    for a in applied {
        for dep in a.change.deps() {
            heads.remove(dep);
        }
    }
    heads.iter().eq(after.iter())
}

/// The changes among `new` that cannot be applied yet: a dependency neither in `doc` nor among `new`'s
/// applicable ones.
fn unready<'a>(doc: &mut AutoCommit, new: &'a [Change]) -> Vec<&'a Change> {
    let mut ready: HashSet<ChangeHash> = HashSet::new();
    let mut left: Vec<&Change> = new.iter().collect();
    loop {
        let before = left.len();
        left.retain(|c| {
            let ok = c
                .deps()
                .iter()
                .all(|d| ready.contains(d) || doc.get_change_meta_by_hash(d).is_some());
            if ok {
                ready.insert(c.hash());
            }
            !ok
        });
        if left.len() == before {
            return left;
        }
    }
}

/// Applied changes ordered so that each follows its dependencies (as they must be stored and recorded).
fn in_dependency_order<T>(mut changes: Vec<Applied<T>>) -> Vec<Applied<T>> {
    let mut out = Vec::with_capacity(changes.len());
    while !changes.is_empty() {
        let hashes: HashSet<ChangeHash> = changes.iter().map(|a| a.change.hash()).collect();
        let (ready, rest): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|a| a.change.deps().iter().all(|d| !hashes.contains(d)));
        if ready.is_empty() {
            // Automerge applied them, so they form no cycle; keep the rest as they are.
            out.extend(rest);
            break;
        }
        out.extend(ready);
        changes = rest;
    }
    out
}

#[cfg(test)]
mod tests;
