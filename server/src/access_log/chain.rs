//! The hash chain, without I/O: each entry's hash covers the previous entry's hash and every field of its
//! own, so changing, removing, reordering or inserting one entry breaks the chain from there on.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    /// Server clock, Unix milliseconds.
    pub at: i64,
    /// The device's clock when it happened there (offline edits), if known.
    pub device_at: Option<i64>,
    pub facility: Option<String>,
    pub person: Option<String>,
    pub name: String,
    pub kind: String,
    pub document: Option<String>,
    pub detail: String,
    pub device: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry, given the one before it.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.at,
            self.device_at,
            self.facility,
            self.person,
            self.name,
            self.kind,
            self.document,
            self.detail,
            self.device,
        ]);
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(fields.to_string().as_bytes());
        hex::encode(h.finalize())
    }

    /// Fills `prev_hash` and `hash` for an entry that follows `prev_hash`.
    pub fn seal(mut self, prev_hash: &str) -> Entry {
        self.prev_hash = prev_hash.to_string();
        self.hash = self.expected_hash(prev_hash);
        self
    }
}

/// Why the chain does not hold, naming the first entry that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("entry {seq}: its contents do not match its hash (altered)")]
    Altered { seq: i64 },
    #[error(
        "entry {seq}: it does not follow entry {after} (an entry was removed, inserted or reordered)"
    )]
    NotLinked { seq: i64, after: i64 },
    #[error(
        "entry {seq}: numbered out of order after entry {after} (removed, inserted or reordered)"
    )]
    OutOfSequence { seq: i64, after: i64 },
}

/// Where the remaining chain starts: the last entry a purge removed (number and hash, as the newest
/// checkpoint recorded them), or before the first entry ever (`(0, GENESIS)`).
pub type Anchor = (i64, String);

/// The anchor before any purge.
pub fn origin() -> Anchor {
    (0, GENESIS.to_string())
}

/// Checks the remaining entries in order from `anchor`. Returns how many entries were checked and the head
/// hash, or the first entry that does not fit.
pub fn verify(anchor: &Anchor, entries: &[Entry]) -> Result<(usize, String), Broken> {
    let (mut seq, mut hash) = anchor.clone();
    for this in entries {
        if this.seq != seq + 1 {
            return Err(Broken::OutOfSequence {
                seq: this.seq,
                after: seq,
            });
        }
        if this.prev_hash != hash {
            return Err(Broken::NotLinked {
                seq: this.seq,
                after: seq,
            });
        }
        if this.hash != this.expected_hash(&this.prev_hash) {
            return Err(Broken::Altered { seq: this.seq });
        }
        (seq, hash) = (this.seq, this.hash.clone());
    }
    Ok((entries.len(), hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, kind: &str, detail: &str) -> Entry {
        Entry {
            seq,
            at: 1_700_000_000_000 + seq,
            device_at: None,
            facility: Some("f".into()),
            person: Some("p".into()),
            name: "佐藤 花子".into(),
            kind: kind.into(),
            document: None,
            detail: detail.into(),
            device: "tablet".into(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn chain(n: i64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or(GENESIS.into());
            out.push(entry(seq, "sign_in", "").seal(&prev));
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_names_the_entry() {
        let good = chain(5);
        assert_eq!(verify(&origin(), &good).unwrap(), (5, good[4].hash.clone()));

        let mut altered = good.clone();
        altered[2].name = "田中".into();
        assert_eq!(verify(&origin(), &altered), Err(Broken::Altered { seq: 3 }));

        let mut removed = good.clone();
        removed.remove(2);
        assert_eq!(
            verify(&origin(), &removed),
            Err(Broken::OutOfSequence { seq: 4, after: 2 })
        );

        let mut reordered = good.clone();
        reordered.swap(1, 2);
        assert!(matches!(
            verify(&origin(), &reordered),
            Err(Broken::OutOfSequence { seq: 3, after: 1 })
        ));

        // An insertion renumbered to look seamless still does not link.
        let mut inserted = good.clone();
        let forged = entry(3, "role", "admin").seal(&good[1].hash);
        inserted.insert(2, forged);
        for (i, e) in inserted.iter_mut().enumerate().skip(3) {
            e.seq = i as i64 + 1;
        }
        assert_eq!(
            verify(&origin(), &inserted),
            Err(Broken::NotLinked { seq: 4, after: 3 })
        );

        // After a purge the chain starts at the anchor; removing more from its start shows.
        let anchor = (2, good[1].hash.clone());
        assert_eq!(verify(&anchor, &good[2..]).unwrap().0, 3);
        assert_eq!(
            verify(&anchor, &good[3..]),
            Err(Broken::OutOfSequence { seq: 4, after: 2 })
        );
    }
}
