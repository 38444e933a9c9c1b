//! Home: the first steps after set-up, the facility's checklists with their progress, and starting new ones.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_navigate;
use mamori_shared::calendar::FiscalYear;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, VendorId};
use mamori_shared::progress::Progress;
use mamori_shared::schema::checklist::ChecklistMeta;
use mamori_shared::year_offer::year_offers;

use crate::i18n::lang;
use crate::state::checklist_title;
use crate::state::{today, use_workspace};
use crate::tr;

#[component]
pub fn HomePage() -> impl IntoView {
    let ws = use_workspace();
    if ws.index().is_none() {
        // A vendor's user has no facility of its own on the device, only the forms it was asked for.
        let vendor = !ws.vendor_forms().is_empty()
            || crate::account::current().is_some_and(|me| {
                me.memberships
                    .iter()
                    .any(|m| m.role == mamori_shared::access::Role::Vendor)
            });
        let to = if vendor { "/vendor" } else { "/setup" };
        return view! { <Redirect path=to /> }.into_any();
    }
    let rows = move || {
        let idx = ws.index()?;
        Some(
            idx.checklists()
                .into_iter()
                .map(|(entry, meta)| (entry.id, meta.clone()))
                .collect::<Vec<_>>(),
        )
    };
    view! {
        <section class="page home">
            <nav class="emergency-tiles">
                <A href="/emergency" attr:class="tile tile-emergency">
                    <strong>{tr!("☎ 緊急連絡", "☎ Emergency contacts")}</strong>
                    <span>{tr!("サイバー攻撃が疑われたら、ここから連絡", "Suspect a cyber attack? Call from here")}</span>
                </A>
                <A href="/incidents" attr:class="tile">
                    <strong>{tr!("インシデント対応記録", "Incident log")}</strong>
                    <span>{tr!("いつ・何が起き・誰に連絡したか", "When, what, and who was called")}</span>
                </A>
                <A href="/contacts" attr:class="tile">
                    <strong>{tr!("連絡体制図", "Contact chart")}</strong>
                    <span>{tr!("編集・見直し・A4印刷", "Edit, review, print on A4")}</span>
                </A>
            </nav>
            {crate::later::later(crate::later::Part::FirstSteps)}
            <h1>{tr!("チェックリスト", "Checklists")}</h1>
            <p class="lead">{tr!(
                "厚生労働省「医療機関等におけるサイバーセキュリティ対策チェックリスト」。少なくとも年に1回、全項目を確認し、確認日を記入します。",
                "The MHLW cybersecurity checklist for medical institutions. Check every item at least once a year and record the date."
            )}</p>
            <ul class="checklist-list">
                {move || rows().unwrap_or_default().into_iter().map(|(id, meta)| view! { <ChecklistRow id meta /> }).collect_view()}
            </ul>
            <NewChecklist />
            <nav class="home-links">
                <A href="/ledgers/devices" attr:class="button">{tr!("機器台帳", "Device ledger")}</A>
                <A href="/ledgers/accounts" attr:class="button">{tr!("利用者ID台帳", "User ID ledger")}</A>
                <A href="/vendors" attr:class="button">{tr!("事業者の管理", "Vendors")}</A>
                <A href="/evidence" attr:class="button">{tr!("証跡（BCP・規程・バックアップ）", "Evidence (BCP, rules, backups)")}</A>
                <A href="/readiness" attr:class="button">{tr!("立入検査の準備状況", "Inspection readiness")}</A>
                <A href="/reminders" attr:class="button">{tr!("期限", "Due dates")}</A>
                <A href="/setup" attr:class="button">{tr!("施設の情報", "Facility details")}</A>
            </nav>
        </section>
    }
    .into_any()
}

/// A checklist's progress, recomputed when it changes.
pub fn progress_of(ws: crate::state::Workspace, id: DocumentId) -> Memo<Option<Progress>> {
    Memo::new(move |_| ws.checklist_progress(id))
}

