//! An item's answer and the rules it must satisfy.
//!
//! An answer is one unit (choice, dates, note, who entered it): it is always written whole as a fresh map
//! (see [`crate::schema::checklist::put_answer`]), so two devices answering the same item apart never merge
//! into one device's はい with the other's 目標日.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::calendar::{Date, FiscalYear};
use crate::edition::{FormItem, FormKind};
use crate::error::AnswerError;

/// The box circled on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum Choice {
    /// はい
    #[autosurgeon(rename = "yes")]
    Yes,
    /// いいえ: needs a target date (目標日).
    #[autosurgeon(rename = "no")]
    No,
    /// 記入不要: 2-② and 2-③ on institution forms when the institution has no vendor contract.
    #[autosurgeon(rename = "not_required")]
    NotRequired,
    /// 対象外: a vendor-form item the contract does not cover, with a reason.
    #[autosurgeon(rename = "not_applicable")]
    NotApplicable,
}

impl Choice {
    pub fn label_ja(self) -> &'static str {
        match self {
            Choice::Yes => "はい",
            Choice::No => "いいえ",
            Choice::NotRequired => "記入不要",
            Choice::NotApplicable => "対象外",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Choice::Yes => "Yes",
            Choice::No => "No",
            Choice::NotRequired => "Not required",
            Choice::NotApplicable => "Not applicable",
        }
    }

    /// The choices a form offers for an item.
    pub fn offered(item: &FormItem<'_>, form: FormKind) -> Vec<Choice> {
        let mut all = vec![Choice::Yes, Choice::No];
        if item.not_required_without_vendor {
            all.push(Choice::NotRequired);
        }
        if form == FormKind::Vendor {
            all.push(Choice::NotApplicable);
        }
        all
    }
}

/// Who wrote an answer, from which device, and when (milliseconds since the Unix epoch, device clock).
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Entry {
    pub by: String,
    pub device: String,
    pub at_ms: i64,
    /// Entered by the institution from the vendor's paper form (事業者確認用 only).
    pub on_behalf_of_vendor: bool,
}

/// One item's answer.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Answer {
    pub choice: Choice,
    /// 確認日: the day it was checked.
    #[autosurgeon(with = "crate::schema::date_repr")]
    pub checked_on: Option<Date>,
    /// 目標日: by when a いいえ will be fixed.
    #[autosurgeon(with = "crate::schema::date_repr")]
    pub target_on: Option<Date>,
    pub note: String,
    /// Why an item is 対象外 (vendor forms).
    pub reason: String,
    pub entry: Entry,
}

/// Something to fix that does not stop the answer being saved: shown on the item and counted in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// はい / いいえ without a 確認日.
    Undated,
    /// いいえ without a 目標日.
    NoTarget,
    /// A 目標日 after the end of the checklist's fiscal year (the form asks for one within it).
    TargetAfterFiscalYear,
    /// 対象外 without the reason the vendor form asks for.
    NoReason,
}

impl Flag {
    pub fn message_ja(self) -> &'static str {
        match self {
            Flag::Undated => "確認日が入力されていません",
            Flag::NoTarget => "「いいえ」には目標日が必要です",
            Flag::TargetAfterFiscalYear => "目標日が年度末より後です",
            Flag::NoReason => "対象外の理由を入力してください",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            Flag::Undated => "No check date yet",
            Flag::NoTarget => "A “No” needs a target date",
            Flag::TargetAfterFiscalYear => "The target date is after the end of the fiscal year",
            Flag::NoReason => "Give the reason it does not apply",
        }
    }
}

impl Answer {
    /// A new answer with the given choice, checked today.
    pub fn new(choice: Choice, today: Date, entry: Entry) -> Answer {
        Answer {
            choice,
            checked_on: matches!(choice, Choice::Yes | Choice::No).then_some(today),
            target_on: None,
            note: String::new(),
            reason: String::new(),
            entry,
        }
    }

    /// Refuses what the form cannot hold; returns what should be flagged but may be saved.
    pub fn check(
        &self,
        item: &FormItem<'_>,
        form: FormKind,
        fiscal_year: FiscalYear,
        today: Date,
    ) -> Result<Vec<Flag>, AnswerError> {
        if let Some(checked) = self.checked_on
            && checked > today
        {
            return Err(AnswerError::CheckDateInFuture(checked.iso()));
        }
        if let (Some(checked), Some(target)) = (self.checked_on, self.target_on)
            && target < checked
        {
            return Err(AnswerError::TargetBeforeCheck {
                checked: checked.iso(),
                target: target.iso(),
            });
        }
        match self.choice {
            Choice::NotRequired if !item.not_required_without_vendor => {
                return Err(AnswerError::NotRequiredNotAllowed);
            }
            Choice::NotApplicable if form != FormKind::Vendor => {
                return Err(AnswerError::NotApplicableNotAllowed);
            }
            _ => {}
        }
        let mut flags = Vec::new();
        if self.choice == Choice::NotApplicable && self.reason.trim().is_empty() {
            flags.push(Flag::NoReason);
        }
        if matches!(self.choice, Choice::Yes | Choice::No) && self.checked_on.is_none() {
            flags.push(Flag::Undated);
        }
        if self.choice == Choice::No {
            match self.target_on {
                None => flags.push(Flag::NoTarget),
                Some(t) if t > fiscal_year.end() => flags.push(Flag::TargetAfterFiscalYear),
                Some(_) => {}
            }
        }
        Ok(flags)
    }

    /// The answer as a draft for the next fiscal year: the same choice and note, dates cleared.
    pub fn as_draft(&self, entry: Entry) -> Answer {
        Answer {
            checked_on: None,
            target_on: None,
            entry,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests;
