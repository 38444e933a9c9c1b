//! The last changes a document took in, with their dependencies and bytes, so that the most common sync
//! messages are made without Automerge's walks of the whole change graph.
//!
//! Automerge's `generate_sync_message` asks its change graph twice for "every change that is not an
//! ancestor of these heads" (for the bloom filter it sends, and for the changes the peer lacks), computing a
//! clock over the whole history each time, and then rebuilds each change it sends from its operations. Under
//! load almost every message concerns only the last change or two: the heads both sides share are one
//! change behind. [`generate`] answers those from the recent changes alone and leaves everything else to
//! Automerge; the randomised tests compare every message and every state it leaves with Automerge's own.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use automerge::sync::{self, BloomFilter, Have, MessageFlags};
use automerge::{AutoCommit, Change, ChangeHash, ReadDoc};

/// How many recent changes are kept for one document.
const KEEP: usize = 16;

/// How many changes a walk back from the heads may reach before it gives up.
const WALK: usize = 8;

/// The last changes a document applied, in the order it applied them. Every change here is in the
/// document: whoever changes the document other than through [`Recent::add`] must [`Recent::clear`] it (or
/// the walks simply find a change missing and leave the work to Automerge).
#[derive(Debug, Default, Clone)]
pub struct Recent {
    /// Each change with the ordinal of its arrival.
    changes: HashMap<ChangeHash, (Change, u64)>,
    order: VecDeque<ChangeHash>,
    next: u64,
}

impl Recent {
    pub fn clear(&mut self) {
        self.changes.clear();
        self.order.clear();
    }

    /// Records changes the document has just applied, every one of them (a dependency among them first).
    pub fn add(&mut self, changes: impl IntoIterator<Item = Change>) {
        let mut pending: Vec<Change> = changes.into_iter().collect();
        while !pending.is_empty() {
            let hashes: HashSet<ChangeHash> = pending.iter().map(|c| c.hash()).collect();
            let (ready, waiting): (Vec<Change>, Vec<Change>) = pending
                .into_iter()
                .partition(|c| c.deps().iter().all(|d| !hashes.contains(d)));
            if ready.is_empty() {
                // A cycle cannot come from Automerge; keep nothing rather than a wrong order.
                self.clear();
                return;
            }
            for change in ready {
                let hash = change.hash();
                if let std::collections::hash_map::Entry::Vacant(e) = self.changes.entry(hash) {
                    e.insert((change, self.next));
                    self.next += 1;
                    self.order.push_back(hash);
                }
            }
            pending = waiting;
        }
        while self.order.len() > KEEP {
            if let Some(old) = self.order.pop_front() {
                self.changes.remove(&old);
            }
        }
    }

    fn change(&self, hash: &ChangeHash) -> Option<&Change> {
        self.changes.get(hash).map(|(c, _)| c)
    }

    fn deps(&self, hash: &ChangeHash) -> &[ChangeHash] {
        self.change(hash).map_or(&[], |c| c.deps())
    }

    /// The changes of a document with `heads` that are not ancestors of `since` (Automerge's
    /// `get_hashes`), in the order the document applied them; `None` when the recent changes cannot tell.
    ///
    /// Walking back from the heads without passing through `since` reaches exactly those changes, provided
    /// `since` is one change (or the heads themselves) and the walk never reaches a first change (one with
    /// no dependencies): a change it reached that was an ancestor of `since` would have every ancestor
    /// reached too, down to a first change.
    fn since(&self, heads: &[ChangeHash], since: &[ChangeHash]) -> Option<Vec<ChangeHash>> {
        if same_set(heads, since) {
            return Some(Vec::new());
        }
        let [stop] = since else {
            return None;
        };
        let mut reached: Vec<(u64, ChangeHash)> = Vec::new();
        let mut stack: Vec<ChangeHash> = heads.iter().filter(|h| *h != stop).copied().collect();
        while let Some(hash) = stack.pop() {
            if reached.iter().any(|(_, h)| *h == hash) {
                continue;
            }
            // A walk this long is past a concurrent branch: Automerge's clocks answer it better.
            if reached.len() == WALK {
                return None;
            }
            let (change, ordinal) = self.changes.get(&hash)?;
            if change.deps().is_empty() {
                return None;
            }
            reached.push((*ordinal, hash));
            stack.extend(change.deps().iter().filter(|d| *d != stop));
        }
        crate::order::sort(&mut reached);
        Some(reached.into_iter().map(|(_, h)| h).collect())
    }
}

