//! Generated global ids for facilities and vendors.
//!
//! Random (UUID v4) rather than sequential, so that a facility or vendor created on an offline tablet keeps
//! its id when it is later registered on the server or merged from another device.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn generate() -> $name {
                $name(Uuid::new_v4())
            }

            pub fn parse(s: &str) -> Option<$name> {
                Uuid::parse_str(s).ok().map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A facility (施設): hospital, clinic, pharmacy …
    FacilityId
);
uuid_id!(
    /// A vendor (事業者): one entity across checklists, the contact chart and the ledgers.
    VendorId
);
uuid_id!(
    /// A person with an account on a server: staff, an administrator, or a vendor's user (who may serve many
    /// facilities from this one account).
    PersonId
);
