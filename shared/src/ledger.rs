//! Ledgers as people use them: the columns of the 機器台帳 and 利用者ID台帳 ([`columns`]), importing the files
//! clinics already keep and exporting them back ([`import`]), and what the ledgers tell checklist items
//! 2-①…2-⑥ and 2-⑩ ([`checks`]), and what a vendor's contribution proposes to the 機器台帳 ([`proposals`]). The
//! documents themselves are [`crate::schema::ledger`] and [`crate::schema::vendor_devices`].

pub mod checks;
pub mod columns;
pub mod import;
pub mod proposals;

use crate::model::VendorId;
use crate::schema::ledger::{Account, Device};

impl import::Importable for Device {
    const STATUSES: &'static [&'static str] = &["稼働", "停止", "廃棄", "予備", "保管", "修理"];

    fn number(&self) -> &str {
        &self.number
    }

    fn status(&self) -> &str {
        &self.status
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    fn keep_note(&mut self, note: &str) {
        self.description = join_note(&self.description, note);
    }

    fn set_vendor(&mut self, vendor: VendorId) {
        self.vendor_id = Some(vendor);
    }
}

impl import::Importable for Account {
    const STATUSES: &'static [&'static str] = &["使用可", "使用中", "停止", "無効", "削除", "休止"];

    fn number(&self) -> &str {
        &self.user_id
    }

    fn status(&self) -> &str {
        &self.status
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }

    fn keep_note(&mut self, note: &str) {
        self.description = join_note(&self.description, note);
    }
}

fn join_note(existing: &str, note: &str) -> String {
    if existing.trim().is_empty() {
        note.to_string()
    } else {
        format!("{existing} / {note}")
    }
}

#[cfg(test)]
mod tests;
