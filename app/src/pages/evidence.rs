//! 証跡 — the evidence register: the documents the inspector looks at in person (BCP, 運用管理規程 …) with
//! their effective and review dates, the BCP filled in by stage, and the backups taken. What the 準備状況
//! screen counts for 3-②, 3-③ and 4.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::calendar::Date;
use mamori_shared::model::ItemId;
use mamori_shared::schema::evidence::{BackupRecord, BcpStage, FileRef, Record, RecordKind, Stage};

use crate::components::field::text_field;
use crate::i18n::lang;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn EvidencePage() -> impl IntoView {
    let ws = use_workspace();
    let editing = RwSignal::new(None::<Record>);
    let records = move || {
        ws.evidence()
            .map(|e| e.records().into_iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    // Attached files are fetched once while online, so they open offline too (when there is room).
    let files = Memo::new(move |_| {
        let facility = ws.index()?.facility.id;
        let refs: Vec<FileRef> = ws
            .evidence()?
            .documents
            .into_values()
            .filter_map(|r| r.file)
            .collect();
        Some((facility, refs))
    });
    let online = crate::pwa::use_pwa().online;
    Effect::new(move |_| {
        if let (true, Some((facility, refs))) = (online.get(), files.get()) {
            spawn_local(crate::files::keep_for_offline(facility, refs));
        }
    });
    let add = move |kind: RecordKind| {
        move |_| editing.set(Some(Record::new(kind, crate::state::now_ms())))
    };
    view! {
        <section class="page evidence">
            <h1>{tr!("証跡（文書・BCP・バックアップ）", "Evidence (documents, BCP, backups)")}</h1>
            <p class="lead">{tr!(
                "立入検査では 3-③ の BCP と 4 の規程類を現物で確認します。文書ごとに施行日と見直し日を記録します。",
                "Inspectors look at the BCP (3-③) and the rules (4) in person. Record each document's effective and review dates."
            )}</p>
            <h2>{tr!("文書", "Documents")}</h2>
            <ul class="evidence-list">
                {move || records().into_iter().map(|r| view! { <RecordRow record=r editing /> }).collect_view()}
            </ul>
            <div class="row-actions">
                <button class="button primary add-record" data-kind="bcp" on:click=add(RecordKind::Bcp)>{tr!("＋ BCP", "+ BCP")}</button>
                <button class="button add-record" data-kind="rules" on:click=add(RecordKind::Rules)>{tr!("＋ 運用管理規程", "+ Operating rules")}</button>
                <button class="button add-record" data-kind="other" on:click=add(RecordKind::Other)>{tr!("＋ その他の文書", "+ Another document")}</button>
            </div>
            {move || editing.get().map(|r| view! { <RecordSheet record=r close=editing /> })}
            <BcpStages />
            <Backups />
        </section>
    }
}

fn date_text(d: Option<Date>) -> String {
    d.map(|d| d.iso()).unwrap_or_else(|| "—".into())
}

#[component]
fn RecordRow(record: Record, editing: RwSignal<Option<Record>>) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    let kind = record.kind();
    let id = record.id.clone();
    let r = record.clone();
    let review = move |_| {
        if let Err(e) = ws.mark_evidence_reviewed(&id) {
            error.set(Some(e.to_string()));
        }
    };
    let reviewed = record
        .reviewed
        .clone()
        .and_then(|r| r.on.map(|on| (on, r.by)));
    let facility = untrack(|| ws.index()).map(|i| i.facility.id);
    view! {
        <li class="card evidence-row" data-record=record.id.clone() data-kind=kind.key()>
            <div class="vendor-head">
                <strong class="record-title">{record.title.clone()}</strong>
                <span class="muted">{move || lang().pick(kind.name_ja(), kind.name_en())}" "{record.version.clone()}</span>
                <button class="button small edit-record" on:click=move |_| editing.set(Some(r.clone()))>{tr!("編集", "Edit")}</button>
            </div>
            <dl class="vendor-facts">
                <dt>{tr!("施行日", "Effective")}</dt><dd class="record-effective">{date_text(record.effective_on)}</dd>
                <dt>{tr!("次回見直し", "Next review")}</dt><dd>{date_text(record.next_review_on)}</dd>
                <dt>{tr!("管理責任者", "Owner")}</dt><dd>{record.owner.clone()}</dd>
                <dt>{tr!("対応する項目", "Items")}</dt><dd>{record.items.iter().map(|i| i.as_str().to_string()).collect::<Vec<_>>().join("、")}</dd>
                <dt>{tr!("ファイル", "File")}</dt>
                <dd class="record-file">{record.file.clone().zip(facility).map(|(f, facility)| view! {
                    <a href=crate::files::url(facility, &f.sha256) download=f.name.clone()>{f.name.clone()}</a>
                    " "<span class="muted">{format!("{:.1} MB", f.size as f64 / 1024.0 / 1024.0)}</span>
                })}</dd>
                <dt>{tr!("最終見直し", "Last reviewed")}</dt>
                <dd class="record-reviewed">{match reviewed {
                    Some((on, by)) => format!("{} {by}", on.iso()),
                    None => "—".into(),
                }}</dd>
            </dl>
            <button class="button small mark-record-reviewed" on:click=review>{tr!("今日見直した", "Reviewed today")}</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </li>
    }
}

fn parse_date(s: &str) -> Result<Option<Date>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse_iso(s).map(Some).map_err(|e| e.to_string())
}

