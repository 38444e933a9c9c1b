//! Civil dates, fiscal years (年度, April–March) and Japanese era display (和暦).
//!
//! Checklists are dated in the institution's local calendar with no time of day, so a date is a plain
//! calendar day; "today" is supplied by the caller (the browser's local date), keeping this module pure.

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use time::Month;

use crate::error::DateError;

/// A calendar day. Stored in documents as ISO `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// How the user likes dates shown: 令和8年11月24日 or 2026/11/24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    #[default]
    Japanese,
    Western,
}

/// A Japanese era (元号) and the day it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    /// Newest first, with the first day of each era.
    const STARTS: [(Era, i32, u8, u8); 5] = [
        (Era::Reiwa, 2019, 5, 1),
        (Era::Heisei, 1989, 1, 8),
        (Era::Showa, 1926, 12, 25),
        (Era::Taisho, 1912, 7, 30),
        (Era::Meiji, 1868, 10, 23),
    ];

    pub fn name_ja(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The era of a day and the year within it (1 for the first, 元年), or `None` before Meiji.
    pub fn of(date: Date) -> Option<(Era, i32)> {
        Era::STARTS.iter().find_map(|&(era, y, m, d)| {
            let start = Date::new(y, m, d).expect("era start dates are valid");
            (date >= start).then(|| (era, date.year() - y + 1))
        })
    }
}

