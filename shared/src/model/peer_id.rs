//! Peer ids as the automerge-repo protocol names them: an opaque string chosen by each peer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One end of a sync connection (a browser tab, the server). Chosen by the peer itself, so the server never
/// trusts it for access: access follows the signed-in account (people-and-access issue).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeerId(String);

impl PeerId {
    pub fn new(id: impl Into<String>) -> PeerId {
        PeerId(id.into())
    }

    /// A fresh random id, e.g. `mamori-3f2a…`.
    pub fn generate(prefix: &str) -> PeerId {
        PeerId(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
