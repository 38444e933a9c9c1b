//! Domain types: one model of each thing (facility, vendor, checklist identity), shared by every screen.

mod document_id;
mod facility;
mod ids;
mod item_id;
mod peer_id;
mod vendor;

pub use document_id::DocumentId;
pub use facility::{Facility, FacilityKind};
pub use ids::{FacilityId, PersonId, VendorId};
pub use item_id::ItemId;
pub use peer_id::PeerId;
pub use vendor::{Remote, Vendor};
