//! Which fiscal year's checklist to offer to start from last year's, and when.
//!
//! A form's check is due every fiscal year (April to March). Each form (and each vendor's 事業者確認用) gets
//! at most one offer: the current fiscal year as soon as it has no checklist of that form, whatever the
//! month (a clinic that forgot in April is still due in November); and from 1 March, the last month of a
//! year already started, the next fiscal year, so the new year's check can begin before April. The offer
//! starts from the newest checklist before the year offered and names the edition the new one will use.
//! Pure: the home screen asks with today's date, the tests with any.

use std::collections::BTreeMap;

use crate::calendar::{Date, FiscalYear};
use crate::edition::{Edition, FormKind, edition_for_fiscal_year};
use crate::model::{DocumentId, VendorId};
use crate::schema::checklist::ChecklistMeta;

/// Start `fiscal_year`'s checklist from `from` (answers carried over as undated drafts).
#[derive(Debug, Clone)]
pub struct YearOffer {
    pub from: DocumentId,
    pub fiscal_year: FiscalYear,
    /// The edition the new checklist will use.
    pub edition: &'static Edition,
}

/// One form of a facility: a vendor's 事業者確認用 is its own.
type FormOf = (FormKind, Option<VendorId>);

/// The offers for a facility's checklists on `today`, at most one per form (and vendor).
pub fn year_offers<'a>(
    checklists: impl IntoIterator<Item = (DocumentId, &'a ChecklistMeta)>,
    today: Date,
) -> Vec<YearOffer> {
    let now = today.fiscal_year();
    let mut by_form: BTreeMap<FormOf, Vec<(DocumentId, &ChecklistMeta)>> = BTreeMap::new();
    for (id, meta) in checklists {
        by_form
            .entry((meta.form, meta.vendor_id))
            .or_default()
            .push((id, meta));
    }
    let mut out = Vec::new();
    for list in by_form.values() {
        let has = |year: FiscalYear| list.iter().any(|(_, m)| m.fiscal_year == year);
        let target = if !has(now) {
            now
        } else if today.month() == 3 && !has(now.next()) {
            now.next()
        } else {
            continue;
        };
        // The newest checklist before the year offered (the last created, if a year has two).
        let from = list
            .iter()
            .filter(|(_, m)| m.fiscal_year < target)
            .max_by_key(|(_, m)| (m.fiscal_year, m.created_at_ms));
        if let Some((from, _)) = from {
            out.push(YearOffer {
                from: *from,
                fiscal_year: target,
                edition: edition_for_fiscal_year(target.0),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FacilityId;

    fn meta(form: FormKind, year: i32, created: i64) -> ChecklistMeta {
        ChecklistMeta {
            facility_id: FacilityId::generate(),
            form,
            edition: "r7".into(),
            fiscal_year: FiscalYear(year),
            vendor_id: None,
            vendor_name: String::new(),
            created_at_ms: created,
            copied_from: None,
            moved_from_edition: None,
        }
    }

    fn offers(
        list: &[(DocumentId, ChecklistMeta)],
        y: i32,
        m: u8,
        d: u8,
    ) -> Vec<(DocumentId, i32)> {
        year_offers(
            list.iter().map(|(id, m)| (*id, m)),
            Date::new(y, m, d).unwrap(),
        )
        .into_iter()
        .map(|o| (o.from, o.fiscal_year.0))
        .collect()
    }

    #[test]
    fn the_current_year_is_offered_in_any_month_it_lacks_a_checklist() {
        let r7 = DocumentId::generate();
        let list = vec![(r7, meta(FormKind::Medical, 2025, 1))];
        // 1 July 2026 is in 令和8年度, which has no checklist: offered, from 令和7年度.
        assert_eq!(offers(&list, 2026, 7, 1), vec![(r7, 2026)]);
        assert_eq!(offers(&list, 2027, 1, 15), vec![(r7, 2026)]);
        // 28 February 2026 is still 令和7年度, which has one: nothing yet.
        assert_eq!(offers(&list, 2026, 2, 28), vec![]);
    }

    #[test]
    fn the_next_year_is_offered_from_the_first_of_march() {
        let r7 = DocumentId::generate();
        let list = vec![(r7, meta(FormKind::Medical, 2025, 1))];
        assert_eq!(offers(&list, 2026, 3, 1), vec![(r7, 2026)]);
        assert_eq!(offers(&list, 2026, 3, 31), vec![(r7, 2026)]);
        // Once started, nothing is offered until next March.
        let r8 = DocumentId::generate();
        let both = vec![list[0].clone(), (r8, meta(FormKind::Medical, 2026, 2))];
        assert_eq!(offers(&both, 2026, 3, 15), vec![]);
        assert_eq!(offers(&both, 2026, 7, 1), vec![]);
        assert_eq!(offers(&both, 2027, 3, 1), vec![(r8, 2027)]);
    }

    #[test]
    fn each_form_and_vendor_gets_its_own_offer_from_its_newest_checklist() {
        let old = DocumentId::generate();
        let newer = DocumentId::generate();
        let vendor = DocumentId::generate();
        let mut v = meta(FormKind::Vendor, 2025, 5);
        v.vendor_id = Some(VendorId::generate());
        let list = vec![
            (old, meta(FormKind::Medical, 2024, 1)),
            (newer, meta(FormKind::Medical, 2025, 2)),
            (vendor, v),
        ];
        let mut got = offers(&list, 2026, 7, 1);
        got.sort();
        let mut want = vec![(newer, 2026), (vendor, 2026)];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn the_offer_names_the_edition_it_will_use() {
        let r7 = DocumentId::generate();
        let list = [(r7, meta(FormKind::Pharmacy, 2025, 1))];
        let offer = year_offers(
            list.iter().map(|(id, m)| (*id, m)),
            Date::new(2026, 7, 1).unwrap(),
        );
        assert_eq!(offer[0].edition.id(), edition_for_fiscal_year(2026).id());
    }
}
