//! 期限 on this device: what falls due this fiscal year, from the documents it holds
//! (`mamori_shared::reminders::of_facility` decides, as the server does for its mails; the 期限 screen and
//! the top bar's badge show it).

use leptos::prelude::*;
use mamori_shared::reminders::{self, Reminder};

use super::{Workspace, local_date, today};

impl Workspace {
    /// Everything due within 30 days or overdue for the facility this device shows, soonest first
    /// (reactive).
    pub fn reminders(&self) -> Option<Vec<Reminder>> {
        let index = self.index()?;
        // Read in place: the badge recomputes on every change, so no document is copied for it.
        Some(self.docs.with_value(|docs| {
            reminders::of_facility(&index, |id| docs.get(&id), today(), local_date)
        }))
    }
}