/// The form for one document.
#[component]
fn RecordSheet(record: Record, close: RwSignal<Option<Record>>) -> impl IntoView {
    let ws = use_workspace();
    let field = |s: &str| RwSignal::new(s.to_string());
    let title = field(&record.title);
    let version = field(&record.version);
    let owner = field(&record.owner);
    let effective = field(&record.effective_on.map(|d| d.iso()).unwrap_or_default());
    let next_review = field(&record.next_review_on.map(|d| d.iso()).unwrap_or_default());
    let items = field(
        &record
            .items
            .iter()
            .map(|i| i.as_str().to_string())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let note = field(&record.note);
    let kind = RwSignal::new(record.kind());
    let error = RwSignal::new(None::<String>);
    let file = RwSignal::new(record.file.clone());
    let attaching = RwSignal::new(false);
    let facility = untrack(|| ws.index()).map(|i| i.facility.id);
    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let (Some(chosen), Some(facility)) = (input.files().and_then(|l| l.get(0)), facility)
        else {
            return;
        };
        attaching.set(true);
        error.set(None);
        spawn_local(async move {
            match crate::files::attach(facility, chosen).await {
                Ok(r) => file.set(Some(r)),
                Err(e) => error.set(Some(e.to_string())),
            }
            attaching.set(false);
        });
    };
    let is_new = untrack(|| ws.evidence()).is_none_or(|e| !e.documents.contains_key(&record.id));
    let rid = record.id.clone();
    let remove = move |_| match ws.remove_evidence_record(&rid) {
        Ok(()) => close.set(None),
        Err(e) => error.set(Some(e.to_string())),
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        if t(title).is_empty() {
            error.set(Some(
                tr!("文書名を入力してください。", "Enter the document's title.")().into(),
            ));
            return;
        }
        let (effective_on, next_review_on) =
            match (parse_date(&t(effective)), parse_date(&t(next_review))) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => {
                    error.set(Some(e));
                    return;
                }
            };
        let updated = Record {
            kind: kind.get_untracked().key().to_string(),
            title: t(title),
            version: t(version),
            owner: t(owner),
            effective_on,
            next_review_on,
            items: t(items)
                .split(|c: char| c.is_whitespace() || c == '、' || c == ',')
                .filter(|s| !s.is_empty())
                .map(ItemId::new)
                .collect(),
            note: t(note),
            file: file.get_untracked(),
            ..record.clone()
        };
        match ws.put_evidence_record(&updated) {
            Ok(()) => close.set(None),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <div class="sheet-backdrop">
            <form class="sheet form card record-sheet" on:submit=save>
                <h2>{tr!("文書", "Document")}</h2>
                <label class="field">
                    <span>{tr!("種類", "Kind")}</span>
                    <select name="record_kind" on:change=move |ev| kind.set(RecordKind::parse(&event_target_value(&ev)))>
                        {RecordKind::ALL.into_iter().map(|k| view! {
                            <option value=k.key() selected=move || kind.get() == k>{move || lang().pick(k.name_ja(), k.name_en())}</option>
                        }).collect_view()}
                    </select>
                </label>
                {text_field(tr!("文書名", "Title"), "record_title", title, "text")}
                {text_field(tr!("版", "Version"), "record_version", version, "text")}
                {text_field(tr!("管理責任者", "Owner"), "record_owner", owner, "text")}
                {text_field(tr!("施行日（文書が効力を持つ日）", "Effective date (from when it applies)"), "record_effective", effective, "date")}
                {text_field(tr!("次回見直し予定日", "Next review date"), "record_next_review", next_review, "date")}
                {text_field(tr!("対応するチェック項目（例: 3-③ 4-①）", "Checklist items it supports (e.g. 3-③ 4-①)"), "record_items", items, "text")}
                {text_field(tr!("メモ", "Note"), "record_note", note, "text")}
                <label class="field">
                    <span>{tr!("ファイル（PDF・PNG・JPEG、20 MB まで。添付はオンラインで）", "File (PDF, PNG or JPEG, up to 20 MB; attach when online)")}</span>
                    <input name="record_file" type="file" accept="application/pdf,image/png,image/jpeg" on:change=choose />
                </label>
                <p class="record-file-state" role="status">{move || match (attaching.get(), file.get()) {
                    (true, _) => tr!("送信中…", "Sending…")().to_string(),
                    (false, Some(f)) => format!("{} {} ({:.1} MB)", tr!("添付済み:", "Attached:")(), f.name, f.size as f64 / 1024.0 / 1024.0),
                    (false, None) => String::new(),
                }}</p>
                {move || file.get().is_some().then(|| view! {
                    <button type="button" class="button small detach-file" on:click=move |_| file.set(None)>{tr!("添付を外す", "Remove the file")}</button>
                })}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    <button type="submit" class="button primary save-record" disabled=move || attaching.get()>{tr!("保存", "Save")}</button>
                    <button type="button" class="button" on:click=move |_| close.set(None)>{tr!("キャンセル", "Cancel")}</button>
                    {(!is_new).then(|| view! {
                        <button type="button" class="button danger remove-record" on:click=remove.clone()>{tr!("削除", "Remove")}</button>
                    })}
                </div>
            </form>
        </div>
    }
}

