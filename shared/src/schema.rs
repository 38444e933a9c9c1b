//! How Mamori's data lives in Automerge documents.
//!
//! Eight kinds of document so far, each with `schema` (version) and `kind` at the root:
//! - the **facility index** ([`index`]): the facility, its vendors and the list of its other documents, so a
//!   second device can find everything from one id;
//! - a **checklist** ([`checklist`]): one facility, one form, one edition, one fiscal year (and, for
//!   事業者確認用, one vendor), with answers keyed by official item id;
//! - the **contact chart** ([`contact_chart`], 連絡体制図): one per facility, who to call in an incident;
//! - an **incident log** ([`incident`], インシデント対応記録): one per incident, entries from any device;
//! - the **ledgers** ([`ledger`], 機器台帳 and 利用者ID台帳): one of each per facility, rows keyed by id;
//! - a **vendor's contribution** ([`vendor_devices`]): the 機器台帳 rows one vendor proposes for its devices;
//! - the **evidence register** ([`evidence`], 証跡): documents with their review dates, the BCP by stage,
//!   backups taken; one per facility.
//!
//! Structs map to documents with autosurgeon, except answers: each is put whole as a fresh map (see
//! [`checklist::put_answer`]). [`migrate`] brings older documents up to [`SCHEMA_VERSION`] and refuses newer
//! ones. The exact shapes are drawn in docs/documents.md.

mod check;
pub mod checklist;
pub mod contact_chart;
pub mod evidence;
pub mod incident;
pub mod index;
pub mod ledger;
pub mod map_cache;
pub mod migrate;
pub mod vendor_devices;

use automerge::{ReadDoc, ScalarValue, Value};

pub use check::{Checked, check, check_changed};

use crate::error::SchemaError;
use crate::model::{DocumentId, FacilityId, VendorId};

/// The schema version this build writes and fully understands.
pub const SCHEMA_VERSION: u64 = 1;

/// Ids are stored as their text form, readable by any automerge-repo client.
macro_rules! string_repr {
    ($ty:ty, $parse:expr) => {
        impl autosurgeon::Reconcile for $ty {
            type Key<'a> = autosurgeon::reconcile::NoKey;

            fn reconcile<R: autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> Result<(), R::Error> {
                reconciler.str(self.to_string())
            }
        }

        impl autosurgeon::Hydrate for $ty {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(s).ok_or_else(|| {
                    autosurgeon::HydrateError::unexpected(stringify!($ty), s.to_string())
                })
            }
        }
    };
}

string_repr!(FacilityId, FacilityId::parse);
string_repr!(VendorId, VendorId::parse);
string_repr!(DocumentId, DocumentId::parse);
string_repr!(crate::model::ItemId, |s| Some(crate::model::ItemId::new(s)));

/// `Option<Date>` as an ISO string or null (`#[autosurgeon(with = "date_repr")]`).
pub mod date_repr {
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};

    use crate::calendar::Date;

    pub fn reconcile<R: Reconciler>(
        date: &Option<Date>,
        mut reconciler: R,
    ) -> Result<(), R::Error> {
        match date {
            Some(d) => reconciler.str(d.iso()),
            None => reconciler.none(),
        }
    }

    pub fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<Option<Date>, HydrateError> {
        match Option::<String>::hydrate(doc, obj, prop)? {
            None => Ok(None),
            Some(s) => Date::parse_iso(&s)
                .map(Some)
                .map_err(|e| HydrateError::unexpected("a YYYY-MM-DD date", e.to_string())),
        }
    }
}

/// The `kind` written at the root of every Mamori document (its serde form is the same string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    FacilityIndex,
    Checklist,
    ContactChart,
    Incident,
    DeviceLedger,
    UserLedger,
    VendorDevices,
    Evidence,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::FacilityIndex => "facility_index",
            DocKind::Checklist => "checklist",
            DocKind::ContactChart => "contact_chart",
            DocKind::Incident => "incident",
            DocKind::DeviceLedger => "device_ledger",
            DocKind::UserLedger => "user_ledger",
            DocKind::VendorDevices => "vendor_devices",
            DocKind::Evidence => "evidence",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::FacilityIndex,
            DocKind::Checklist,
            DocKind::ContactChart,
            DocKind::Incident,
            DocKind::DeviceLedger,
            DocKind::UserLedger,
            DocKind::VendorDevices,
            DocKind::Evidence,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The kind written at a document's root, if it is one Mamori knows.
pub fn kind_of<D: ReadDoc>(doc: &D) -> Option<DocKind> {
    match doc.get(automerge::ROOT, "kind") {
        Ok(Some((Value::Scalar(s), _))) => s.as_str().and_then(DocKind::parse),
        _ => None,
    }
}

/// The facility a document belongs to, whatever its kind: an index's own, the others' `meta.facility_id`.
pub fn facility_of<D: ReadDoc>(doc: &D) -> Option<FacilityId> {
    let holder = match kind_of(doc)? {
        DocKind::FacilityIndex => "facility",
        DocKind::Checklist
        | DocKind::ContactChart
        | DocKind::Incident
        | DocKind::DeviceLedger
        | DocKind::UserLedger
        | DocKind::VendorDevices
        | DocKind::Evidence => "meta",
    };
    let key = if holder == "facility" {
        "id"
    } else {
        "facility_id"
    };
    let obj = match doc.get(automerge::ROOT, holder) {
        Ok(Some((Value::Object(_), obj))) => obj,
        _ => return None,
    };
    match doc.get(&obj, key) {
        Ok(Some((Value::Scalar(s), _))) => s.as_str().and_then(FacilityId::parse),
        _ => None,
    }
}

/// The schema version stored at the root (0 when absent).
pub fn schema_version<D: ReadDoc>(doc: &D) -> u64 {
    match doc.get(automerge::ROOT, "schema") {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Uint(v) => *v,
            ScalarValue::Int(v) if *v >= 0 => *v as u64,
            _ => 0,
        },
        _ => 0,
    }
}

/// Checks the root `kind` and that the document is not newer than this build.
pub fn expect_kind<D: ReadDoc>(doc: &D, kind: DocKind) -> Result<(), SchemaError> {
    let found = schema_version(doc);
    if found > SCHEMA_VERSION {
        return Err(SchemaError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    match doc.get(automerge::ROOT, "kind") {
        Ok(Some((Value::Scalar(s), _))) if s.as_str() == Some(kind.as_str()) => Ok(()),
        _ => Err(SchemaError::WrongKind {
            expected: kind.as_str(),
        }),
    }
}
