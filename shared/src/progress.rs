//! What a checklist's answers add up to, for the home screen and the inspection view.

use std::collections::BTreeMap;

use crate::answer::Flag;
use crate::calendar::{Date, FiscalYear};
use crate::edition::{Edition, FormKind};
use crate::model::ItemId;
use crate::schema::checklist::ItemAnswers;

/// Counts for one checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Items on the form.
    pub total: usize,
    /// Items with an answer.
    pub answered: usize,
    /// いいえ answers.
    pub no: usize,
    /// いいえ without a 目標日.
    pub no_without_target: usize,
    /// はい / いいえ without a 確認日.
    pub undated: usize,
    /// Items with concurrent answers nobody has chosen between.
    pub conflicts: usize,
}

impl Progress {
    pub fn of(
        edition: &Edition,
        form: FormKind,
        fiscal_year: FiscalYear,
        answers: &BTreeMap<ItemId, ItemAnswers>,
        today: Date,
    ) -> Progress {
        let mut p = Progress::default();
        for item in edition.form_items(form) {
            p.total += 1;
            let Some(a) = answers.get(&item.id) else {
                continue;
            };
            p.answered += 1;
            if !a.conflicts.is_empty() {
                p.conflicts += 1;
            }
            if a.current.choice == crate::answer::Choice::No {
                p.no += 1;
            }
            // A refused answer cannot be in a document written by Mamori; count what is flagged.
            let flags = a
                .current
                .check(&item, form, fiscal_year, today)
                .unwrap_or_default();
            p.no_without_target += flags.contains(&Flag::NoTarget) as usize;
            p.undated += flags.contains(&Flag::Undated) as usize;
        }
        p
    }

    /// Every item answered, dated, and every いいえ with a target: what the inspector checks.
    pub fn complete(&self) -> bool {
        self.total > 0
            && self.answered == self.total
            && self.undated == 0
            && self.no_without_target == 0
    }
}
