//! A vendor (事業者): one entity, referenced by id from checklists and (later) the contact chart and ledgers.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::VendorId;

/// An IT vendor that supplies or maintains a facility's systems. Later issues extend this one entity with
/// contacts, systems, devices and the server-side link to vendor accounts.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Vendor {
    pub id: VendorId,
    /// 事業者名, as printed on the 事業者確認用.
    pub name: String,
    /// The systems it provides (電子カルテ, レセコン …), free text for now.
    pub systems: String,
}
