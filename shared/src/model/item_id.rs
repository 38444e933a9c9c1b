//! Official checklist item ids such as `2-⑥`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An item's official id: section number, a hyphen, and a circled number (`1-①`, `2-⑬`).
///
/// Kept as the official string because it is what people, the printed form and the inspector use, and it is
/// the key answers are stored under (so an answer follows its item across editions that keep the id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    pub fn new(id: impl Into<String>) -> ItemId {
        ItemId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The section number before the hyphen.
    pub fn section(&self) -> Option<u8> {
        self.0.split_once('-')?.0.parse().ok()
    }

    /// The id in ASCII, circled numbers as digits (`2-⑬` → `2-13`): how a seal prints it, since a circled
    /// digit comes from another font than the rest of a printed line and text extractors move it away.
    pub fn in_digits(&self) -> String {
        self.0
            .chars()
            .map(|c| match c as u32 {
                n @ 0x2460..=0x2473 => (n - 0x2460 + 1).to_string(),
                _ => c.to_string(),
            })
            .collect()
    }

    /// The number after the hyphen: `①` is 1 … `⑳` is 20.
    pub fn number(&self) -> Option<u8> {
        let c = self.0.split_once('-')?.1.chars().next()?;
        let n = (c as u32).checked_sub('①' as u32)? + 1;
        (n <= 20).then_some(n as u8)
    }

    /// An ASCII form (`2-6`) for URLs and element ids.
    pub fn slug(&self) -> String {
        match (self.section(), self.number()) {
            (Some(s), Some(n)) => format!("{s}-{n}"),
            _ => self.0.clone(),
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ItemId {
    fn from(s: &str) -> ItemId {
        ItemId::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_section_and_circled_number() {
        let id = ItemId::from("2-⑬");
        assert_eq!(id.section(), Some(2));
        assert_eq!(id.number(), Some(13));
        assert_eq!(id.slug(), "2-13");
        assert_eq!(ItemId::from("1-①").number(), Some(1));
        assert_eq!(ItemId::from("x").section(), None);
    }
}
