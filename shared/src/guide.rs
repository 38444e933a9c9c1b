//! The first steps after set-up, as home shows them: the facility's own checklist, the contact chart, the
//! device ledger and the vendors, each done or not and what is left, from the data alone (nothing is ticked
//! by hand, so a step can never say done while its item would not).
//!
//! A step is done when the check the inspector (or the checklist's own suggestion) applies to it passes:
//! the checklist [`Progress::complete`], the chart [`ChartCheck::complete`] (3-①'s suggestion says the same),
//! a device in use in the 機器台帳 (2-①), and at least one vendor registered, or none needed when the
//! facility has no vendor contract (the manual's ※: 2-② and 2-③ are then 記入不要).

use crate::contacts::ChartCheck;
use crate::progress::Progress;

/// The four steps, in the order home offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Checklist,
    ContactChart,
    DeviceLedger,
    Vendors,
}

impl Step {
    /// A stable name for markup and tests.
    pub fn key(self) -> &'static str {
        match self {
            Step::Checklist => "checklist",
            Step::ContactChart => "contacts",
            Step::DeviceLedger => "devices",
            Step::Vendors => "vendors",
        }
    }
}

/// Where a step stands, with what the person needs to know to finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// No checklist of the facility's own form for this fiscal year.
    NoChecklist,
    /// The checklist, answered so far; `undated` and `no_without_target` keep it from being done.
    Checklist {
        answered: usize,
        total: usize,
        undated: usize,
        no_without_target: usize,
    },
    NoChart,
    /// The chart is still the template as made.
    ChartTemplate,
    /// Contacts (vendors included) that have no number to call.
    ChartMissingPhones(usize),
    ChartDone {
        contacts: usize,
    },
    Devices(usize),
    Vendors(usize),
    /// The facility said it has no vendor contract: nothing to register.
    NoVendorContract,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepState {
    pub step: Step,
    pub done: bool,
    pub status: Status,
}

/// What the steps are computed from: each an answer the app already has.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The progress of the facility's own form for the current fiscal year, if there is one.
    pub checklist: Option<&'a Progress>,
    pub chart: &'a ChartCheck,
    /// Devices in the 機器台帳 not retired.
    pub devices_in_use: usize,
    pub vendors: usize,
    pub has_vendor_contract: bool,
}

/// The four steps, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSteps {
    pub steps: Vec<StepState>,
}

impl FirstSteps {
    pub fn of(f: Facts<'_>) -> FirstSteps {
        let checklist = match f.checklist {
            None => StepState {
                step: Step::Checklist,
                done: false,
                status: Status::NoChecklist,
            },
            Some(p) => StepState {
                step: Step::Checklist,
                done: p.complete(),
                status: Status::Checklist {
                    answered: p.answered,
                    total: p.total,
                    undated: p.undated,
                    no_without_target: p.no_without_target,
                },
            },
        };
        let c = f.chart;
        let missing = c.without_phone.len() + c.vendors_without_phone.len();
        let chart = StepState {
            step: Step::ContactChart,
            done: c.complete(),
            status: if !c.exists {
                Status::NoChart
            } else if c.entered == 0 {
                Status::ChartTemplate
            } else if missing > 0 {
                Status::ChartMissingPhones(missing)
            } else {
                Status::ChartDone {
                    contacts: c.contacts,
                }
            },
        };
        let devices = StepState {
            step: Step::DeviceLedger,
            done: f.devices_in_use > 0,
            status: Status::Devices(f.devices_in_use),
        };
        let vendors = if f.has_vendor_contract {
            StepState {
                step: Step::Vendors,
                done: f.vendors > 0,
                status: Status::Vendors(f.vendors),
            }
        } else {
            StepState {
                step: Step::Vendors,
                done: true,
                status: Status::NoVendorContract,
            }
        };
        FirstSteps {
            steps: vec![checklist, chart, devices, vendors],
        }
    }

    /// The first step not done: the one home puts forward.
    pub fn next(&self) -> Option<&StepState> {
        self.steps.iter().find(|s| !s.done)
    }

    pub fn done(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }

    pub fn all_done(&self) -> bool {
        self.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(exists: bool, entered: usize, without: &[&str]) -> ChartCheck {
        ChartCheck {
            exists,
            reviewed_on: None,
            vendors_without_phone: Vec::new(),
            without_phone: without.iter().map(|s| s.to_string()).collect(),
            contacts: 8,
            entered,
        }
    }

    fn progress(answered: usize, total: usize, undated: usize) -> Progress {
        Progress {
            total,
            answered,
            undated,
            ..Progress::default()
        }
    }

    #[test]
    fn a_new_facility_starts_with_the_checklist() {
        let p = progress(0, 20, 0);
        let c = chart(true, 0, &["管理薬剤師"]);
        let steps = FirstSteps::of(Facts {
            checklist: Some(&p),
            chart: &c,
            devices_in_use: 0,
            vendors: 0,
            has_vendor_contract: true,
        });
        assert_eq!(steps.done(), 0);
        assert_eq!(steps.next().unwrap().step, Step::Checklist);
        assert_eq!(steps.steps[1].status, Status::ChartTemplate);
    }

    #[test]
    fn each_step_is_done_only_when_its_check_passes() {
        let answered_undated = progress(20, 20, 1);
        let c = chart(true, 3, &["開設者（経営者）"]);
        let steps = FirstSteps::of(Facts {
            checklist: Some(&answered_undated),
            chart: &c,
            devices_in_use: 1,
            vendors: 0,
            has_vendor_contract: true,
        });
        assert!(!steps.steps[0].done, "an undated answer is not done");
        assert_eq!(steps.steps[1].status, Status::ChartMissingPhones(1));
        assert!(!steps.steps[1].done);
        assert!(steps.steps[2].done);
        assert!(!steps.steps[3].done, "a vendor contract needs a vendor");
        assert_eq!(steps.next().unwrap().step, Step::Checklist);

        let complete = progress(20, 20, 0);
        let c = chart(true, 3, &[]);
        let steps = FirstSteps::of(Facts {
            checklist: Some(&complete),
            chart: &c,
            devices_in_use: 2,
            vendors: 1,
            has_vendor_contract: true,
        });
        assert!(steps.all_done());
        assert_eq!(steps.done(), 4);
    }

    #[test]
    fn no_vendor_contract_needs_no_vendor() {
        let c = chart(false, 0, &[]);
        let steps = FirstSteps::of(Facts {
            checklist: None,
            chart: &c,
            devices_in_use: 0,
            vendors: 0,
            has_vendor_contract: false,
        });
        assert_eq!(steps.steps[0].status, Status::NoChecklist);
        assert_eq!(steps.steps[1].status, Status::NoChart);
        assert!(steps.steps[3].done);
        assert_eq!(steps.steps[3].status, Status::NoVendorContract);
        assert_eq!(steps.done(), 1);
    }
}
