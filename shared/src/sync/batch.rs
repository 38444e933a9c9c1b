//! Sending a long backlog over several messages, so that no honest message is one the server must refuse.
//!
//! Automerge puts everything a peer lacks into one sync message: every change since the last sync, or the
//! whole document once a third of it is owed. A tablet back from a week offline, or one that imported a
//! large ledger, would then send one message of hundreds of thousands of operations, and the server holds
//! every message to [`MAX_OPS_PER_MESSAGE`](super::chunks::MAX_OPS_PER_MESSAGE) operations, because what
//! Automerge spends on a message grows with its operations (about 1 KB each on the server), not its bytes.
//!
//! So the sender cuts such a message down to a prefix of the changes owed, in causal order, and forgets
//! having sent the rest (they leave the sync state's `sent_hashes`). The message still names all the
//! sender's heads, so the peer answers that it lacks them, and the next message carries the next batch.

use std::collections::{BTreeSet, HashSet};

use automerge::sync;
use automerge::{AutoCommit, ChangeHash};

use super::chunks::MAX_OPS_PER_MESSAGE;

/// What one generated message may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Operations (and changes), as the server counts them.
    pub max_ops: u64,
    /// Bytes of changes: well under the server's frame limit.
    pub max_bytes: usize,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch {
            max_ops: MAX_OPS_PER_MESSAGE,
            max_bytes: 2 * 1024 * 1024,
        }
    }
}

/// A document chunk's type byte, after the magic bytes and the checksum.
const DOCUMENT_CHUNK: u8 = 0;

fn ops_of(meta: &automerge::ChangeMetadata<'_>) -> u64 {
    // A change spends its operations and itself, as the server's budget counts it.
    (meta.max_op + 1).saturating_sub(meta.start_op) + 1
}

/// Cuts `message`, just generated from `state` (whose sent hashes were `sent_before`), down to one batch.
/// Leaves it as it is when it fits.
pub(crate) fn limit(
    message: &mut sync::Message,
    state: &mut sync::State,
    doc: &mut AutoCommit,
    sent_before: &BTreeSet<ChangeHash>,
    batch: &Batch,
) {
    let bytes: usize = message.changes.iter().map(<[u8]>::len).sum();
    if bytes == 0 {
        return;
    }
    let whole_document = message
        .changes
        .iter()
        .any(|chunk| chunk.get(8) == Some(&DOCUMENT_CHUNK));
    let fits = bytes <= batch.max_bytes && {
        // A document chunk declares every operation of the document; changes only their own.
        let counted: Vec<ChangeHash> = if whole_document {
            state.sent_hashes.iter().copied().collect()
        } else {
            state.sent_hashes.difference(sent_before).copied().collect()
        };
        let mut ops = 0u64;
        counted.iter().all(|h| {
            ops += doc.get_change_meta_by_hash(h).map_or(0, |m| ops_of(&m));
            ops <= batch.max_ops
        })
    };
    if fits {
        return;
    }
    // What this message was to carry: the changes it newly marked as sent, but for a whole document
    // (which marks every change) only those the peer is not known to have; in causal order.
    let owed: HashSet<ChangeHash> = state.sent_hashes.difference(sent_before).copied().collect();
    let since = if whole_document {
        state.shared_heads.clone()
    } else {
        Vec::new()
    };
    let in_order: Vec<(ChangeHash, u64)> = doc
        .get_changes_meta(&since)
        .iter()
        .filter(|m| owed.contains(&m.hash))
        .map(|m| (m.hash, ops_of(m)))
        .collect();
    let (mut ops, mut size) = (0u64, 0usize);
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut sent: Vec<ChangeHash> = Vec::new();
    for (hash, change_ops) in in_order {
        let Some(change) = doc.get_change_by_hash(&hash) else {
            continue;
        };
        let len = change.raw_bytes().len();
        let over = ops + change_ops > batch.max_ops || size + len > batch.max_bytes;
        if over && !sent.is_empty() {
            break;
        }
        ops += change_ops;
        size += len;
        chunks.push(change.raw_bytes().to_vec());
        sent.push(hash);
    }
    state.sent_hashes.clone_from(sent_before);
    state.sent_hashes.extend(sent);
    message.changes = sync::ChunkList::from(match message.version {
        sync::MessageVersion::V2 => vec![chunks.concat()],
        sync::MessageVersion::V1 => chunks,
    });
}
