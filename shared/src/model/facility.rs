//! A facility (施設): the institution whose checklists, ledgers and contact chart Mamori keeps.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::FacilityId;
use crate::edition::FormKind;

/// What kind of institution a facility is; decides which institution form it fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum FacilityKind {
    #[autosurgeon(rename = "hospital")]
    Hospital,
    #[autosurgeon(rename = "clinic")]
    Clinic,
    #[autosurgeon(rename = "dental_clinic")]
    DentalClinic,
    #[autosurgeon(rename = "pharmacy")]
    Pharmacy,
    #[autosurgeon(rename = "home_nursing")]
    HomeNursing,
    #[autosurgeon(rename = "other")]
    Other,
}

impl FacilityKind {
    pub const ALL: [FacilityKind; 6] = [
        FacilityKind::Hospital,
        FacilityKind::Clinic,
        FacilityKind::DentalClinic,
        FacilityKind::Pharmacy,
        FacilityKind::HomeNursing,
        FacilityKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Hospital => "hospital",
            FacilityKind::Clinic => "clinic",
            FacilityKind::DentalClinic => "dental_clinic",
            FacilityKind::Pharmacy => "pharmacy",
            FacilityKind::HomeNursing => "home_nursing",
            FacilityKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FacilityKind> {
        FacilityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            FacilityKind::Hospital => "病院",
            FacilityKind::Clinic => "診療所",
            FacilityKind::DentalClinic => "歯科診療所",
            FacilityKind::Pharmacy => "薬局",
            FacilityKind::HomeNursing => "訪問看護ステーション",
            FacilityKind::Other => "その他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            FacilityKind::Hospital => "Hospital",
            FacilityKind::Clinic => "Clinic",
            FacilityKind::DentalClinic => "Dental clinic",
            FacilityKind::Pharmacy => "Pharmacy",
            FacilityKind::HomeNursing => "Home-visit nursing station",
            FacilityKind::Other => "Other",
        }
    }

    /// The institution form this kind of facility fills in.
    pub fn institution_form(self) -> FormKind {
        match self {
            FacilityKind::Pharmacy => FormKind::Pharmacy,
            _ => FormKind::Medical,
        }
    }
}

/// A facility. Its id is generated on the device that sets it up and kept when it is registered on a server.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Facility {
    pub id: FacilityId,
    pub kind: FacilityKind,
    pub name: String,
    pub address: String,
    /// Whether the facility has any contract with an IT vendor; without one, 2-② and 2-③ are 記入不要.
    pub has_vendor_contract: bool,
}