/// The BCP by the stages of MHLW's BCP 確認表: what the facility does, who, and when it was last checked.
#[component]
fn BcpStages() -> impl IntoView {
    let ws = use_workspace();
    view! {
        <h2>{tr!("BCP（段階ごとの記入）", "BCP, stage by stage")}</h2>
        <p class="muted">{tr!(
            "厚生労働省の BCP 確認表の段階に沿って、自施設の対応を書きます。5 段階すべてを書くと BCP として数えます。",
            "Following the stages of the MHLW BCP checklist, write what your facility does. With all five stages written it counts as a BCP."
        )}</p>
        <div class="bcp-stages">
            {BcpStage::ALL.into_iter().map(|stage| {
                let current = untrack(|| ws.evidence()).map(|e| e.stage(stage)).unwrap_or_default();
                view! { <StageCard stage current /> }
            }).collect_view()}
        </div>
    }
}

#[component]
fn StageCard(stage: BcpStage, current: Stage) -> impl IntoView {
    let ws = use_workspace();
    let plan = RwSignal::new(current.plan.clone());
    let owner = RwSignal::new(current.owner.clone());
    let checked = RwSignal::new(current.checked_on.map(|d| d.iso()).unwrap_or_default());
    let state = RwSignal::new(None::<Result<(), String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked_on = match parse_date(&checked.get_untracked()) {
            Ok(d) => d.or(Some(crate::state::today())),
            Err(e) => {
                state.set(Some(Err(e)));
                return;
            }
        };
        checked.set(checked_on.map(|d| d.iso()).unwrap_or_default());
        let value = Stage {
            plan: plan.get_untracked().trim().to_string(),
            owner: owner.get_untracked().trim().to_string(),
            checked_on,
        };
        state.set(Some(
            ws.put_bcp_stage(stage, &value).map_err(|e| e.to_string()),
        ));
    };
    view! {
        <form class="card bcp-stage" data-stage=stage.key() on:submit=save>
            <h3>{move || lang().pick(stage.name_ja(), stage.name_en())}</h3>
            <label class="field">
                <span>{tr!("対応内容", "What is done")}</span>
                <textarea name="stage_plan" rows="3" prop:value=plan on:input=move |ev| plan.set(event_target_value(&ev))></textarea>
            </label>
            <label class="field">
                <span>{tr!("担当", "Who")}</span>
                <input name="stage_owner" type="text" prop:value=owner on:input=move |ev| owner.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>{tr!("確認日", "Checked on")}</span>
                <input name="stage_checked" type="date" prop:value=checked on:input=move |ev| checked.set(event_target_value(&ev)) />
            </label>
            <button type="submit" class="button save-stage">{tr!("保存", "Save")}</button>
            {move || match state.get() {
                Some(Ok(())) => view! { <span class="saved-note" role="status">{tr!("保存しました", "Saved")}</span> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                None => ().into_any(),
            }}
        </form>
    }
}

/// バックアップの記録: each backup taken, its generation and medium, whether it is kept offline, when a
/// restore was last tried.
#[component]
fn Backups() -> impl IntoView {
    let ws = use_workspace();
    let backups = move || {
        ws.evidence()
            .map(|e| e.backups().into_iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let taken = RwSignal::new(crate::state::today().iso());
    let generation = RwSignal::new("1".to_string());
    let medium = RwSignal::new(String::new());
    let offline = RwSignal::new(false);
    let restored = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (taken_on, restore_tested_on) = match (
            parse_date(&taken.get_untracked()),
            parse_date(&restored.get_untracked()),
        ) {
            (Ok(Some(a)), Ok(b)) => (a, b),
            (Ok(None), _) => {
                error.set(Some(
                    tr!("取得日を入力してください。", "Enter the date it was taken.")().into(),
                ));
                return;
            }
            (Err(e), _) | (_, Err(e)) => {
                error.set(Some(e));
                return;
            }
        };
        let Ok(generation_no) = generation.get_untracked().trim().parse::<u64>() else {
            error.set(Some(
                tr!(
                    "世代は数字で入力してください。",
                    "Enter the generation as a number."
                )()
                .into(),
            ));
            return;
        };
        let record = BackupRecord {
            taken_on: Some(taken_on),
            generation: generation_no,
            medium: medium.get_untracked().trim().to_string(),
            offline: offline.get_untracked(),
            restore_tested_on,
            ..BackupRecord::new()
        };
        match ws.put_backup_record(&record) {
            Ok(()) => {
                error.set(None);
                medium.set(String::new());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <h2>{tr!("バックアップの記録", "Backups taken")}</h2>
        <p class="muted">{tr!(
            "手引きは世代管理を求め、3世代目以降をオフラインにすることを「望ましい」としています。",
            "The manual asks for generations, and calls keeping the third and older offline desirable."
        )}</p>
        <table class="backup-list">
            <thead><tr>
                <th>{tr!("取得日", "Taken")}</th><th>{tr!("世代", "Gen.")}</th><th>{tr!("媒体", "Medium")}</th>
                <th>{tr!("オフライン", "Offline")}</th><th>{tr!("復元テスト", "Restore tested")}</th><th></th>
            </tr></thead>
            <tbody>
                {move || backups().into_iter().map(|b| {
                    let id = b.id.clone();
                    view! {
                        <tr class="backup-row" data-backup=b.id.clone()>
                            <td>{date_text(b.taken_on)}</td>
                            <td>{b.generation}</td>
                            <td>{b.medium.clone()}</td>
                            <td>{if b.offline { "○" } else { "—" }}</td>
                            <td>{date_text(b.restore_tested_on)}</td>
                            <td><button class="button small remove-backup" on:click=move |_| {
                                if let Err(e) = ws.remove_backup_record(&id) { error.set(Some(e.to_string())) }
                            }>{tr!("削除", "Remove")}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <form class="card form backup-form" on:submit=add>
            <label class="field"><span>{tr!("取得日", "Taken on")}</span>
                <input name="backup_taken" type="date" prop:value=taken on:input=move |ev| taken.set(event_target_value(&ev)) /></label>
            <label class="field"><span>{tr!("世代（1 が最新）", "Generation (1 is newest)")}</span>
                <input name="backup_generation" type="number" min="1" prop:value=generation on:input=move |ev| generation.set(event_target_value(&ev)) /></label>
            <label class="field"><span>{tr!("媒体（外付けHDD・クラウドなど）", "Medium (external disk, cloud …)")}</span>
                <input name="backup_medium" type="text" prop:value=medium on:input=move |ev| medium.set(event_target_value(&ev)) /></label>
            <label class="field checkbox"><input name="backup_offline" type="checkbox" prop:checked=offline on:change=move |ev| offline.set(event_target_checked(&ev)) />
                <span>{tr!("オフラインで保管（書き込み不可）", "Kept offline (not writable)")}</span></label>
            <label class="field"><span>{tr!("復元テストをした日", "Restore tested on")}</span>
                <input name="backup_restored" type="date" prop:value=restored on:input=move |ev| restored.set(event_target_value(&ev)) /></label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" class="button primary add-backup">{tr!("記録する", "Record")}</button>
        </form>
    }
}
