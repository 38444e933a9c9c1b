//! What a vendor's contribution proposes to the 機器台帳, and what accepting a row writes.
//!
//! A row's proposal is every field the vendor changed from what it was handed (`base`; a row the vendor
//! added has none) that the ledger does not already say. Accepting writes exactly those fields into the
//! ledger row (the other fields, perhaps edited by the facility meanwhile, stay), with the vendor as the
//! row's vendor. A row under an id the ledger gives to another vendor, or to none, is never accepted: the
//! vendor was never handed it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::columns::{Context, device_columns};
use crate::model::VendorId;
use crate::schema::ledger::Device;
use crate::schema::vendor_devices::{ACCEPTED, Contribution, REJECTED, digest};

/// Where one of the vendor's rows stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Changed, and not decided in this form: waiting for the facility.
    Pending,
    /// Taken into the ledger as it stands.
    Accepted,
    /// Not taken, as it stands (the vendor may change it and propose again).
    Rejected,
    /// Nothing to propose: as handed over.
    Unchanged,
}

impl State {
    pub fn label_ja(self) -> &'static str {
        match self {
            State::Pending => "確認待ち",
            State::Accepted => "採用済",
            State::Rejected => "不採用",
            State::Unchanged => "変更なし",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Pending => "Awaiting review",
            State::Accepted => "Accepted",
            State::Rejected => "Not accepted",
            State::Unchanged => "Unchanged",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Unchanged => "unchanged",
        }
    }
}

/// One field the vendor proposes: the column's manual header, the ledger's value and the vendor's, as
/// people read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub key: &'static str,
    pub header: &'static str,
    pub header_en: &'static str,
    pub ledger: String,
    pub proposed: String,
}

/// One of the vendor's rows as the facility reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub row: Device,
    /// The fields it would change (empty: nothing to accept).
    pub changes: Vec<FieldChange>,
    pub state: State,
    /// A row the ledger does not have yet.
    pub new_row: bool,
    /// The ledger has this id for another vendor's device (or no vendor's): it may only be rejected.
    pub not_theirs: bool,
}

/// Why a row cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAccepted {
    #[error("the ledger's row {0} is not this vendor's device")]
    NotTheirs(String),
    #[error("row {0} proposes nothing")]
    Nothing(String),
}

fn fields(row: &Device) -> Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The fields of `proposed` the vendor changed from `base` and the ledger's row does not hold, by key (the
/// vendor itself and the id are never among them).
fn changed_keys(proposed: &Device, base: Option<&Device>, ledger: Option<&Device>) -> Vec<String> {
    let p = fields(proposed);
    let b = base.map(fields);
    let l = ledger.map(fields);
    let blank = fields(&Device::default());
    p.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "vendor_id"))
        .filter(|(k, v)| match &b {
            Some(b) => b.get(*k) != Some(*v),
            // A new row proposes what it fills in.
            None => blank.get(*k) != Some(*v),
        })
        .filter(|(k, v)| l.as_ref().is_none_or(|l| l.get(*k) != Some(*v)))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Where the vendor's row `id` stands, from the contribution alone (the vendor's own view: it never sees
/// the ledger).
pub fn state_of(c: &Contribution, id: &str) -> State {
    let Some(row) = c.rows.get(id) else {
        return State::Unchanged;
    };
    if let Some(d) = c.decisions.get(id)
        && d.digest == digest(row)
    {
        match d.state.as_str() {
            ACCEPTED => return State::Accepted,
            REJECTED => return State::Rejected,
            _ => {}
        }
    }
    if changed_keys(row, c.base.get(id), None).is_empty() {
        State::Unchanged
    } else {
        State::Pending
    }
}

/// Every row of the contribution as the facility reviews it against its ledger (`ledger`: its rows by id),
/// pending ones first, then in 管理番号 order.
pub fn proposals(c: &Contribution, ledger: &BTreeMap<String, Device>) -> Vec<Proposal> {
    let vendor = c.meta.vendor_id;
    let cx = Context::default();
    let columns = device_columns();
    let mut out: Vec<Proposal> = c
        .rows
        .iter()
        .map(|(id, row)| {
            let current = ledger.get(id);
            let keys = changed_keys(row, c.base.get(id), current);
            let changes = columns
                .iter()
                .filter(|col| keys.iter().any(|k| k == col.key))
                .map(|col| FieldChange {
                    key: col.key,
                    header: col.header,
                    header_en: col.header_en,
                    ledger: current.map(|r| (col.get)(r, &cx)).unwrap_or_default(),
                    proposed: (col.get)(row, &cx),
                })
                .collect::<Vec<_>>();
            let mut state = state_of(c, id);
            if state == State::Pending && changes.is_empty() {
                // The ledger already says it (accepted elsewhere, or typed in by the facility).
                state = State::Unchanged;
            }
            Proposal {
                row: row.clone(),
                changes,
                state,
                new_row: current.is_none(),
                not_theirs: current.is_some_and(|r| r.vendor_id != Some(vendor)),
            }
        })
        .collect();
    crate::order::sort_by_cached_key(&mut out, |p| {
        (
            p.state != State::Pending,
            super::columns::natural_key(&p.row.number),
            p.row.id.clone(),
        )
    });
    out
}

/// The ledger row accepting `id` gives: the ledger's row (or a new one under the same id) with the fields
/// the vendor changed, and the vendor as its vendor. Written with `ledger::put_row`, only the fields that
/// differ are written.
pub fn accepted_row(
    c: &Contribution,
    ledger: &BTreeMap<String, Device>,
    id: &str,
) -> Result<Device, NotAccepted> {
    let vendor: VendorId = c.meta.vendor_id;
    let row = c
        .rows
        .get(id)
        .ok_or_else(|| NotAccepted::Nothing(id.to_string()))?;
    let current = ledger.get(id);
    if current.is_some_and(|r| r.vendor_id != Some(vendor)) {
        return Err(NotAccepted::NotTheirs(id.to_string()));
    }
    let keys = changed_keys(row, c.base.get(id), current);
    if keys.is_empty() && current.is_some() {
        return Err(NotAccepted::Nothing(id.to_string()));
    }
    let proposed = fields(row);
    let mut merged = fields(&current.cloned().unwrap_or_else(|| Device {
        id: id.to_string(),
        ..Device::default()
    }));
    for k in keys {
        if let Some(v) = proposed.get(&k) {
            merged.insert(k, v.clone());
        }
    }
    let mut out: Device = serde_json::from_value(Value::Object(merged))
        .map_err(|_| NotAccepted::Nothing(id.to_string()))?;
    out.id = id.to_string();
    out.vendor_id = Some(vendor);
    Ok(out)
}

#[cfg(test)]
mod tests;