#[component]
fn ChecklistRow(id: DocumentId, meta: ChecklistMeta) -> impl IntoView {
    let ws = use_workspace();
    let navigate = use_navigate();
    let progress = progress_of(ws, id);
    let title = {
        let meta = meta.clone();
        move || checklist_title(&meta)
    };
    // An edition this device lacks: no progress to show, and the checklist opens read-only.
    let edition_missing = {
        let edition = meta.edition.clone();
        move || {
            ws.revision.track();
            mamori_shared::edition::edition(&edition).is_none()
        }
    };
    // Next year's checklist, offered when due (`mamori_shared::year_offer`): this row's, if it is the one
    // to start from.
    let offer = Memo::new(move |_| {
        let index = ws.index()?;
        year_offers(
            index.checklists().into_iter().map(|(e, m)| (e.id, m)),
            today(),
        )
        .into_iter()
        .find(|o| o.from == id)
        .map(|o| (o.fiscal_year, o.edition.name_ja().to_string()))
    });
    let error = RwSignal::new(None::<String>);
    let start_next = move |_| {
        let Some((year, _)) = offer.get_untracked() else {
            return;
        };
        match ws.carry_forward(id, year) {
            Ok(new_id) => navigate(&format!("/checklists/{new_id}"), Default::default()),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <li class="checklist-row" data-doc=id.to_string()>
            <A href=format!("/checklists/{id}") attr:class="checklist-link">
                <span class="checklist-title">{title}</span>
                {move || edition_missing().then(|| view! {
                    <span class="badge warn edition-missing-badge">{tr!("様式の版が未取得（閲覧のみ）", "Form edition not on this device (read-only)")}</span>
                })}
                {move || progress.get().map(|p| view! {
                    <span class="progress">
                        <progress max=p.total value=p.answered></progress>
                        <span class="progress-count">{format!("{}/{}", p.answered, p.total)}</span>
                        {(p.no_without_target > 0).then(|| view! {
                            <span class="badge warn">{tr!("目標日なしのいいえ", "“No” without target")}" "{p.no_without_target}</span>
                        })}
                        {(p.undated > 0).then(|| view! {
                            <span class="badge warn">{tr!("確認日なし", "Undated")}" "{p.undated}</span>
                        })}
                        {(p.conflicts > 0).then(|| view! {
                            <span class="badge alert">{tr!("回答の食い違い", "Conflicting answers")}" "{p.conflicts}</span>
                        })}
                        {p.complete().then(|| view! { <span class="badge ok">{tr!("記入完了", "Complete")}</span> })}
                    </span>
                })}
            </A>
            <div class="row-actions">
                {move || {
                    let state = crate::sync::use_sync().doc_state(id);
                    view! { <span class="sync-state" data-sync=state.code()>{state.label(lang())}</span> }
                }}
                <A href=format!("/checklists/{id}/print") attr:class="button small">{tr!("印刷", "Print")}</A>
                {move || offer.get().map(|(year, edition)| view! {
                    <button class="button small start-next" data-year=year.0.to_string() on:click=start_next.clone()>
                        {move || next_year_label(lang(), &year.label_ja(), &year.label_en())}
                    </button>
                    <span class="muted small next-edition">{move || lang().pick(format!("{edition}の様式で"), format!("on the {edition} form"))}</span>
                })}
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}

/// Starts a checklist: the facility's own form or a vendor's 事業者確認用, for a fiscal year.
#[component]
fn NewChecklist() -> impl IntoView {
    let ws = use_workspace();
    let navigate = use_navigate();
    let current = today().fiscal_year();
    let fiscal_year = RwSignal::new(current);
    let target = RwSignal::new(String::from("own"));
    let error = RwSignal::new(None::<String>);
    let vendors = move || {
        ws.index()
            .map(|i| i.vendors.into_values().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let own_form = move || {
        ws.index()
            .map(|i| i.facility.kind.institution_form())
            .unwrap_or(FormKind::Medical)
    };

    let create = move |_| {
        let choice = target.get_untracked();
        let (form, vendor) = match choice.as_str() {
            "own" => (own_form(), None),
            v => (FormKind::Vendor, VendorId::parse(v)),
        };
        match ws.create_checklist(form, fiscal_year.get_untracked(), vendor) {
            Ok(id) => navigate(&format!("/checklists/{id}"), Default::default()),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <details class="card new-checklist" id="new-checklist">
            <summary>{tr!("チェックリストを追加", "Add a checklist")}</summary>
            <div class="form">
                <label class="field">
                    <span>{tr!("様式", "Form")}</span>
                    <select name="form" on:change=move |ev| target.set(event_target_value(&ev))>
                        <option value="own">{move || { let f = own_form(); lang().pick(f.title_ja(), f.title_en()) }}</option>
                        {move || vendors().into_iter().map(|v| view! {
                            <option value=v.id.to_string()>{tr!("事業者確認用", "Vendor form")}" — "{v.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{tr!("年度", "Fiscal year")}</span>
                    <select name="fiscal_year" on:change=move |ev| {
                        if let Ok(y) = event_target_value(&ev).parse() { fiscal_year.set(FiscalYear(y)) }
                    }>
                        {[current.0 - 1, current.0, current.0 + 1].into_iter().map(|y| {
                            let fy = FiscalYear(y);
                            view! { <option value=y selected=y == current.0>{move || lang().pick(fy.label_ja(), fy.label_en())}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <p class="muted">{tr!(
                    "事業者確認用は、事業者を登録すると選べます。",
                    "Vendor forms appear once you add a vendor."
                )}</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button class="button primary" on:click=create>{tr!("作成", "Create")}</button>
            </div>
        </details>
    }
}

/// The button that starts next year's checklist from this one: no space inside the Japanese
/// (「令和9年度を前年度から開始」), one in the English ("Start FY2027 from this one").
fn next_year_label(lang: crate::i18n::Lang, year_ja: &str, year_en: &str) -> String {
    lang.pick(
        format!("{year_ja}を前年度から開始"),
        format!("Start {year_en} from this one"),
    )
}