/// `1` is written 元 in era years (令和元年).
fn era_year_ja(year: i32) -> String {
    if year == 1 {
        "元".to_string()
    } else {
        year.to_string()
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        let text = || format!("{year:04}-{month:02}-{day:02}");
        let month = Month::try_from(month).map_err(|_| DateError::NoSuchDay(text()))?;
        time::Date::from_calendar_date(year, month, day)
            .map(Date)
            .map_err(|_| DateError::NoSuchDay(text()))
    }

    /// Parses `YYYY-MM-DD` (what `<input type="date">` gives and documents store).
    pub fn parse_iso(s: &str) -> Result<Date, DateError> {
        let bad = || DateError::Format(s.to_string());
        let mut parts = s.trim().splitn(3, '-');
        let (y, m, d) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let num = |p: &str| p.parse::<u16>().map_err(|_| bad());
        Date::new(num(y)? as i32, num(m)? as u8, num(d)? as u8)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// Whole days from `earlier` to this day (negative when `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        (self.0 - earlier.0).whole_days()
    }

    /// The day `days` later (earlier when negative), saturating at the calendar's ends.
    pub fn plus_days(self, days: i64) -> Date {
        Date(
            self.0
                .checked_add(time::Duration::days(days))
                .unwrap_or(if days < 0 {
                    time::Date::MIN
                } else {
                    time::Date::MAX
                }),
        )
    }

    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }

    /// The fiscal year (年度) this day falls in: April to March.
    pub fn fiscal_year(self) -> FiscalYear {
        FiscalYear(if self.month() >= 4 {
            self.year()
        } else {
            self.year() - 1
        })
    }

    /// The day shown as the user prefers: 令和8年11月24日 or 2026/11/24.
    pub fn display(self, style: DateStyle) -> String {
        match (style, Era::of(self)) {
            (DateStyle::Japanese, Some((era, y))) => {
                format!(
                    "{}{}年{}月{}日",
                    era.name_ja(),
                    era_year_ja(y),
                    self.month(),
                    self.day()
                )
            }
            _ => format!("{:04}/{:02}/{:02}", self.year(), self.month(), self.day()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Date::parse_iso(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A fiscal year (年度), named by the calendar year in which it starts on 1 April.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(transparent)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    pub fn start(self) -> Date {
        Date::new(self.0, 4, 1).expect("1 April exists")
    }

    pub fn end(self) -> Date {
        Date::new(self.0 + 1, 3, 31).expect("31 March exists")
    }

    pub fn contains(self, date: Date) -> bool {
        date.fiscal_year() == self
    }

    pub fn next(self) -> FiscalYear {
        FiscalYear(self.0 + 1)
    }

    /// 令和8年度 (or FY2026 for English).
    ///
    /// A fiscal year is named by the era of its first December: FY2019 began under Heisei (April 2019) but
    /// is 令和元年度, as the government names it.
    pub fn label_ja(self) -> String {
        let december = Date::new(self.0, 12, 31).expect("31 December exists");
        match Era::of(december) {
            Some((era, y)) => format!("{}{}年度", era.name_ja(), era_year_ja(y)),
            None => format!("{}年度", self.0),
        }
    }

    pub fn label_en(self) -> String {
        format!("FY{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn parses_iso_and_refuses_impossible_days() {
        assert_eq!(d("2026-11-24").iso(), "2026-11-24");
        assert_eq!(
            Date::parse_iso("2026-02-29"),
            Err(DateError::NoSuchDay("2026-02-29".into()))
        );
        assert!(Date::parse_iso("2028-02-29").is_ok());
        assert!(matches!(
            Date::parse_iso("2026/11/24"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(Date::parse_iso(""), Err(DateError::Format(_))));
        assert!(matches!(
            Date::parse_iso("2026-13-01"),
            Err(DateError::NoSuchDay(_))
        ));
    }

    #[test]
    fn fiscal_year_turns_over_on_the_first_of_april() {
        assert_eq!(d("2026-03-31").fiscal_year(), FiscalYear(2025));
        assert_eq!(d("2026-04-01").fiscal_year(), FiscalYear(2026));
        assert_eq!(d("2027-03-31").fiscal_year(), FiscalYear(2026));
        assert_eq!(FiscalYear(2026).start(), d("2026-04-01"));
        assert_eq!(FiscalYear(2026).end(), d("2027-03-31"));
        assert!(FiscalYear(2026).contains(d("2026-11-24")));
        assert!(!FiscalYear(2026).contains(d("2027-04-01")));
    }

    #[test]
    fn fiscal_year_labels_follow_the_era() {
        assert_eq!(FiscalYear(2026).label_ja(), "令和8年度");
        assert_eq!(FiscalYear(2025).label_ja(), "令和7年度");
        // FY2019 began in Heisei 31 but is named 令和元年度.
        assert_eq!(FiscalYear(2019).label_ja(), "令和元年度");
        assert_eq!(FiscalYear(2018).label_ja(), "平成30年度");
        assert_eq!(FiscalYear(1988).label_ja(), "昭和63年度");
        assert_eq!(FiscalYear(2026).label_en(), "FY2026");
    }

    #[test]
    fn era_display_around_the_boundaries() {
        assert_eq!(
            d("2026-11-24").display(DateStyle::Japanese),
            "令和8年11月24日"
        );
        assert_eq!(d("2026-11-24").display(DateStyle::Western), "2026/11/24");
        assert_eq!(
            d("2019-04-30").display(DateStyle::Japanese),
            "平成31年4月30日"
        );
        assert_eq!(
            d("2019-05-01").display(DateStyle::Japanese),
            "令和元年5月1日"
        );
        assert_eq!(
            d("2020-01-01").display(DateStyle::Japanese),
            "令和2年1月1日"
        );
        assert_eq!(
            d("1989-01-07").display(DateStyle::Japanese),
            "昭和64年1月7日"
        );
        assert_eq!(
            d("1989-01-08").display(DateStyle::Japanese),
            "平成元年1月8日"
        );
        // Before Meiji there is no era to show: fall back to the western form.
        assert_eq!(d("1850-01-01").display(DateStyle::Japanese), "1850/01/01");
    }
}

/// The calendar date (year, month, day) `days` after 1970-01-01 (H. Hinnant's civil-from-days algorithm):
/// for Unix times and spreadsheet serial days alike, without a date library.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The calendar day in Japan (JST) of a Unix time in milliseconds: the server's "today" for reminders.
pub fn jst_date(ms: i64) -> Option<Date> {
    let days = (ms.div_euclid(1000) + 9 * 3600).div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Date::new(year as i32, month as u8, day as u8).ok()
}

/// A moment as Japan shows it, `YYYY-MM-DD HH:MM:SS` (JST, UTC+9, no daylight saving), from Unix
/// milliseconds: how the access log prints server and device times for the inspector.
pub fn jst_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 9 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod jst_tests {
    use super::jst_timestamp;

    #[test]
    fn server_times_print_in_japan_time() {
        assert_eq!(jst_timestamp(0), "1970-01-01 09:00:00");
        // 2026-11-24T15:30:05Z is the next morning in Japan.
        assert_eq!(jst_timestamp(1_795_534_205_000), "2026-11-25 00:30:05");
        assert_eq!(jst_timestamp(951_782_400_000), "2000-02-29 09:00:00");
    }
}
