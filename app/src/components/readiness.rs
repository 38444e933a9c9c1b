//! 準備状況 in words: each line's title, what it found, its mark, and the review marks the server last
//! reported. Shared by the 準備状況 screen, the binder and home's one-line summary (pages import this;
//! components never import pages).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use mamori_shared::access::Role;
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::model::{FacilityId, ItemId};
use mamori_shared::readiness::{Finding, FormState, Level, Line, Stale, Topic, overall};

use crate::api::{self, NO_BODY};
use crate::i18n::{Lang, lang};
use crate::settings::use_settings;
use crate::state::{Heard, local_date, today, use_workspace};

pub fn cached_reviews(facility: FacilityId, year: FiscalYear) -> Option<Heard> {
    use_settings().with(|s| {
        let r = s.log_reviews.get(&facility.to_string())?;
        // Only marks known to be complete for `year` count: an older cache said nothing of earlier years.
        let complete = match r.from_ms {
            Some(from) => from <= start_ms(year),
            None => r.as_of_ms >= start_ms(year) && year == today().fiscal_year(),
        };
        complete.then(|| Heard {
            dates: r
                .dates
                .iter()
                .filter_map(|d| Date::parse_iso(d).ok())
                .collect(),
            as_of_ms: r.as_of_ms,
            since: r.since_ms.and_then(local_date),
        })
    })
}

/// The fiscal year's first moment on this device's clock (Unix ms).
fn start_ms(year: FiscalYear) -> i64 {
    let start = year.start();
    js_sys::Date::new_with_year_month_day(
        start.year() as u32,
        i32::from(start.month()) - 1,
        i32::from(start.day()),
    )
    .get_time() as i64
}

/// The fiscal year a 準備状況 or binder URL names (`?year=2025`: 令和7年度), this one by default.
pub fn chosen_year() -> Memo<FiscalYear> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        query
            .with(|q| q.get("year").and_then(|y| y.parse::<i32>().ok()))
            .filter(|y| (2023..=2100).contains(y))
            .map(FiscalYear)
            .unwrap_or_else(|| today().fiscal_year())
    })
}

/// The fiscal years worth offering: this one, the last, and every year the facility has a form for.
pub fn offered_years() -> Vec<FiscalYear> {
    let ws = use_workspace();
    let now = today().fiscal_year();
    let mut years: Vec<FiscalYear> = vec![now, FiscalYear(now.0 - 1)];
    if let Some(index) = ws.index() {
        years.extend(index.checklists().into_iter().map(|(_, m)| m.fiscal_year));
    }
    mamori_shared::order::sort_by_key(&mut years, |y| std::cmp::Reverse(y.0));
    years.dedup();
    years
}

/// Asks the server for this fiscal year's review marks (a 管理者 only: the log is theirs) and keeps them on
/// the device. Quietly nothing offline or for others: the cached answer, with its time, stays.
pub fn refresh_log_reviews(facility: FacilityId, year: FiscalYear) {
    if crate::account::role_at(facility) != Some(Role::Admin) {
        return;
    }
    // Never narrower than what the device already keeps: a year looked at before stays readable offline.
    let kept = use_settings().with_untracked(|s| {
        s.log_reviews
            .get(&facility.to_string())
            .and_then(|r| r.from_ms)
    });
    let from = kept.map_or(start_ms(year), |k| k.min(start_ms(year)));
    spawn_local(async move {
        let path = format!("/api/facilities/{facility}/log?kind=reviewed&from={from}");
        let Ok(page) = api::call("GET", &path, NO_BODY)
            .await
            .and_then(|a| a.read::<mamori_shared::api::LogPage>())
        else {
            return;
        };
        let dates: Vec<String> = page
            .entries
            .iter()
            .filter_map(|e| local_date(e.at))
            .map(|d| d.iso())
            .collect();
        let heard = crate::settings::LogReviews {
            dates,
            as_of_ms: js_sys::Date::now() as i64,
            since_ms: page.facility_since,
            from_ms: Some(from),
        };
        use_settings().update(|s| {
            s.log_reviews.insert(facility.to_string(), heard);
        });
    });
}

/// Up to five item ids, then how many more.
fn ids(list: &[ItemId]) -> String {
    let mut s = list
        .iter()
        .take(5)
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join("、");
    if list.len() > 5 {
        s.push_str(&format!(" …（+{}）", list.len() - 5));
    }
    s
}

