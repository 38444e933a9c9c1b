//! 期限 on this device: what falls due this fiscal year, from the documents it holds
//! (`mamori_shared::reminders` decides; the 期限 screen and the top bar's badge show it).

use mamori_shared::edition::{FormKind, edition};
use mamori_shared::readiness::Answers;
use mamori_shared::reminders::{self, Chart, Form, REVIEW_DAYS, Reminder, Review, Watch};
use mamori_shared::schema::DocKind;

use super::{ChecklistView, Workspace, local_date, today};

impl Workspace {
    /// Everything due within 30 days or overdue for the facility this device shows, soonest first
    /// (reactive).
    pub fn reminders(&self) -> Option<Vec<Reminder>> {
        let index = self.index()?;
        let now = today();
        let year = now.fiscal_year();
        let read = |id| self.checklist(id).ok();
        let own: Option<ChecklistView> = self.own_checklist_id(year).and_then(read);
        let vendor_views: Vec<ChecklistView> = index
            .checklists()
            .into_iter()
            .filter(|(_, m)| m.form == FormKind::Vendor && m.fiscal_year == year)
            .filter_map(|(e, _)| read(e.id))
            .collect();
        fn form(view: &ChecklistView) -> Option<Form<'_>> {
            Some(Form {
                id: view.id,
                answers: Answers {
                    edition: edition(&view.meta.edition)?,
                    form: view.meta.form,
                    answers: &view.answers,
                },
                started_on: local_date(view.meta.created_at_ms)?,
                vendor: (view.meta.form == FormKind::Vendor)
                    .then_some(view.meta.vendor_name.as_str()),
            })
        }
        let vendor_forms: Vec<Form<'_>> = vendor_views.iter().filter_map(form).collect();
        let reviews: Vec<Review> = self
            .evidence()
            .map(|e| {
                e.records()
                    .into_iter()
                    .filter_map(|r| {
                        let due = r
                            .next_review_on
                            .or_else(|| r.last_checked().map(|d| d.plus_days(REVIEW_DAYS)))?;
                        Some(Review {
                            title: r.title.clone(),
                            due,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let check = self.chart_check();
        let chart = index
            .documents_of(DocKind::ContactChart)
            .into_iter()
            .filter_map(|e| local_date(e.created_at_ms))
            .min()
            .filter(|_| check.exists)
            .map(|made_on| Chart {
                made_on,
                reviewed_on: check.reviewed_on,
            });
        Some(reminders::reminders(&Watch {
            today: now,
            own: own.as_ref().and_then(form),
            vendor_forms: &vendor_forms,
            reviews: &reviews,
            chart,
        }))
    }
}
