//! Home's guidance after set-up: the four first steps (`mamori_shared::guide`), the next one put forward
//! with one button that opens it, the others listed with what is left, and how many are done. Nothing is
//! ticked by hand: each step reads the same data the checklist's own suggestions read.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::guide::{Facts, FirstSteps, Status, Step, StepState};

use crate::i18n::{Lang, lang};
use crate::state::{Workspace, today, use_workspace};
use crate::tr;

/// The steps as they stand, and where the facility's own checklist for this year is (the first step's link).
fn first_steps(ws: Workspace) -> Option<(FirstSteps, Option<String>)> {
    let index = ws.index()?;
    let year = today().fiscal_year();
    let own = ws.own_checklist_id(year);
    let progress = own.and_then(|id| ws.checklist_progress(id));
    let check = ws.chart_check();
    let devices = ws.devices_in_use();
    let steps = FirstSteps::of(Facts {
        checklist: progress.as_ref(),
        chart: &check,
        devices_in_use: devices,
        vendors: index.vendors.len(),
        has_vendor_contract: index.facility.has_vendor_contract,
    });
    Some((steps, own.map(|id| format!("/checklists/{id}"))))
}

/// What a step asks for, as its title.
fn title(step: Step, lang: Lang) -> &'static str {
    match step {
        Step::Checklist => lang.pick("チェックリストに答える", "Answer the checklist"),
        Step::ContactChart => lang.pick("連絡体制図をつくる", "Fill in the contact chart"),
        Step::DeviceLedger => lang.pick("機器台帳に機器を登録する", "List your devices"),
        Step::Vendors => lang.pick("保守事業者を登録する", "Add your IT vendors"),
    }
}

/// Why the step matters, said once where it is put forward.
fn why(step: Step, lang: Lang) -> &'static str {
    match step {
        Step::Checklist => lang.pick(
            "全項目に「はい」か「いいえ」で答えます。確認日は今日の日付が入ります。「いいえ」には目標日を入れます。",
            "Answer every item yes or no; today's date is filled in as the date checked. Give each “no” a target date.",
        ),
        Step::ContactChart => lang.pick(
            "サイバー攻撃が疑われたときに誰に電話するかを決めておきます。ひな形の各連絡先に名前と電話番号を入れてください（いない役割は削除できます）。",
            "Decide whom to call when an attack is suspected: give each of the template's contacts a name and number (delete roles you do not have).",
        ),
        Step::DeviceLedger => lang.pick(
            "院内・薬局内のパソコン、サーバ、ルータなどを一覧にします。Excelの台帳があれば取り込めます。",
            "List your computers, servers, routers and so on. An existing Excel ledger can be imported.",
        ),
        Step::Vendors => lang.pick(
            "電子カルテやレセコンなどの保守をしている事業者を登録すると、事業者確認用の依頼と連絡体制図に使えます。",
            "Vendors who maintain your systems (records, billing …) are asked for their vendor form and appear on the contact chart.",
        ),
    }
}

/// What is left (or what is there), in a few words.
fn status_line(s: &StepState, lang: Lang) -> String {
    match &s.status {
        Status::NoChecklist => lang.pick(
            "今年度のチェックリストがありません".into(),
            "No checklist for this fiscal year".into(),
        ),
        Status::Checklist {
            answered,
            total,
            undated,
            no_without_target,
        } => {
            let mut line = lang.pick(
                format!("{answered}/{total} 項目に回答"),
                format!("{answered} of {total} items answered"),
            );
            if *undated > 0 {
                line += &lang.pick(
                    format!("・確認日なし {undated}"),
                    format!(", {undated} undated"),
                );
            }
            if *no_without_target > 0 {
                line += &lang.pick(
                    format!("・目標日なしのいいえ {no_without_target}"),
                    format!(", {no_without_target} “no” without a target"),
                );
            }
            line
        }
        Status::NoChart => lang.pick(
            "連絡体制図がまだありません".into(),
            "No contact chart yet".into(),
        ),
        Status::ChartTemplate => {
            lang.pick("ひな形のまま（未入力）".into(), "Still the template".into())
        }
        Status::ChartMissingPhones(n) => lang.pick(
            format!("電話番号のない連絡先 {n} 件"),
            format!("{n} contacts without a number"),
        ),
        Status::ChartDone { contacts } => lang.pick(
            format!("{contacts} 件の連絡先"),
            format!("{contacts} contacts"),
        ),
        Status::Devices(0) => lang.pick("機器 0 台".into(), "No devices yet".into()),
        Status::Devices(n) => lang.pick(format!("機器 {n} 台"), format!("{n} devices")),
        Status::Vendors(0) => lang.pick("事業者 0 社".into(), "No vendors yet".into()),
        Status::Vendors(n) => lang.pick(format!("事業者 {n} 社"), format!("{n} vendors")),
        Status::NoVendorContract => lang.pick(
            "保守契約なし（施設の情報）: 登録は不要です".into(),
            "No vendor contract (facility details): nothing to add".into(),
        ),
    }
}