fn same_set(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    a.len() == b.len() && a.iter().all(|h| b.contains(h))
}

/// Generates as Automerge's `generate_sync_message` does, from the sync state and the recent changes;
/// `None` when that needs more than they know (the caller asks Automerge), `Some(None)` for nothing to say.
///
/// Handled: a peer that has answered before, asks for nothing, and whose heads and last sync the document
/// knows among its heads and recent changes; the bloom filter and the changes to send both come from walks
/// over the recent changes; what is sent is at most one change or a chain of them (so their order is the
/// document's) and no more than a third of the document (else Automerge sends the whole document).
pub(super) fn generate(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    recent: &Recent,
) -> Option<Option<sync::Message>> {
    if state.read_only || state.needs_reset || state.is_peer_read_only() {
        return None;
    }
    let heads = doc.get_heads();
    let known = |h: &ChangeHash| heads.contains(h) || recent.changes.contains_key(h);
    let their_heads = state.their_heads.as_ref()?;
    let their_have = state.their_have.as_ref()?;
    let their_need = state.their_need.as_ref()?;
    // What we would ask for: the peer's heads we lack (none, or Automerge's answer is needed).
    if !their_heads.iter().all(known) || !their_need.is_empty() {
        return None;
    }
    let shared_since = recent.since(&heads, &state.shared_heads)?;
    let our_have = vec![Have {
        last_sync: state.shared_heads.clone(),
        bloom: BloomFilter::from_hashes(shared_since.iter()),
    }];
    // A peer whose last sync names changes we lack gets a reset: Automerge's.
    if let Some(first) = their_have.first()
        && !first.last_sync.iter().all(known)
    {
        return None;
    }
    let v2 = state
        .their_capabilities
        .as_ref()
        .is_some_and(|c| c.contains(&sync::Capability::MessageV2));
    if their_heads.is_empty() && v2 {
        return None;
    }
    let mut to_send = Vec::new();
    if !their_have.is_empty() {
        let last_sync: Vec<ChangeHash> = their_have
            .iter()
            .flat_map(|have| have.last_sync.iter().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let candidates = recent.since(&heads, &last_sync)?;
        // Not in any of the peer's bloom filters, and whatever depends on such a change (the candidates
        // are in the order they were applied, so one pass finds every dependent).
        let mut send = HashSet::new();
        for hash in &candidates {
            let missing = their_have
                .iter()
                .all(|have| !have.bloom.contains_hash(hash));
            let depends = recent.deps(hash).iter().any(|d| send.contains(d));
            if missing || depends {
                send.insert(*hash);
            }
        }
        to_send = candidates
            .into_iter()
            .filter(|h| send.contains(h) && !state.sent_hashes.contains(h))
            .collect();
    }
    let chain = to_send
        .windows(2)
        .all(|w| recent.deps(&w[1]).contains(&w[0]));
    if !chain || (v2 && to_send.len() > doc.stats().num_changes as usize / 3) {
        return None;
    }
    let sent: Vec<&Change> = to_send
        .iter()
        .map(|h| recent.change(h))
        .collect::<Option<_>>()?;
    let heads_unchanged = state.last_sent_heads == heads;
    let heads_equal = their_heads == &heads;
    if heads_unchanged
        && state.have_responded
        && ((heads_equal && to_send.is_empty()) || state.in_flight)
    {
        return Some(None);
    }
    state.have_responded = true;
    state.last_sent_heads.clone_from(&heads);
    state.sent_hashes.extend(to_send.iter().copied());
    let mut flags = MessageFlags::new();
    flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
    let bytes = sent.into_iter().map(Change::raw_bytes);
    let (changes, version) = if v2 {
        let joined: Vec<u8> = bytes.flatten().copied().collect();
        let chunks = if joined.is_empty() {
            Vec::new()
        } else {
            vec![joined]
        };
        (chunks, sync::MessageVersion::V2)
    } else {
        (
            bytes.map(<[u8]>::to_vec).collect(),
            sync::MessageVersion::V1,
        )
    };
    state.in_flight = true;
    Some(Some(sync::Message {
        heads,
        need: Vec::new(),
        have: our_have,
        changes: changes.into(),
        flags: Some(flags),
        version,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    fn edit(doc: &mut AutoCommit, key: &str) -> ChangeHash {
        doc.put(ROOT, key, 1).unwrap();
        doc.commit().unwrap()
    }

    /// The hashes Automerge itself gives for "not an ancestor of `since`", in its order.
    fn automerge_since(doc: &mut AutoCommit, since: &[ChangeHash]) -> Vec<ChangeHash> {
        doc.get_changes(since).iter().map(|c| c.hash()).collect()
    }

    #[test]
    fn walks_answer_only_what_they_can_prove() {
        // first ← left, first ← right (concurrent), then a merge on both, then one more change.
        let mut doc = AutoCommit::new();
        let first = edit(&mut doc, "first");
        let mut other = doc.fork();
        let left = edit(&mut doc, "left");
        let right = edit(&mut other, "right");
        doc.merge(&mut other).unwrap();
        let mut recent = Recent::default();
        recent.add(doc.get_changes(&[]));
        let heads = doc.get_heads();
        assert_eq!(heads.len(), 2);

        // Past a concurrent branch the walk would reach the first change: it cannot tell, so it says so.
        assert_eq!(recent.since(&heads, &[left]), None);
        assert_eq!(recent.since(&heads, &heads), Some(Vec::new()));

        let merged = edit(&mut doc, "merged");
        let last = edit(&mut doc, "last");
        let more = doc.get_changes(&heads);
        recent.add(more);
        let heads = doc.get_heads();
        assert_eq!(heads, vec![last]);
        assert_eq!(
            recent.since(&heads, &[merged]),
            Some(automerge_since(&mut doc, &[merged]))
        );
        // Back over both branches to the change they share: every change after it, in Automerge's order.
        assert_eq!(
            recent.since(&heads, &[first]),
            Some(automerge_since(&mut doc, &[first]))
        );
        assert_eq!(recent.since(&heads, &[first]).unwrap().len(), 4);
        // More than one change to stop at, or none: Automerge answers.
        assert_eq!(recent.since(&heads, &[left, right]), None);
        assert_eq!(recent.since(&heads, &[]), None);

        // A change the record does not hold (evicted, or made behind its back): no answer.
        let mut forgetful = Recent::default();
        forgetful.add(doc.get_changes(&[merged]));
        assert_eq!(forgetful.since(&heads, &[merged]), Some(vec![last]));
        assert_eq!(forgetful.since(&heads, &[first]), None);
    }

    #[test]
    fn only_the_last_changes_are_kept() {
        let mut doc = AutoCommit::new();
        let mut recent = Recent::default();
        let mut hashes = Vec::new();
        for i in 0..KEEP + 4 {
            hashes.push(edit(&mut doc, &format!("k{i}")));
            recent.add(doc.get_last_local_change());
        }
        assert_eq!(recent.order.len(), KEEP);
        assert!(recent.change(&hashes[3]).is_none());
        assert!(recent.change(&hashes[4]).is_some());
        let heads = doc.get_heads();
        assert_eq!(
            recent.since(&heads, &[hashes[KEEP]]),
            Some(hashes[KEEP + 1..].to_vec())
        );
    }
}