pub fn title(topic: Topic, l: Lang) -> &'static str {
    match topic {
        Topic::Answered => l.pick("全項目の回答と確認日", "Every item answered and dated"),
        Topic::Targets => l.pick("「いいえ」の目標日", "Target dates for every “no”"),
        Topic::VendorForms => l.pick("事業者確認用の回収", "Vendor forms collected"),
        Topic::DeviceLedger => l.pick("2-① 機器台帳", "2-① Device ledger"),
        Topic::ContactChart => l.pick("3-① 連絡体制図", "3-① Contact chart"),
        Topic::Bcp => l.pick("3-③ BCP（事業継続計画）", "3-③ BCP"),
        Topic::Rules => l.pick("4 規程類", "4 Rules"),
        Topic::LogReview => l.pick("アクセスログの定期確認", "Monthly access-log review"),
        Topic::DocumentsReviewed => l.pick(
            "文書の見直し（12か月以内）",
            "Documents reviewed within 12 months",
        ),
        Topic::Backups => l.pick(
            "バックアップ3世代・1つはオフライン",
            "Three backup generations, one offline",
        ),
    }
}

/// What a line found, in words.
pub fn detail(line: &Line, l: Lang) -> String {
    let green = line.level == Level::Green;
    match &line.finding {
        Finding::NoChecklist => l.pick(
            "今年度のチェックリストがありません".into(),
            "No checklist for this fiscal year".into(),
        ),
        Finding::Answers {
            total,
            unanswered,
            undated,
            outside_year,
        } => {
            if green {
                return l.pick(
                    format!("{total} 項目すべて回答・確認日あり"),
                    format!("All {total} items answered and dated"),
                );
            }
            let mut parts = Vec::new();
            if !unanswered.is_empty() {
                parts.push(l.pick(
                    format!("未回答 {} 件（{}）", unanswered.len(), ids(unanswered)),
                    format!("{} unanswered ({})", unanswered.len(), ids(unanswered)),
                ));
            }
            if !undated.is_empty() {
                parts.push(l.pick(
                    format!("確認日なし {} 件（{}）", undated.len(), ids(undated)),
                    format!("{} without a date ({})", undated.len(), ids(undated)),
                ));
            }
            if !outside_year.is_empty() {
                parts.push(l.pick(
                    format!(
                        "確認日が年度外 {} 件（{}）",
                        outside_year.len(),
                        ids(outside_year)
                    ),
                    format!(
                        "{} dated outside the year ({})",
                        outside_year.len(),
                        ids(outside_year)
                    ),
                ));
            }
            parts.join(" / ")
        }
        Finding::Targets {
            no,
            without,
            after_year,
            overdue,
        } => {
            if green {
                return match no {
                    0 => l.pick("「いいえ」はありません".into(), "No “no” answers".into()),
                    n => l.pick(
                        format!("「いいえ」{n} 件すべてに年度内の目標日あり"),
                        format!("All {n} “no” answers have a target within the year"),
                    ),
                };
            }
            let mut parts = Vec::new();
            if !without.is_empty() {
                parts.push(l.pick(
                    format!("目標日なし {} 件（{}）", without.len(), ids(without)),
                    format!("{} without a target ({})", without.len(), ids(without)),
                ));
            }
            if !after_year.is_empty() {
                parts.push(l.pick(
                    format!(
                        "目標日が年度末より後 {} 件（{}）",
                        after_year.len(),
                        ids(after_year)
                    ),
                    format!(
                        "{} after the year's end ({})",
                        after_year.len(),
                        ids(after_year)
                    ),
                ));
            }
            if !overdue.is_empty() {
                parts.push(l.pick(
                    format!("目標日を過ぎた {} 件（{}）", overdue.len(), ids(overdue)),
                    format!("{} overdue ({})", overdue.len(), ids(overdue)),
                ));
            }
            parts.join(" / ")
        }
        Finding::NoVendorContract => l.pick(
            "保守契約なし: 事業者確認用は不要です（手引きの※）".into(),
            "No vendor contract: vendor forms are not required".into(),
        ),
        Finding::Vendors(forms) if forms.is_empty() => l.pick(
            "保守契約ありですが、事業者が登録されていません".into(),
            "A vendor contract, but no vendor registered".into(),
        ),
        Finding::Vendors(forms) => forms
            .iter()
            .map(|v| {
                let state = match &v.state {
                    FormState::NotRequested => l.pick("未依頼".into(), "not requested".into()),
                    FormState::Requested => l.pick("依頼済".into(), "requested".into()),
                    FormState::InProgress { answered, total } => l.pick(
                        format!("回答中 {answered}/{total}"),
                        format!("in progress {answered}/{total}"),
                    ),
                    FormState::Collected => l.pick("回収済".into(), "collected".into()),
                };
                let no = if v.no.is_empty() {
                    String::new()
                } else {
                    l.pick(
                        format!("・いいえ {}", ids(&v.no)),
                        format!(", no: {}", ids(&v.no)),
                    )
                };
                format!("{}: {state}{no}", v.name)
            })
            .collect::<Vec<_>>()
            .join(" / "),
        Finding::Devices(0) => l.pick(
            "使用中の機器が登録されていません".into(),
            "No device in use is listed".into(),
        ),
        Finding::Devices(n) => l.pick(
            format!("使用中の機器 {n} 台"),
            format!("{n} devices in use"),
        ),
        Finding::Chart(c) if !c.exists => l.pick(
            "連絡体制図がありません".into(),
            "No contact chart yet".into(),
        ),
        Finding::Chart(c) if c.complete() => l.pick(
            format!("連絡先 {} 件すべて電話番号あり", c.entered),
            format!("All {} contacts have a number", c.entered),
        ),
        Finding::Chart(c) => l.pick(
            format!(
                "電話番号のない連絡先があります（入力済み {} 件）",
                c.entered
            ),
            format!("Some contacts have no number ({} entered)", c.entered),
        ),
        Finding::Evidence(found) if found.is_empty() => l.pick(
            "登録されていません（証跡に登録）".into(),
            "Not registered (add it under Evidence)".into(),
        ),
        Finding::Evidence(found) => found
            .iter()
            .map(|(t, on)| match on {
                Some(d) => l.pick(
                    format!("{t}（施行 {}）", d.iso()),
                    format!("{t} (effective {})", d.iso()),
                ),
                None => t.clone(),
            })
            .collect::<Vec<_>>()
            .join(" / "),
        Finding::LogReview {
            last,
            months_without,
        } => {
            let last = match last {
                Some(d) => l.pick(format!("最終確認 {}", d.iso()), format!("last {}", d.iso())),
                None => l.pick("確認の記録なし".into(), "never reviewed".into()),
            };
            if months_without.is_empty() {
                last
            } else {
                let months = months_without
                    .iter()
                    .map(|(y, m)| format!("{y}/{m}"))
                    .collect::<Vec<_>>()
                    .join("、");
                l.pick(
                    format!("{last} / 確認のない月: {months}"),
                    format!("{last} / months without one: {months}"),
                )
            }
        }
        Finding::Stale(list) if list.is_empty() => l.pick(
            "すべて12か月以内に見直し済み".into(),
            "All reviewed within 12 months".into(),
        ),
        Finding::Stale(list) => {
            let names = list
                .iter()
                .map(|s| match s {
                    Stale::ContactChart => l.pick("連絡体制図", "Contact chart").to_string(),
                    Stale::Document(t) => t.clone(),
                })
                .collect::<Vec<_>>()
                .join("、");
            l.pick(
                format!("見直しが必要: {names}"),
                format!("Due for review: {names}"),
            )
        }
        Finding::Backups {
            generations,
            offline,
        } => l.pick(
            format!("直近90日の記録: {generations} 世代、うちオフライン {offline}"),
            format!("Last 90 days: {generations} generations, {offline} offline"),
        ),
    }
}

