//! What Mamori's own data says about a checklist item, shown beside it as a suggestion: the person still
//! answers はい/いいえ. Item 3-① reads the contact chart, 3-③ points to the first-response template, and
//! 2-①…2-⑥, 2-⑩ word the ledgers' findings (`mamori_shared::ledger::checks`): each part of a finding with its
//! count and a link to exactly its rows, the most urgent rows named first.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::calendar::{Date, DateStyle};
use mamori_shared::contacts;
use mamori_shared::edition::FormKind;
use mamori_shared::ledger::checks::{About, Entry, Finding, Issue, Part};
use mamori_shared::model::ItemId;

use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn Suggestion(item: ItemId, form: FormKind) -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    if form == FormKind::Vendor {
        return None;
    }
    match item.as_str() {
        "3-①" => Some(
            view! {
                <aside class="suggestion chart-suggestion" role="note">
                    {
                    // A memo: re-read when the chart or the index changes, re-rendered only when what it
                    // says changed (not on every answer).
                    let check = Memo::new(move |_| {
                        let vendors = ws.index_narrow().map(|i| i.vendors).unwrap_or_default();
                        contacts::check(ws.contact_chart().as_ref().map(|c| &c.chart), &vendors)
                    });
                    move || {
                        let check = check.get();
                        let style = settings.with(|s| s.dates());
                        let mut lines: Vec<String> = Vec::new();
                        if !check.exists {
                            lines.push(tr!("連絡体制図はまだありません。", "There is no contact chart yet.")().into());
                        } else if check.entered == 0 {
                            lines.push(tr!(
                                "連絡体制図はひな形のままです。連絡先の名前と電話番号を入力してください。",
                                "The contact chart is still the template: enter the contacts' names and numbers."
                            )().into());
                        } else {
                            lines.push(format!("{}（{}{}）", tr!("連絡体制図があります", "The contact chart exists")(), check.entered, tr!("件の連絡先を入力済み", " contacts entered")()));
                            lines.push(match check.reviewed_on {
                                Some(d) => format!("{} {}", tr!("最終見直し:", "Last reviewed:")(), d.display(style)),
                                None => tr!("見直しの記録がありません。", "No review recorded.")().into(),
                            });
                            if !check.without_phone.is_empty() {
                                let names: Vec<String> = check.without_phone.iter().map(|r| crate::i18n::lang().pick(r.clone(), mamori_shared::contacts::english::word(r))).collect();
                                lines.push(format!("{} {}", tr!("電話番号のない連絡先:", "Contacts without a number:")(), names.join(tr!("、", ", ")())));
                            }
                        }
                        if !check.vendors_without_phone.is_empty() {
                            lines.push(format!("{} {}", tr!("電話番号のない事業者:", "Vendors without a number:")(), check.vendors_without_phone.join("、")));
                        }
                        let state = if check.complete() { "ok" } else { "todo" };
                        view! {
                            <div data-state=state>
                                <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                                <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                                <A href="/contacts">{tr!("連絡体制図を開く", "Open the contact chart")}</A>
                            </div>
                        }
                    }}
                </aside>
            }
            .into_any(),
        ),
        "3-③" => Some(
            view! {
                <aside class="suggestion bcp-suggestion" role="note">
                    <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                    <p>{tr!(
                        "BCPの初動手順は、インシデント対応記録のひな形（切り離し・記録・連絡・報告・紙運用・バックアップ確認）と合わせて確認できます。",
                        "Check your BCP's first steps against the incident log template (isolate, record, call, report, paper operation, backups)."
                    )}</p>
                    <a href="/incidents#steps">{tr!("初動の手順（ひな形）を見る", "See the first-response template")}</a>
                </aside>
            }
            .into_any(),
        ),
        "2-①" | "2-②" | "2-③" | "2-④" | "2-⑤" | "2-⑥" | "2-⑩" => Some(
            view! {
                <aside class="suggestion ledger-suggestion" role="note">
                    <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                    {
                    // Re-computed only when a ledger or the index changes (answering items does not).
                    let findings = Memo::new(move |_| ws.ledger_findings(item.as_str()));
                    move || {
                        let style = settings.with(|s| s.dates());
                        let lang = crate::i18n::lang();
                        findings
                            .get()
                            .into_iter()
                            .map(|(f, path)| finding_view(&f, path, style, lang))
                            .collect_view()
                    }}
                </aside>
            }
            .into_any(),
        ),
        _ => None,
    }
}

/// Rows named in a part before the rest are counted (「ほか N 台」).
pub const NAMED_ROWS: usize = 10;