fn href(step: Step, checklist: &Option<String>) -> String {
    match step {
        Step::Checklist => checklist
            .clone()
            .unwrap_or_else(|| "/#new-checklist".into()),
        Step::ContactChart => "/contacts".into(),
        Step::DeviceLedger => "/ledgers/devices".into(),
        Step::Vendors => "/vendors".into(),
    }
}

/// The guidance card. Once every step is done it shrinks to one line (the inspection-day readiness summary
/// extends this card).
#[component]
pub fn FirstStepsCard() -> impl IntoView {
    let ws = use_workspace();
    let state = Memo::new(move |_| first_steps(ws));
    move || {
        let (steps, checklist) = state.get()?;
        let l = lang();
        let done = steps.done();
        let total = steps.steps.len();
        if steps.all_done() {
            return Some(
                view! {
                    <section class="first-steps card" data-done="true" aria-labelledby="first-steps-title">
                        <p id="first-steps-title" class="first-steps-done">
                            <span aria-hidden="true">"✓ "</span>
                            {l.pick(
                                "はじめの4ステップはすべて完了しました。年に1回、各項目を見直して確認日を更新してください。",
                                "All four first steps are done. Review every item once a year and update its date.",
                            )}
                        </p>
                        <crate::components::readiness::ReadinessSummary />
                    </section>
                }
                .into_any(),
            );
        }
        let next = steps.next().cloned()?;
        let items = steps
            .steps
            .clone()
            .into_iter()
            .enumerate()
            .map(|(n, s)| {
                let current = s.step == next.step;
                let (status, link) = (status_line(&s, l), href(s.step, &checklist));
                view! {
                    <li class="first-step" data-step=s.step.key() data-done=s.done.to_string()
                        aria-current=current.then_some("step")>
                        <A href=link attr:class="first-step-link">
                            <span class="first-step-mark" aria-hidden="true">
                                {if s.done { "✓".to_string() } else { (n + 1).to_string() }}
                            </span>
                            <span class="first-step-text">
                                <strong>{title(s.step, l)}</strong>
                                <span class="first-step-status">
                                    {if s.done { l.pick("完了 — ", "Done — ") } else { "" }}
                                    {status}
                                </span>
                            </span>
                        </A>
                    </li>
                }
            })
            .collect_view();
        Some(
            view! {
                <section class="first-steps card" data-done="false" aria-labelledby="first-steps-title">
                    <div class="first-steps-head">
                        <h2 id="first-steps-title">{tr!("はじめの一歩", "First steps")}</h2>
                        <span class="first-steps-count">
                            {l.pick(format!("{done}/{total} 完了"), format!("{done} of {total} done"))}
                        </span>
                    </div>
                    <progress class="first-steps-progress" max=total value=done></progress>
                    <div class="first-steps-next">
                        <p>
                            <strong>{l.pick("次にすること: ", "Next: ")}{title(next.step, l)}</strong>
                        </p>
                        <p class="muted">{why(next.step, l)}</p>
                        <A href=href(next.step, &checklist) attr:class="button primary first-steps-go">
                            {l.pick("始める", "Start")}
                        </A>
                    </div>
                    <ol class="first-steps-list">{items}</ol>
                </section>
            }
            .into_any(),
        )
    }
}