pub fn mark(level: Level) -> &'static str {
    match level {
        Level::Green => "✓",
        Level::Amber => "!",
        Level::Red => "✕",
    }
}

/// Home's one-line summary once the first steps are done: how ready the facility is, with a link.
#[component]
pub fn ReadinessSummary() -> impl IntoView {
    let ws = use_workspace();
    let year = today().fiscal_year();
    let state = Memo::new(move |_| {
        let f = ws.index()?.facility.id;
        let cached = cached_reviews(f, year);
        let r = ws.readiness(year, cached.as_ref())?;
        let missing = r
            .lines
            .iter()
            .filter(|x| !x.topic.advice() && x.level != Level::Green)
            .count();
        Some((overall(&r.lines), missing))
    });
    move || {
        state.get().map(|(level, missing)| {
            let l = lang();
            view! {
                <A href="/readiness" attr:class="readiness-summary" attr:data-level=level.key()>
                    <span class="readiness-mark" aria-hidden="true">{mark(level)}</span>
                    {match level {
                        Level::Green => l.pick("立入検査の準備: できています".to_string(), "Inspection readiness: ready".to_string()),
                        _ => l.pick(format!("立入検査の準備: あと {missing} 項目"), format!("Inspection readiness: {missing} things left")),
                    }}
                </A>
            }
        })
    }
}