/// What a part is about, in Japanese and English (also the ledger page's banner).
pub fn issue_name(issue: Issue) -> (&'static str, &'static str) {
    match issue {
        Issue::NoLocation => ("設置場所が空", "No location"),
        Issue::NoUser => ("利用者が空", "No user"),
        Issue::NoVersion => ("ソフトウェアバージョンが空", "No software version"),
        Issue::RemoteUnknown => (
            "リモートメンテナンスの有無が不明な、事業者保守の機器",
            "Vendor-maintained devices with remote maintenance unknown",
        ),
        Issue::NoMds => ("MDS/SDS 未受領の事業者", "Vendors without their MDS/SDS"),
        Issue::Admin => ("管理者権限のアカウント", "Administrator accounts"),
        Issue::UnnamedAdmin => (
            "氏名のない管理者アカウント（共用？）",
            "Administrator accounts with no person's name (shared?)",
        ),
        Issue::PastPlannedEnd => (
            "退職予定日を過ぎても有効なアカウント",
            "Accounts still usable after their planned end",
        ),
        Issue::Unused => (
            "90日以上使われていない有効なアカウント",
            "Usable accounts unused for 90 days",
        ),
        Issue::UnsupportedOs => ("サポート終了OSの機器", "Devices on an unsupported OS"),
        Issue::Unpatched => (
            "90日以上更新（パッチ適用）のない機器",
            "Devices unpatched for 90 days",
        ),
    }
}

/// A count with the unit its rows take: 台 (devices), 件 (accounts), 社 (vendors).
pub fn count(issue: Issue, n: usize, lang: crate::i18n::Lang) -> String {
    let ja = match issue {
        Issue::NoMds => "社",
        Issue::Admin | Issue::UnnamedAdmin | Issue::PastPlannedEnd | Issue::Unused => "件",
        _ => "台",
    };
    lang.pick(format!("{n}{ja}"), n.to_string())
}

/// Parts whose rows are named; the others are a count and a link (2-①'s fields, 2-⑥'s unpatched).
fn named(issue: Issue) -> bool {
    !matches!(
        issue,
        Issue::NoLocation | Issue::NoUser | Issue::NoVersion | Issue::Unpatched
    )
}

/// One row as the suggestion names it: the name people know it by, then what matters for this part.
fn entry_line(issue: Issue, e: &Entry, style: DateStyle, lang: crate::i18n::Lang) -> String {
    let date = |d: Option<Date>| d.map(|d| d.display(style)).unwrap_or_default();
    let pieces: Vec<String> = match issue {
        Issue::UnsupportedOs => vec![
            e.detail.clone(),
            lang.pick(
                format!("サポート終了 {}", date(e.date)),
                format!("support ended {}", date(e.date)),
            ),
            e.location.clone(),
        ],
        Issue::Unpatched => vec![
            lang.pick(
                format!("最終更新 {}", date(e.date)),
                format!("last patched {}", date(e.date)),
            ),
            e.location.clone(),
        ],
        Issue::PastPlannedEnd => vec![
            e.detail.clone(),
            lang.pick(
                format!("退職予定 {}", date(e.date)),
                format!("planned end {}", date(e.date)),
            ),
        ],
        Issue::Unused => vec![
            e.detail.clone(),
            lang.pick(
                format!("最終利用 {}", date(e.date)),
                format!("last used {}", date(e.date)),
            ),
        ],
        Issue::Admin | Issue::UnnamedAdmin => vec![e.detail.clone()],
        Issue::NoMds => Vec::new(),
        _ => vec![e.location.clone()],
    };
    let pieces: Vec<String> = pieces
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect();
    if pieces.is_empty() {
        e.name.clone()
    } else {
        lang.pick(
            format!("{}（{}）", e.name, pieces.join("、")),
            format!("{} ({})", e.name, pieces.join(", ")),
        )
    }
}

