//! Who may open and change which document: the rules, as pure functions of the server's records.
//!
//! The server decides with these on every sync message, from its own database (memberships, the document
//! registry); the app uses the same rules only to avoid offering what the server would refuse. Nothing here
//! reads a CRDT document: request states such as 依頼済 are display only.

use serde::{Deserialize, Serialize};

use crate::edition::FormKind;
use crate::model::{FacilityId, VendorId};
use crate::schema::DocKind;

/// A person's role at one facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理者: 経営層, 医療情報システム安全管理責任者, 企画管理者. Everything, including people.
    Admin,
    /// 担当者: システム運用担当者 and staff who fill in checklists.
    Staff,
    /// 閲覧者: reads everything of the facility, changes nothing.
    Viewer,
    /// 事業者: a vendor's user, acting for one vendor entity of the facility.
    Vendor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
            Role::Vendor => "vendor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::Staff, Role::Viewer, Role::Vendor]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::Staff => "担当者",
            Role::Viewer => "閲覧者",
            Role::Vendor => "事業者",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Staff => "Staff",
            Role::Viewer => "Viewer",
            Role::Vendor => "Vendor",
        }
    }
}

/// One person's standing at one facility, as the server records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub facility: FacilityId,
    pub role: Role,
    /// The vendor entity a 事業者 acts for (set exactly when `role` is [`Role::Vendor`]).
    pub vendor: Option<VendorId>,
}

/// What the server's document registry knows of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub facility: FacilityId,
    /// The checklist form, for checklists; `None` for other documents (the facility index, ledgers …).
    pub form: Option<FormKind>,
    /// The kind the document was registered as (`None` for documents registered before kinds were recorded,
    /// and checklists may leave it out): only [`DocKind::VendorDevices`] grants anything by it.
    pub kind: Option<DocKind>,
    /// The vendor a 事業者確認用 is about, or whose contribution to the 機器台帳 a `vendor_devices` is.
    pub vendor: Option<VendorId>,
    /// Vendors the facility explicitly shares this document with.
    pub shared_with: Vec<VendorId>,
}

/// What a person may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// The access a person with `memberships` (all of theirs, at any facility) has to `doc`. A disabled person
/// has no memberships that count: the caller passes none.
///
/// A 事業者 writes its own 事業者確認用 and its own contribution to the 機器台帳 (`vendor_devices` registered
/// with its vendor), reads what is shared with its vendor, and nothing else: not the index, not the ledgers.
pub fn access(memberships: &[Membership], doc: &DocumentInfo) -> Access {
    memberships
        .iter()
        .filter(|m| m.facility == doc.facility)
        .map(|m| match m.role {
            Role::Admin | Role::Staff => Access::Write,
            Role::Viewer => Access::Read,
            Role::Vendor => match m.vendor {
                Some(v) if doc.form == Some(FormKind::Vendor) && doc.vendor == Some(v) => {
                    Access::Write
                }
                // Its own contribution to the 機器台帳: its rows, never the ledger itself.
                Some(v) if doc.kind == Some(DocKind::VendorDevices) && doc.vendor == Some(v) => {
                    Access::Write
                }
                Some(v) if doc.shared_with.contains(&v) => Access::Read,
                _ => Access::None,
            },
        })
        .max()
        .unwrap_or(Access::None)
}

/// What a person may do with a facility's evidence files (PDF, PNG, JPEG kept beside its documents): exactly
/// what they may do with the facility's ordinary documents (the index, ledgers, checklists), decided by
/// [`access`] itself so the two can never drift apart. 管理者 and 担当者 upload, 閲覧者 read, a 事業者 gets
/// nothing: its vendor is named on no ordinary document, and nothing shares one with it.
pub fn files_access(memberships: &[Membership], facility: FacilityId) -> Access {
    access(
        memberships,
        &DocumentInfo {
            facility,
            form: None,
            kind: None,
            vendor: None,
            shared_with: Vec::new(),
        },
    )
}

/// Whether a person may manage the facility's people, invitations and tokens.
pub fn may_manage_people(memberships: &[Membership], facility: FacilityId) -> bool {
    memberships
        .iter()
        .any(|m| m.facility == facility && m.role == Role::Admin)
}

/// Whether a person may register new documents (checklists made on a device) for a facility.
pub fn may_create_documents(memberships: &[Membership], facility: FacilityId) -> bool {
    memberships
        .iter()
        .any(|m| m.facility == facility && matches!(m.role, Role::Admin | Role::Staff))
}

#[cfg(test)]
mod tests;
