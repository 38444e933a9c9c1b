//! 機器台帳 and 利用者ID台帳: tables that stay fast with a large hospital's data (only the rows on screen are
//! drawn), search, filter and sort, a form sheet per row, CSV import with a preview of every row's problems
//! (nothing is imported until confirmed) and export with the manual's headers, all on the device; the files
//! themselves (.xlsx, CSV in UTF-8 or Shift_JIS) are read and written by the spreadsheet worker (`sheets`).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use mamori_shared::calendar::Date;
use mamori_shared::ledger::checks::Finding;
use mamori_shared::ledger::columns::{
    CellProblem, Column, Context, account_columns, device_columns,
};
use mamori_shared::ledger::columns::{natural_cmp, natural_key};
use mamori_shared::ledger::import::{self, ImportError, Importable, Mapping, Preview, map_headers};
use mamori_shared::model::FacilityKind;
use mamori_shared::schema::ledger::{Account, Device, Row};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::{Workspace, today, use_workspace};
use crate::tr;

/// Height of one table row, in pixels: rows are drawn only where the table is scrolled to.
const ROW_PX: f64 = 44.0;
/// Rows drawn beyond the visible ones, above and below.
const OVERSCAN: usize = 8;

/// A file's table and the import it would make, while the person checks it.
type Pending<R> = Option<(Vec<Vec<String>>, Preview<R>)>;

/// What a ledger page needs to know about its rows.
pub trait LedgerKind: Row + Importable + PartialEq + Send + Sync + 'static {
    const PATH: &'static str;
    fn title() -> (&'static str, &'static str);
    fn columns(facility: FacilityKind) -> Vec<Column<Self>>;
    /// The finding for a checklist item, over these rows.
    fn finding(ws: Workspace, item: &str, rows: &[Self], today: Date) -> Option<Finding>;
}

impl LedgerKind for Device {
    const PATH: &'static str = "/ledgers/devices";
    fn title() -> (&'static str, &'static str) {
        ("機器台帳", "Device ledger")
    }
    fn columns(_: FacilityKind) -> Vec<Column<Device>> {
        device_columns()
    }
    fn finding(_: Workspace, item: &str, rows: &[Device], today: Date) -> Option<Finding> {
        crate::state::device_finding(item, rows, today)
    }
}

impl LedgerKind for Account {
    const PATH: &'static str = "/ledgers/accounts";
    fn title() -> (&'static str, &'static str) {
        ("利用者ID台帳", "User ID ledger")
    }
    fn columns(facility: FacilityKind) -> Vec<Column<Account>> {
        account_columns(facility == FacilityKind::Pharmacy)
    }
    fn finding(_: Workspace, item: &str, rows: &[Account], today: Date) -> Option<Finding> {
        crate::state::account_finding(item, rows, today)
    }
}

fn context(ws: Workspace) -> Context {
    Context {
        vendors: ws.index().map(|i| i.vendors).unwrap_or_default(),
    }
}

fn facility_kind(ws: Workspace) -> FacilityKind {
    ws.index()
        .map(|i| i.facility.kind)
        .unwrap_or(FacilityKind::Clinic)
}

#[component]
pub fn DeviceLedgerPage() -> impl IntoView {
    facility_only(ledger_page::<Device>)
}

#[component]
pub fn AccountLedgerPage() -> impl IntoView {
    facility_only(ledger_page::<Account>)
}

/// A vendor's user has no facility ledger on its device (the server never sends it one): instead of an
/// empty table offering to add rows, it is told so and sent to its own devices' rows. Decided once the
/// account is known (a memo, so the page is built again only if the answer changes, never on an edit).
fn facility_only<V: IntoView + 'static>(page: fn() -> V) -> impl IntoView {
    let ws = use_workspace();
    let vendor_only = Memo::new(move |_| {
        ws.index().is_none()
            && crate::account::current().is_some_and(|me| {
                !me.memberships.is_empty()
                    && me
                        .memberships
                        .iter()
                        .all(|m| m.role == mamori_shared::access::Role::Vendor)
            })
    });
    move || {
        if !vendor_only.get() {
            // Built untracked: what the page reads while it is built must not rebuild it (and lose an open
            // form sheet) when it changes.
            return untrack(|| page().into_any());
        }
        view! {
            <section class="page ledger-page vendor-no-ledger">
                <p class="banner banner-warn">{tr!(
                    "事業者のアカウントでは施設の台帳は表示されません。保守している機器の記入は「事業者確認用」の画面から行えます。",
                    "A vendor's account does not show the facility's ledgers. Fill in the devices you maintain from your vendor screen."
                )}</p>
                <a class="button" href="/vendor">{tr!("事業者の画面へ", "To your vendor screen")}</a>
            </section>
        }
        .into_any()
    }
}