/// The line above the parts: what was looked at, or why there is nothing to list.
fn headline(f: &Finding, lang: crate::i18n::Lang) -> Option<String> {
    let text = match (f.item, f.about) {
        ("2-①", About::Devices { in_use: 0, .. })
        | ("2-②" | "2-⑥", About::Devices { in_use: 0, .. }) => lang.pick(
            "機器台帳に機器がありません。".to_string(),
            "The device ledger is empty.".to_string(),
        ),
        ("2-①", About::Devices { in_use, .. }) if f.ok => lang.pick(
            format!(
                "機器台帳: {in_use}台、設置場所・利用者・ソフトウェアバージョンがすべて記入済み。"
            ),
            format!("Device ledger: {in_use} devices, all with location, user and version."),
        ),
        ("2-①", About::Devices { in_use, .. }) => lang.pick(
            format!("機器 {in_use}台（廃棄を除く）のうち、記入漏れのある項目:"),
            format!("Of {in_use} devices (retired ones aside), fields left empty:"),
        ),
        ("2-②", About::Devices { remote, .. }) if f.ok => lang.pick(
            format!(
                "事業者が保守する機器のリモートメンテナンスはすべて確認済み（有: {remote}台）。"
            ),
            format!(
                "Remote maintenance known for every vendor-maintained device ({remote} remote)."
            ),
        ),
        ("2-③", About::Vendors { registered }) if f.ok => lang.pick(
            format!("{registered}社すべての MDS/SDS を受領済み。"),
            format!("MDS/SDS received from all {registered} vendors."),
        ),
        ("2-④", About::Accounts { usable: 0, .. }) => lang.pick(
            "利用者ID台帳に有効な利用者がいません。".to_string(),
            "The user ID ledger has no usable account.".to_string(),
        ),
        (
            "2-④",
            About::Accounts {
                usable,
                admins_allowed,
            },
        ) => {
            let admins = f.part(Issue::Admin).map_or(0, |p| p.rows.len());
            if admins == 0 {
                lang.pick(
                    "管理者権限のアカウントが台帳にありません。".to_string(),
                    "No administrator account in the ledger.".to_string(),
                )
            } else if admins > admins_allowed {
                lang.pick(
                    format!("管理者権限が{admins}件（利用可能な{usable}件中）と多めです（目安: {admins_allowed}件以下）。"),
                    format!("{admins} administrator accounts of {usable} in use: more than the {admins_allowed} expected."),
                )
            } else {
                lang.pick(
                    format!("管理者権限: {admins}件（利用可能な{usable}件中）。"),
                    format!("{admins} administrator accounts of {usable} in use."),
                )
            }
        }
        ("2-⑤", _) if f.ok => lang.pick(
            "退職予定日を過ぎた、または90日以上使われていない有効なアカウントはありません。"
                .to_string(),
            "No usable account past its planned end or unused for 90 days.".to_string(),
        ),
        ("2-⑥", _) if f.ok => lang.pick(
            "サポート終了OSや90日以上未更新の機器は台帳にありません。".to_string(),
            "No device on an unsupported OS or unpatched for 90 days.".to_string(),
        ),
        (_, About::MonthsToR9 { .. }) if f.ok => lang.pick(
            "令和9年度に入りました。".to_string(),
            "Fiscal 2027 has begun.".to_string(),
        ),
        (_, About::MonthsToR9 { months }) => lang.pick(
            format!("令和9年度（2027年4月1日）まで、あと{months}か月です。"),
            format!("{months} months until fiscal 2027 (1 April 2027)."),
        ),
        _ => return None,
    };
    Some(text)
}

/// One part: what it is, how many, a link to exactly its rows, and (for the parts that name rows) the
/// first [`NAMED_ROWS`] in order with 「ほか N 台」 for the rest.
fn part_view(
    item: &'static str,
    part: &Part,
    fault: bool,
    path: &'static str,
    style: DateStyle,
    lang: crate::i18n::Lang,
) -> impl IntoView + use<> {
    let (ja, en) = issue_name(part.issue);
    let key = part.issue.key();
    let n = part.rows.len();
    let href = if path == "/vendors" {
        path.to_string()
    } else {
        format!("{path}?check={item}&part={key}")
    };
    let label = format!("{}: {}", lang.pick(ja, en), count(part.issue, n, lang));
    let list = named(part.issue).then(|| {
        let more = n.saturating_sub(NAMED_ROWS);
        view! {
            <ol class="finding-rows">
                {part.rows.iter().take(NAMED_ROWS).map(|e| view! {
                    <li data-row=e.id.clone()>{entry_line(part.issue, e, style, lang)}</li>
                }).collect_view()}
            </ol>
            {(more > 0).then(|| view! {
                <p class="finding-more">{lang.pick(format!("ほか {}", count(part.issue, more, lang)), format!("and {more} more"))}</p>
            })}
        }
    });
    view! {
        <div class="finding-part" data-part=key>
            <p class="finding" data-ok=(!fault).to_string()>{label}" "<a href=href class="finding-link">{lang.pick("該当する行を見る", "See the rows")}</a></p>
            {list}
        </div>
    }
}

/// A finding worded: its headline, then each part.
fn finding_view(
    f: &Finding,
    path: &'static str,
    style: DateStyle,
    lang: crate::i18n::Lang,
) -> impl IntoView + use<> {
    // The warning mark goes on the lines that need attention: the parts, or the headline when it is all.
    let headline_ok = f.ok || !f.parts.is_empty();
    let headline = headline(f, lang).map(|h| {
        view! { <p class="finding finding-headline" data-ok=headline_ok.to_string()>{h}</p> }
    });
    // 2-④ lists its administrators even when they are few enough: that part is a fault only when not.
    let parts = f
        .parts
        .iter()
        .map(|p| {
            let fault = match (p.issue, f.about) {
                (Issue::Admin, About::Accounts { admins_allowed, .. }) => {
                    p.rows.len() > admins_allowed
                }
                _ => true,
            };
            part_view(f.item, p, fault, path, style, lang)
        })
        .collect_view();
    view! {
        <div class="finding-group" data-ok=f.ok.to_string()>
            {headline}
            {parts}
        </div>
    }
}
