//! The facts the 準備状況 view is computed from, gathered from this device's documents
//! (`mamori_shared::readiness` decides the colours).

use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::contacts::{self, ChartCheck};
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::ledger::checks::in_use_device;
use mamori_shared::model::DocumentId;
use mamori_shared::readiness::{self, Answers, Document, DocumentKind, Facts, Line, Vendor};
use mamori_shared::schema::ledger::{Account, Device};

use super::{ChecklistView, Workspace, today};

/// How far back a recorded backup still counts as a generation kept.
const BACKUP_WINDOW_DAYS: i64 = 90;

/// The access log's review marks for a facility as this device last heard them.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    pub dates: Vec<Date>,
    pub as_of_ms: i64,
    pub since: Option<Date>,
}

/// The lines for one fiscal year, and where the facility's own form for it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    pub lines: Vec<Line>,
    pub own_checklist: Option<mamori_shared::model::DocumentId>,
}

impl Workspace {
    /// The facility's own form (医療機関確認用 / 薬局確認用) for `year`, if one was started (reactive).
    pub fn own_checklist_id(&self, year: FiscalYear) -> Option<DocumentId> {
        self.index()?.own_checklist(year).map(|e| e.id)
    }

    /// The contact chart's 3-① check (reactive): the same one the home steps and 準備状況 read.
    pub fn chart_check(&self) -> ChartCheck {
        let vendors = self.index().map(|i| i.vendors).unwrap_or_default();
        let chart = self.contact_chart();
        contacts::check(chart.as_ref().map(|c| &c.chart), &vendors)
    }

    /// Devices in the 機器台帳 not retired (reactive).
    pub fn devices_in_use(&self) -> usize {
        self.ledger_rows::<Device>()
            .values()
            .filter(|d| in_use_device(d))
            .count()
    }

    /// 準備状況 of the facility this device shows, for `year` (reactive). `log`: the access log's review
    /// marks as the server last said (`None`: never heard).
    pub fn readiness(&self, year: FiscalYear, log: Option<&Heard>) -> Option<Readiness> {
        let index = self.index()?;
        let checklists = index.checklists();
        let read = |id| self.checklist(id).ok();
        let own: Option<ChecklistView> = self.own_checklist_id(year).and_then(read);
        let vendor_forms: Vec<(String, Option<ChecklistView>)> = index
            .vendors
            .values()
            .map(|v| {
                let form = checklists
                    .iter()
                    .find(|(_, m)| {
                        m.form == FormKind::Vendor
                            && m.vendor_id == Some(v.id)
                            && m.fiscal_year == year
                    })
                    .and_then(|(e, _)| read(e.id));
                (v.name.clone(), form)
            })
            .collect();
        fn answers(view: &ChecklistView) -> Option<Answers<'_>> {
            edition(&view.meta.edition).map(|ed| Answers {
                edition: ed,
                form: view.meta.form,
                answers: &view.answers,
            })
        }
        let vendors: Vec<Vendor<'_>> = vendor_forms
            .iter()
            .map(|(name, form)| Vendor {
                name,
                form: form.as_ref().and_then(answers),
            })
            .collect();
        let check = self.chart_check();
        let devices_in_use = self.devices_in_use();
        let l = crate::i18n::lang();
        let mut documents: Vec<Document> = Vec::new();
        for (title, reviewed) in [
            (
                l.pick("機器台帳", "Device ledger"),
                self.ledger_reviewed::<Device>(),
            ),
            (
                l.pick("利用者ID台帳", "User ID ledger"),
                self.ledger_reviewed::<Account>(),
            ),
        ] {
            documents.push(Document {
                kind: DocumentKind::Other,
                title: title.to_string(),
                effective_on: None,
                reviewed_on: reviewed.and_then(|r| r.on),
            });
        }
        let evidence = self.evidence();
        let now = today();
        if let Some(e) = &evidence {
            documents.extend(
                e.readiness_documents(l.pick("BCP（段階ごとの記入）", "BCP (stage by stage)")),
            );
        }
        let backups = evidence
            .as_ref()
            .map(|e| e.readiness_backups(now, BACKUP_WINDOW_DAYS))
            .unwrap_or_default();
        let lines = readiness::lines(&Facts {
            fiscal_year: year,
            today: now,
            own: own.as_ref().and_then(answers),
            has_vendor_contract: index.facility.has_vendor_contract,
            vendors: &vendors,
            devices_in_use,
            chart: &check,
            documents: &documents,
            log_reviews: log.map(|h| h.dates.as_slice()),
            log_since: log.and_then(|h| h.since),
            backups: &backups,
        });
        Some(Readiness {
            lines,
            own_checklist: own.map(|v| v.id),
        })
    }
}