fn ledger_page<R: LedgerKind>() -> impl IntoView {
    let ws = use_workspace();
    let query = use_query_map();
    let search = RwSignal::new(String::new());
    // Rows of one 状態 only (empty: all).
    let status = RwSignal::new(String::new());
    let sort = RwSignal::new((0usize, false));
    let scroll = RwSignal::new(0.0f64);
    let editing = RwSignal::new(None::<R>);
    let preview = RwSignal::new(Pending::<R>::None);
    let error = RwSignal::new(None::<String>);
    let (ja, en) = R::title();
    let read_only = move || {
        ws.index().is_some_and(|i| {
            crate::account::role_at(i.facility.id) == Some(mamori_shared::access::Role::Viewer)
        })
    };

    let rows = Memo::new(move |_| ws.ledger_rows::<R>());
    // The rows a checklist suggestion points at (`?check=2-⑥`).
    let check = move || query.with(|q| q.get("check"));
    let shown = Memo::new(move |_| {
        let all = rows.get();
        let columns = R::columns(facility_kind(ws));
        let cx = context(ws);
        let needle = search.with(|s| s.trim().to_lowercase());
        let wanted = status.get();
        let status_col = columns.iter().position(|c| c.key == "status");
        let only: Option<Vec<String>> = check().and_then(|item| {
            let list: Vec<R> = all.values().cloned().collect();
            R::finding(ws, &item, &list, today()).map(|f| f.rows)
        });
        let mut out: Vec<(String, Vec<String>)> = all
            .values()
            .filter(|r| {
                only.as_ref()
                    .is_none_or(|ids| ids.iter().any(|id| id == r.id()))
            })
            .map(|r| {
                (
                    r.id().to_string(),
                    columns.iter().map(|c| (c.get)(r, &cx)).collect::<Vec<_>>(),
                )
            })
            .filter(|(_, cells)| {
                needle.is_empty() || cells.iter().any(|c| c.to_lowercase().contains(&needle))
            })
            .filter(|(_, cells)| {
                wanted.is_empty()
                    || status_col
                        .and_then(|i| cells.get(i))
                        .is_some_and(|s| *s == wanted)
            })
            .collect();
        let (col, desc) = sort.get();
        // Natural order (管理番号 2 before 10, dates by date), each row's key made once.
        out.sort_by_cached_key(|r| {
            let cell = r.1.get(col).map_or("", String::as_str);
            (natural_key(cell), cell.to_string(), r.0.clone())
        });
        if desc {
            out.reverse();
        }
        Arc::new(out)
    });
    // The states present in the ledger, for the filter.
    let statuses = move || {
        let cx = context(ws);
        let columns = R::columns(facility_kind(ws));
        let Some(col) = columns.iter().find(|c| c.key == "status") else {
            return Vec::new();
        };
        let mut all: Vec<String> = rows
            .get()
            .values()
            .map(|r| (col.get)(r, &cx))
            .filter(|s| !s.is_empty())
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let headers = move || {
        R::columns(facility_kind(ws))
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
    };

    let visible = move || {
        let all = shown.get();
        let first = ((scroll.get() / ROW_PX) as usize).saturating_sub(OVERSCAN);
        let count = 30 + 2 * OVERSCAN;
        let end = (first + count).min(all.len());
        (first, end, all)
    };

    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            let bytes = match JsFuture::from(file.array_buffer()).await {
                Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                Err(_) => {
                    error.set(Some(
                        "ファイルを読めませんでした (could not read the file)".into(),
                    ));
                    return;
                }
            };
            match crate::sheets::read(&file.name(), &bytes).await {
                Ok(table) => {
                    let columns = R::columns(facility_kind(ws));
                    // Title rows, a date or blank rows often sit above the headers.
                    let header = import::find_header_row(&columns, &table).unwrap_or(0);
                    let mapping = map_headers(&columns, &table[header]);
                    match make_preview::<R>(ws, &table, header, mapping) {
                        Ok(p) => {
                            error.set(None);
                            preview.set(Some((table, p)));
                        }
                        Err(e) => error.set(Some(e.to_string())),
                    }
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    // Export: the table is made here, the file by the spreadsheet worker.
    let export = move |format: &'static str| {
        let columns = R::columns(facility_kind(ws));
        // In the ledger's order: by number, as people read it.
        let mut rows: Vec<R> = rows.get_untracked().values().cloned().collect();
        rows.sort_by(|a, b| natural_cmp(a.number(), b.number()));
        let table = import::export_table(&columns, &rows, &context(ws));
        leptos::task::spawn_local(async move {
            let (made, ext, mime) = match format {
                "xlsx" => (
                    crate::sheets::xlsx(ja, &table).await,
                    ".xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                "sjis" => (
                    crate::sheets::csv(true, &table).await,
                    "-sjis.csv",
                    "text/csv",
                ),
                _ => (crate::sheets::csv(false, &table).await, ".csv", "text/csv"),
            };
            match made {
                Ok(bytes) => crate::download::save_file(
                    &bytes,
                    mime,
                    &format!("{ja}-{}{ext}", today().iso()),
                ),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <section class="page ledger-page" data-ledger=R::KIND.as_str()>
            <h1>{tr!(ja, en)}</h1>
            <div class="ledger-toolbar no-print">
                <input class="ledger-search" type="search" placeholder=tr!("検索（どの列でも）", "Search any column")
                    prop:value=search on:input=move |ev| search.set(event_target_value(&ev)) />
                <select class="ledger-status" aria-label=tr!("状態で絞り込む", "Filter by state") on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">{tr!("すべての状態", "Any state")}</option>
                    {move || statuses().into_iter().map(|v| view! { <option value=v.clone()>{v.clone()}</option> }).collect_view()}
                </select>
                <span class="ledger-count" role="status">{move || format!("{} / {}", shown.get().len(), rows.get().len())}</span>
                <Show when=move || !read_only()>
                    <button class="button primary add-row" on:click=move |_| {
                        let mut r = R::default();
                        r.set_id(mamori_shared::schema::ledger::new_row_id());
                        editing.set(Some(r));
                    }>{tr!("＋ 行を追加", "+ Add a row")}</button>
                    <label class="button import-csv">
                        {tr!("Excel・CSVを取り込む", "Import Excel or CSV")}
                        <input class="import-file" type="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" hidden on:change=on_file />
                    </label>
                </Show>
                <button class="button export-xlsx" on:click=move |_| export("xlsx")>{tr!("Excel（.xlsx）", "Excel (.xlsx)")}</button>
                <button class="button export-utf8" on:click=move |_| export("utf8")>{tr!("CSV（UTF-8）", "CSV (UTF-8)")}</button>
                <button class="button export-sjis" on:click=move |_| export("sjis")>{tr!("CSV（Shift_JIS）", "CSV (Shift_JIS)")}</button>
            </div>
            {move || check().map(|item| view! {
                <p class="banner banner-warn ledger-check">{format!("{item} {}", tr!("の確認対象の行だけを表示しています。", ": showing only the rows behind this check.")())}
                    " "<a href=R::PATH>{tr!("すべて表示", "Show all")}</a></p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="ledger-scroll" on:scroll=move |ev| {
                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    scroll.set(el.scroll_top() as f64);
                }
            }>
                <table class="ledger-table">
                    <thead><tr>{move || headers().into_iter().enumerate().map(|(i, h)| view! {
                        <th><button class="sort" on:click=move |_| sort.update(|s| *s = (i, s.0 == i && !s.1))>
                            {h}{move || match sort.get() { (c, false) if c == i => " ▲", (c, true) if c == i => " ▼", _ => "" }}
                        </button></th>
                    }).collect_view()}</tr></thead>
                    <tbody>
                        {move || {
                            let (first, end, all) = visible();
                            let above = first as f64 * ROW_PX;
                            let below = (all.len() - end) as f64 * ROW_PX;
                            let cols = headers().len();
                            view! {
                                <tr class="spacer" style:height=format!("{above}px")><td colspan=cols></td></tr>
                                {all[first..end].iter().map(|(id, cells)| {
                                    let id = id.clone();
                                    let open = move |_| {
                                        if let Some(r) = rows.get_untracked().get(&id) { editing.set(Some(r.clone())) }
                                    };
                                    view! {
                                        <tr class="ledger-row" on:click=open>
                                            {cells.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                                <tr class="spacer" style:height=format!("{below}px")><td colspan=cols></td></tr>
                            }
                        }}
                    </tbody>
                </table>
            </div>
            {move || editing.get().map(|r| view! { <RowSheet<R> row=r close=editing read_only=read_only() /> })}
            {move || preview.get().map(|(table, p)| view! { <ImportPreview<R> table p close=preview /> })}
        </section>
    }
}

fn make_preview<R: LedgerKind>(
    ws: Workspace,
    table: &[Vec<String>],
    header: usize,
    mapping: Mapping,
) -> Result<Preview<R>, ImportError> {
    let columns = R::columns(facility_kind(ws));
    let existing: Vec<String> = ws
        .ledger_rows::<R>()
        .values()
        .map(|r| r.number().to_string())
        .collect();
    import::preview(&columns, table, header, mapping, &context(ws), &existing)
}

/// What the import would do, row by row; nothing is written until 取り込む.
#[component]
fn ImportPreview<R: LedgerKind>(
    table: Vec<Vec<String>>,
    p: Preview<R>,
    close: RwSignal<Pending<R>>,
) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    let columns = R::columns(facility_kind(ws));
    let header = p.header;
    let headers = table[header].clone();
    let mapping = p.mapping.clone();
    let with_problems = p.with_problems();
    // Rows nobody can tell apart are not imported: a number or a name must be among the columns.
    let identified = p.mapping.identifies(&columns);
    let total = p.rows.len();
    let rows: Vec<R> = p.rows.iter().map(|r| r.row.clone()).collect();
    let new_vendors = p.new_vendors.clone();
    // Thousands of rows take seconds on a slow tablet: say so first, then write them in one change.
    let importing = RwSignal::new(false);
    let confirm = move |_| {
        if importing.get_untracked() {
            return;
        }
        importing.set(true);
        let (rows, new_vendors) = (rows.clone(), new_vendors.clone());
        leptos::task::spawn_local(async move {
            crate::sync::sleep_ms(50).await;
            match ws.import_rows(&rows, &new_vendors) {
                Ok(()) => close.set(None),
                Err(e) => {
                    importing.set(false);
                    error.set(Some(e.to_string()))
                }
            }
        });
    };
    // The person maps a column the import did not recognise; the preview is made again.
    let remap = {
        let table = table.clone();
        let mapping = mapping.clone();
        move |at: usize, to: Option<usize>| {
            let mut m = mapping.clone();
            m.columns[at] = to;
            m.unknown.retain(|h| *h != table[header][at]);
            match make_preview::<R>(ws, &table, header, m) {
                Ok(p) => close.set(Some((table.clone(), p))),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    let options: Vec<(usize, &'static str)> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.header))
        .collect();
    view! {
        <div class="sheet-backdrop">
            <div class="sheet card import-preview" role="dialog">
                <h2>{tr!("取り込みの確認", "Check the import")}</h2>
                <p class="import-summary">{format!("{total}行（問題のある行: {with_problems}）")}</p>
                {(!mapping.refused.is_empty()).then(|| view! {
                    <p class="banner banner-error refused-columns">{format!(
                        "パスワード等の秘密情報の列は取り込みません: {}。台帳にパスワードを記録しないでください（ID台帳はIDと権限を管理するもので、パスワードは各システムで本人が管理します）。",
                        mapping.refused.join("、")
                    )}</p>
                })}
                {(!identified).then(|| view! {
                    <p class="banner banner-error no-identifier" role="alert">{tr!(
                        "管理番号（またはコンピュータ名・ユーザーID）の列を下で選んでください。どの行がどの機器か分からないままでは取り込めません。",
                        "Choose the column with the number (or computer name, user ID) below: rows that cannot be told apart are not imported."
                    )}</p>
                })}
                <ul class="column-map">
                    {headers.iter().enumerate().map(|(i, h)| {
                        let current = mapping.columns[i];
                        let refused = mapping.refused.contains(h);
                        let remap = remap.clone();
                        let options = options.clone();
                        view! {
                            <li data-column=h.clone()>
                                <span class="file-header">{h.clone()}</span>" → "
                                {if refused {
                                    view! { <strong class="refused">{tr!("取り込まない（秘密情報）", "not imported (secret)")}</strong> }.into_any()
                                } else {
                                    view! {
                                        <select class="map-column" on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            remap(i, v.parse().ok());
                                        }>
                                            <option value="" selected=current.is_none()>{tr!("取り込まない", "not imported")}</option>
                                            {options.iter().map(|(j, name)| view! {
                                                <option value=j.to_string() selected=current == Some(*j)>{*name}</option>
                                            }).collect_view()}
                                        </select>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <ol class="row-problems">
                    {p.rows.iter().filter(|r| !r.problems.is_empty()).take(200).map(|r| view! {
                        <li data-line=r.line.to_string()>{format!("{}行目: ", r.line)}{r.problems.iter().map(|x| x.message_ja()).collect::<Vec<_>>().join(" / ")}</li>
                    }).collect_view()}
                </ol>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    <button class="button primary confirm-import" disabled=move || importing.get() || !identified on:click=confirm>{move || if importing.get() {
                        format!("{}（{total}行）", tr!("取り込み中…", "Importing…")())
                    } else {
                        format!("{}（{total}行）", tr!("取り込む", "Import")())
                    }}</button>
                    <button class="button cancel-import" on:click=move |_| close.set(None)>{tr!("キャンセル", "Cancel")}</button>
                </div>
            </div>
        </div>
    }
}

/// The form sheet for one row: every column, read back through the same rules as import.
#[component]
fn RowSheet<R: LedgerKind>(row: R, close: RwSignal<Option<R>>, read_only: bool) -> impl IntoView {
    let ws = use_workspace();
    let columns = R::columns(facility_kind(ws));
    let cx = context(ws);
    let values: Vec<RwSignal<String>> = columns
        .iter()
        .map(|c| RwSignal::new((c.get)(&row, &cx)))
        .collect();
    let error = RwSignal::new(None::<String>);
    let existing = ws.ledger_rows::<R>().contains_key(row.id());
    let save = {
        let row = row.clone();
        let values = values.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let columns = R::columns(facility_kind(ws));
            let cx = context(ws);
            let mut updated = row.clone();
            let mut problems = Vec::new();
            for (c, v) in columns.iter().zip(&values) {
                let text = v.get_untracked();
                match (c.set)(&mut updated, &text, &cx) {
                    Ok(()) => {}
                    Err(CellProblem::BadDate(v)) => problems.push(format!(
                        "{}「{v}」は日付として読めません（例: 2026/11/25）",
                        c.header
                    )),
                    Err(CellProblem::BadChoice(v)) => {
                        problems.push(format!("{}「{v}」は 有・無・不明 のいずれかです", c.header))
                    }
                }
                if c.key == "vendor" && !text.trim().is_empty() && cx.vendor_named(&text).is_none()
                {
                    problems.push(format!(
                        "事業者「{}」は未登録です（事業者の管理で登録してください）",
                        text.trim()
                    ));
                }
            }
            if !problems.is_empty() {
                error.set(Some(problems.join(" / ")));
                return;
            }
            match ws.put_ledger_row(&updated) {
                Ok(()) => close.set(None),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    let remove = {
        let id = row.id().to_string();
        move |_| {
            if window()
                .confirm_with_message("この行を削除しますか？ / Delete this row?")
                .unwrap_or(false)
            {
                match ws.remove_ledger_row::<R>(&id) {
                    Ok(()) => close.set(None),
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        }
    };
    let vendors: Vec<String> = cx.vendors.values().map(|v| v.name.clone()).collect();
    view! {
        <div class="sheet-backdrop">
            <form class="sheet form card row-sheet" on:submit=save>
                <h2>{if existing { tr!("行を編集", "Edit row") } else { tr!("行を追加", "Add a row") }}</h2>
                <datalist id="ledger-vendors">{vendors.into_iter().map(|v| view! { <option value=v></option> }).collect_view()}</datalist>
                <datalist id="ledger-remote"><option value="有"></option><option value="無"></option><option value="不明"></option></datalist>
                {columns.iter().zip(values).map(|(c, v)| {
                    let list = match c.key { "vendor" => Some("ledger-vendors"), "remote" => Some("ledger-remote"), _ => None };
                    view! {
                        <label class="field">
                            <span>{c.header}</span>
                            <input name=c.key type="text" list=list disabled=read_only prop:value=v on:input=move |ev| v.set(event_target_value(&ev)) />
                        </label>
                    }
                }).collect_view()}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    {(!read_only).then(|| view! { <button type="submit" class="button primary save-row">{tr!("保存", "Save")}</button> })}
                    <button type="button" class="button" on:click=move |_| close.set(None)>{tr!("閉じる", "Close")}</button>
                    {(existing && !read_only).then(|| view! { <button type="button" class="button danger remove-row" on:click=remove.clone()>{tr!("削除", "Delete")}</button> })}
                </div>
            </form>
        </div>
    }
}
