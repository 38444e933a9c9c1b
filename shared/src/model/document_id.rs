//! Document ids in the automerge-repo format, so the sync protocol can use them unchanged.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 16 random bytes, written as base58check like automerge-repo's `DocumentId` (`automerge:<id>` URLs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId([u8; 16]);

impl DocumentId {
    pub fn generate() -> DocumentId {
        DocumentId(*uuid::Uuid::new_v4().as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the base58check text form; `None` for anything else (a bad checksum included).
    pub fn parse(s: &str) -> Option<DocumentId> {
        let bytes = bs58::decode(s).with_check(None).into_vec().ok()?;
        Some(DocumentId(bytes.try_into().ok()?))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DocumentId::parse(&s).ok_or_else(|| serde::de::Error::custom("invalid document id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_rejects_a_bad_checksum() {
        let id = DocumentId::generate();
        let text = id.to_string();
        assert_eq!(DocumentId::parse(&text), Some(id));
        let mut broken = text.clone();
        let last = broken.pop().unwrap();
        broken.push(if last == '1' { '2' } else { '1' });
        assert_eq!(DocumentId::parse(&broken), None);
    }
}
