//! 機器台帳 and 利用者ID台帳: tables that stay fast with a large hospital's data (only the rows on screen are
//! drawn), search, filter and sort, a form sheet per row, CSV import with a preview of every row's problems
//! (nothing is imported until confirmed) and export with the manual's headers, all on the device; the files
//! themselves (.xlsx, CSV in UTF-8 or Shift_JIS) are read and written by the spreadsheet worker (`sheets`).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use mamori_shared::calendar::Date;
use mamori_shared::ledger::checks::{Finding, Issue};
use mamori_shared::ledger::columns::{Column, Context, account_columns, device_columns};
use mamori_shared::ledger::columns::{natural_cmp, natural_key};
use mamori_shared::ledger::import::{
    self, ImportError, Importable, Mapping, Preview, Sheet, Target, map_headers,
};
use mamori_shared::model::FacilityKind;
use mamori_shared::schema::ledger::{Account, Device, Row};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::components::suggestion::{count, issue_name};
use crate::i18n::lang;
use crate::settings::use_settings;
use crate::state::{Imported, Workspace, today, use_workspace};
use crate::tr;

/// Height of one table row, in pixels: rows are drawn only where the table is scrolled to.
const ROW_PX: f64 = 44.0;
/// Rows drawn beyond the visible ones, above and below.
const OVERSCAN: usize = 8;

/// A file being imported, while the person checks it: its sheets, the sheet and header row chosen, what each
/// of its columns becomes, and the import that would make (or why there is none).
#[derive(Clone)]
pub struct Pending<R> {
    sheets: Arc<Vec<Sheet>>,
    sheet: usize,
    header: usize,
    mapping: Mapping,
    preview: Result<Preview<R>, String>,
}

impl<R: LedgerKind> Pending<R> {
    /// The import of `sheets` with the choices given; what is not given is found (the sheet holding the
    /// ledger, its header row, the columns its headers name).
    fn new(
        ws: Workspace,
        sheets: Arc<Vec<Sheet>>,
        sheet: Option<usize>,
        header: Option<usize>,
        mapping: Option<Mapping>,
    ) -> Self {
        let columns = R::columns(facility_kind(ws));
        let (sheet, header) = match (sheet, header) {
            (None, _) => {
                let tables: Vec<&[Vec<String>]> =
                    sheets.iter().map(|s| s.rows.as_slice()).collect();
                import::find_sheet(&columns, &tables)
            }
            (Some(s), None) => (
                s,
                import::find_header_row(&columns, &sheets[s].rows).unwrap_or(0),
            ),
            (Some(s), Some(h)) => (s, h),
        };
        let table = &sheets[sheet].rows;
        let mapping = mapping.unwrap_or_else(|| {
            map_headers(&columns, table.get(header).map_or(&[][..], Vec::as_slice))
        });
        let preview = make_preview::<R>(ws, table, header, mapping.clone()).map_err(|e| match e {
            ImportError::NoKnownColumns => tr!(
                "この行には台帳の列の見出し（管理番号・コンピュータ名・設置場所など）がありません。上で見出しの行を選ぶか、下で列ごとに取り込み先を選んでください。",
                "This row names no column of the ledger (number, computer name, location…): choose the header row above, or what each column fills below."
            )()
            .to_string(),
            e => e.to_string(),
        });
        Pending {
            sheets,
            sheet,
            header,
            mapping,
            preview,
        }
    }

    fn headers(&self) -> Vec<String> {
        self.sheets[self.sheet]
            .rows
            .get(self.header)
            .cloned()
            .unwrap_or_default()
    }
}

/// What a ledger page needs to know about its rows.
pub trait LedgerKind: Row + Importable + PartialEq + Send + Sync + 'static {
    const PATH: &'static str;
    /// The columns that name a row (a device's コンピュータ名, a person's 性 and 名): first in the table and
    /// its form sheet, the first kept in view while the table scrolls sideways. The stored rows and the
    /// exported files keep the ledger's own order.
    const NAME: &'static [&'static str];
    fn title() -> (&'static str, &'static str);
    fn columns(facility: FacilityKind) -> Vec<Column<Self>>;
    /// The finding for a checklist item, over these rows.
    fn finding(ws: Workspace, item: &str, rows: &[Self], today: Date) -> Option<Finding>;
}

impl LedgerKind for Device {
    const PATH: &'static str = "/ledgers/devices";
    const NAME: &'static [&'static str] = &["computer_name"];
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
    const NAME: &'static [&'static str] = &["family_name", "given_name"];
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

/// The ledger's columns in the table's order: the name first, then the others in the ledger's order.
fn table_columns<R: LedgerKind>(facility: FacilityKind) -> Vec<Column<R>> {
    let (mut name, rest): (Vec<Column<R>>, Vec<Column<R>>) = R::columns(facility)
        .into_iter()
        .partition(|c| R::NAME.contains(&c.key));
    mamori_shared::order::sort_by_key(&mut name, |c| R::NAME.iter().position(|k| *k == c.key));
    name.extend(rest);
    name
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
    // By 管理番号 (or No.) until the person picks a column: the ledger's own order.
    let first_key = R::columns(facility_kind(ws)).first().map(|c| c.key);
    let sort = RwSignal::new((
        table_columns::<R>(facility_kind(ws))
            .iter()
            .position(|c| Some(c.key) == first_key)
            .unwrap_or(0),
        false,
    ));
    let scroll = RwSignal::new(0.0f64);
    let editing = RwSignal::new(None::<R>);
    let preview = RwSignal::new(None::<Pending<R>>);
    // What the last import did (shown until the next one).
    let note = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let (ja, en) = R::title();
    let read_only = move || {
        ws.index().is_some_and(|i| {
            crate::account::role_at(i.facility.id) == Some(mamori_shared::access::Role::Viewer)
        })
    };

    let rows = Memo::new(move |_| ws.ledger_rows::<R>());
    // The extra columns the rows carry (kept from imported files), after the ledger's own.
    let extras = Memo::new(move |_| {
        let all: Vec<R> = rows.get().values().cloned().collect();
        import::extra_headers(&all)
    });
    // The rows a checklist suggestion points at: all behind an item (`?check=2-⑥`) or one part of it
    // (`?check=2-⑥&part=unsupported`).
    let check = move || query.with(|q| q.get("check"));
    let part = move || query.with(|q| q.get("part"));
    let only = Memo::new(move |_| {
        let item = check()?;
        let list: Vec<R> = rows.get().values().cloned().collect();
        let ids = R::finding(ws, &item, &list, today()).map(|f| {
            f.rows_for(part().as_deref())
                .into_iter()
                .map(String::from)
                .collect::<std::collections::HashSet<String>>()
        });
        Some(ids.unwrap_or_default())
    });
    let shown = Memo::new(move |_| {
        let all = rows.get();
        let columns = table_columns::<R>(facility_kind(ws));
        let extras = extras.get();
        let cx = context(ws);
        let needle = search.with(|s| s.trim().to_lowercase());
        let wanted = status.get();
        let status_col = columns.iter().position(|c| c.key == "status");
        let only = only.get();
        let english = lang() == crate::i18n::Lang::En;
        let mut out: Vec<(String, Vec<String>)> = all
            .values()
            .filter(|r| only.as_ref().is_none_or(|ids| ids.contains(r.id())))
            .map(|r| {
                (
                    r.id().to_string(),
                    columns
                        .iter()
                        .map(|c| shown_cell(c.key, (c.get)(r, &cx), english))
                        .chain(
                            extras
                                .iter()
                                .map(|h| r.extra().get(h).cloned().unwrap_or_default()),
                        )
                        .collect::<Vec<_>>(),
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
        mamori_shared::order::sort_by_cached_key(&mut out, |r| {
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
        mamori_shared::order::sort(&mut all);
        all.dedup();
        all
    };
    let headers = move || {
        table_columns::<R>(facility_kind(ws))
            .iter()
            .map(|c| {
                (
                    c.key.to_string(),
                    lang().pick(c.header, c.header_en).to_string(),
                )
            })
            .chain(extras.get().into_iter().map(|h| (format!("extra:{h}"), h)))
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
                Ok(sheets) if sheets.iter().all(|s| s.rows.is_empty()) => {
                    error.set(Some(ImportError::Empty.to_string()))
                }
                Ok(sheets) => {
                    error.set(None);
                    note.set(None);
                    preview.set(Some(Pending::new(ws, Arc::new(sheets), None, None, None)));
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
        mamori_shared::order::sort_by(&mut rows, |a, b| natural_cmp(a.number(), b.number()));
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
            <div class="ledger-review no-print">
                <p class="ledger-reviewed">{move || match ws.ledger_reviewed::<R>().and_then(|r| r.on.map(|d| (d, r.by))) {
                    Some((d, by)) => format!("{} {} {by}", tr!("最終見直し:", "Last reviewed:")(), d.display(use_settings().with(|s| s.dates()))),
                    None => tr!("まだ見直しの記録がありません。", "Not reviewed yet.")().to_string(),
                }}</p>
                <Show when=move || !read_only()>
                    <button class="button mark-reviewed" on:click=move |_| {
                        if let Err(e) = ws.mark_ledger_reviewed::<R>() { error.set(Some(e.to_string())) }
                    }>{tr!("内容を確認した（見直し済みにする）", "Checked it (mark reviewed)")}</button>
                </Show>
            </div>
            <div class="ledger-toolbar no-print">
                <input class="ledger-search" type="search" placeholder=tr!("検索", "Search")
                    aria-label=tr!("検索（どの列でも）", "Search any column")
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
                        <input class="import-file" type="file" accept=".xlsx,.xls,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel" hidden on:change=on_file />
                    </label>
                </Show>
                <button class="button export-xlsx" on:click=move |_| export("xlsx")>{tr!("Excel（.xlsx）", "Excel (.xlsx)")}</button>
                <button class="button export-utf8" on:click=move |_| export("utf8")>{tr!("CSV（UTF-8）", "CSV (UTF-8)")}</button>
                <button class="button export-sjis" on:click=move |_| export("sjis")>{tr!("CSV（Shift_JIS）", "CSV (Shift_JIS)")}</button>
            </div>
            {move || check().map(|item| {
                let n = only.get().map_or(0, |ids| ids.len());
                let lang = crate::i18n::lang();
                let issue = part().and_then(|k| Issue::from_key(&k));
                let text = match issue {
                    Some(issue) => {
                        let (ja, en) = issue_name(issue);
                        lang.pick(
                            format!("{item}「{ja}」の{}だけを表示しています。", count(issue, n, lang)),
                            format!("{item} “{en}”: showing only these {n} rows."),
                        )
                    }
                    None => lang.pick(
                        format!("{item} の確認対象の行（{n}件）だけを表示しています。"),
                        format!("{item}: showing only the {n} rows behind this check."),
                    ),
                };
                view! {
                    <p class="banner banner-warn ledger-check" data-check=item data-part=part().unwrap_or_default()>{text}
                        " "<a href=R::PATH>{tr!("すべて表示", "Show all")}</a></p>
                }
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || note.get().map(|n| view! { <p class="banner import-note" role="status">{n}</p> })}
            <div class="ledger-scroll" on:scroll=move |ev| {
                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    scroll.set(el.scroll_top() as f64);
                }
            }>
                <table class="ledger-table">
                    <thead><tr>{move || headers().into_iter().enumerate().map(|(i, (key, h))| view! {
                        <th data-col=key><button class="sort" on:click=move |_| sort.update(|s| *s = (i, s.0 == i && !s.1))>
                            {h}{move || match sort.get() { (c, false) if c == i => " ▲", (c, true) if c == i => " ▼", _ => "" }}
                        </button></th>
                    }).collect_view()}</tr></thead>
                    <tbody>
                        {move || {
                            let (first, end, all) = visible();
                            let above = first as f64 * ROW_PX;
                            let below = (all.len() - end) as f64 * ROW_PX;
                            let keys: Vec<String> = headers().into_iter().map(|(key, _)| key).collect();
                            let cols = keys.len();
                            view! {
                                <tr class="spacer" style:height=format!("{above}px")><td colspan=cols></td></tr>
                                {all[first..end].iter().map(|(id, cells)| {
                                    let id = id.clone();
                                    let open = move |_| {
                                        if let Some(r) = rows.get_untracked().get(&id) { editing.set(Some(r.clone())) }
                                    };
                                    view! {
                                        <tr class="ledger-row" on:click=open>
                                            {cells.iter().zip(&keys).map(|(c, key)| view! { <td data-col=key.clone()>{c.clone()}</td> }).collect_view()}
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
            {move || preview.get().map(|p| view! { <ImportPreview<R> p close=preview note /> })}
        </section>
    }
}

/// A cell as the table shows it: Mamori's own choices (リモートメンテナンス 有/無/不明) in the UI's
/// language; what people typed stays as typed.
fn shown_cell(key: &str, value: String, english: bool) -> String {
    match (key, english) {
        ("remote", true) => {
            mamori_shared::model::Remote::parse(&value).map_or(value, |r| r.label_en().to_string())
        }
        _ => value,
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

/// How many rows of the file the preview shows as they will be imported.
const SAMPLE_ROWS: usize = 5;
/// How many line numbers a group of problems names before 「ほか」.
const GROUP_LINES: usize = 12;

/// What the import would do; nothing is written until 取り込む. The person can pick the sheet and the
/// header row, say what each column fills (a guess is offered, never taken silently), see the first rows
/// as they will be imported and every problem grouped; then the rows are written a slice at a time with a
/// progress bar, and キャンセル leaves the ledger as it was.
#[component]
fn ImportPreview<R: LedgerKind>(
    p: Pending<R>,
    close: RwSignal<Option<Pending<R>>>,
    note: RwSignal<Option<String>>,
) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    let columns = R::columns(facility_kind(ws));
    let cx = context(ws);
    let headers = p.headers();
    let mapping = p.mapping.clone();
    // Rows nobody can tell apart are not imported: a number or a name must be among the columns.
    let identified = mapping.identifies(&columns);
    let (total, with_problems, groups, rows, new_vendors) = match &p.preview {
        Ok(preview) => (
            preview.rows.len(),
            preview.with_problems(),
            preview.groups(),
            preview
                .rows
                .iter()
                .map(|r| r.row.clone())
                .collect::<Vec<R>>(),
            preview.new_vendors.clone(),
        ),
        Err(_) => (0, 0, Vec::new(), Vec::new(), Vec::new()),
    };
    let ready = p.preview.is_ok() && identified && total > 0;
    let importing = RwSignal::new(false);
    let done = RwSignal::new(0usize);
    // Read by the import between slices; a plain cell, since the import may outlive this dialog.
    let cancel = std::rc::Rc::new(std::cell::Cell::new(false));
    let confirm = {
        let cancel = cancel.clone();
        move |_| {
            if importing.get_untracked() {
                return;
            }
            importing.set(true);
            cancel.set(false);
            let (rows, new_vendors, cancel) = (rows.clone(), new_vendors.clone(), cancel.clone());
            leptos::task::spawn_local(async move {
                let outcome = ws
                    .import_rows(rows, new_vendors, done, move || cancel.get())
                    .await;
                match outcome {
                    Ok(Imported::Done) => {
                        note.set(Some(format!(
                            "{total}{}",
                            tr!("行を取り込みました。", " rows imported.")()
                        )));
                        close.set(None);
                    }
                    Ok(Imported::Cancelled) => {
                        note.set(Some(
                            tr!(
                                "取り込みを中止しました。台帳は変わっていません。",
                                "Import cancelled: the ledger is as it was."
                            )()
                            .to_string(),
                        ));
                        close.set(None);
                    }
                    Err(e) => {
                        importing.set(false);
                        error.set(Some(e.to_string()))
                    }
                }
            });
        }
    };
    let cancel_or_close = move |_| {
        if importing.get_untracked() {
            cancel.set(true);
        } else {
            close.set(None);
        }
    };
    // Another sheet, another header row or another column choice: the preview is made again.
    let sheets = p.sheets.clone();
    let (sheet, header) = (p.sheet, p.header);
    let redo = {
        let sheets = sheets.clone();
        move |sheet: usize, header: Option<usize>, mapping: Option<Mapping>| {
            close.set(Some(Pending::new(
                ws,
                sheets.clone(),
                Some(sheet),
                header,
                mapping,
            )))
        }
    };
    let remap = {
        let redo = redo.clone();
        let mapping = mapping.clone();
        move |at: usize, to: Target| {
            let mut m = mapping.clone();
            m.set(at, to);
            redo(sheet, Some(header), Some(m));
        }
    };
    let options: Vec<(usize, &'static str)> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (i, lang().pick(c.header, c.header_en)))
        .collect();
    // The first rows as they will be imported: the file's columns that are kept, in the file's order.
    let kept: Vec<(String, Option<usize>, String)> = mapping
        .targets
        .iter()
        .zip(&mapping.names)
        .filter_map(|(t, name)| match t {
            Target::Column(c) => Some((
                lang()
                    .pick(columns[*c].header, columns[*c].header_en)
                    .to_string(),
                Some(*c),
                String::new(),
            )),
            Target::Extra => Some((name.clone(), None, name.clone())),
            Target::Skip => None,
        })
        .collect();
    let sample: Vec<Vec<String>> = p
        .preview
        .as_ref()
        .map(|preview| {
            preview
                .rows
                .iter()
                .take(SAMPLE_ROWS)
                .map(|r| {
                    kept.iter()
                        .map(|(_, c, extra)| match c {
                            Some(c) => (columns[*c].get)(&r.row, &cx),
                            None => r.row.extra().get(extra).cloned().unwrap_or_default(),
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let header_choices: Vec<(usize, String)> = sheets[sheet]
        .rows
        .iter()
        .take(import::HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, row)| {
            let cells: Vec<&str> = row
                .iter()
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .take(4)
                .collect();
            (i, format!("{}行目: {}", i + 1, cells.join(" / ")))
        })
        .collect();
    let notes_rows = p
        .preview
        .as_ref()
        .map(|p| p.notes_rows.clone())
        .unwrap_or_default();
    let summary = format!(
        "{total}行（問題のある行: {with_problems}・お知らせ: {}）",
        groups
            .iter()
            .filter(|g| !g.problem)
            .map(|g| g.lines.len())
            .sum::<usize>()
    );
    view! {
        <div class="sheet-backdrop">
            <div class="sheet card import-preview" role="dialog">
                <h2>{tr!("取り込みの確認", "Check the import")}</h2>
                <p class="import-summary">{summary}</p>
                <div class="import-source">
                    {(sheets.len() > 1).then(|| {
                        let redo = redo.clone();
                        view! {
                            <label class="field">
                                <span>{tr!("シート", "Sheet")}</span>
                                <select class="pick-sheet" on:change=move |ev| {
                                    if let Ok(s) = event_target_value(&ev).parse::<usize>() { redo(s, None, None) }
                                }>
                                    {sheets.iter().enumerate().map(|(i, s)| view! {
                                        <option value=i.to_string() selected=i == sheet>{s.name.clone()}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                    <label class="field">
                        <span>{tr!("見出しの行", "Header row")}</span>
                        <select class="pick-header" on:change={
                            let redo = redo.clone();
                            move |ev| if let Ok(h) = event_target_value(&ev).parse::<usize>() { redo(sheet, Some(h), None) }
                        }>
                            {header_choices.into_iter().map(|(i, label)| view! {
                                <option value=i.to_string() selected=i == header>{label}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                {(!notes_rows.is_empty()).then(|| view! {
                    <p class="notes-rows">{format!(
                        "{}行目は記入のための注記として取り込みません。",
                        notes_rows.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("・")
                    )}</p>
                })}
                {(!mapping.refused.is_empty()).then(|| view! {
                    <p class="banner banner-error refused-columns">{format!(
                        "パスワード等の秘密情報の列は取り込みません: {}。台帳にパスワードを記録しないでください（ID台帳はIDと権限を管理するもので、パスワードは各システムで本人が管理します）。",
                        mapping.refused.join("、")
                    )}</p>
                })}
                {p.preview.as_ref().err().map(|e| view! { <p class="banner banner-error no-columns" role="alert">{e.clone()}</p> })}
                {(p.preview.is_ok() && !identified).then(|| view! {
                    <p class="banner banner-error no-identifier" role="alert">{tr!(
                        "管理番号（またはコンピュータ名・ユーザーID）の列を下で選んでください。どの行がどの機器か分からないままでは取り込めません。",
                        "Choose the column with the number (or computer name, user ID) below: rows that cannot be told apart are not imported."
                    )}</p>
                })}
                <ul class="column-map">
                    {headers.iter().enumerate().map(|(i, h)| {
                        let current = mapping.targets.get(i).copied().unwrap_or(Target::Extra);
                        let refused = current == Target::Skip && mapping.refused.contains(h);
                        let guess = mapping.guesses.get(i).copied().flatten().filter(|_| current == Target::Extra);
                        let name = mapping.names.get(i).cloned().unwrap_or_default();
                        let remap = remap.clone();
                        let take = remap.clone();
                        let options = options.clone();
                        view! {
                            <li data-column=name.clone()>
                                <span class="file-header">{name.clone()}</span>" → "
                                {if refused {
                                    view! { <strong class="refused">{tr!("取り込まない（秘密情報）", "not imported (secret)")}</strong> }.into_any()
                                } else {
                                    view! {
                                        <select class="map-column" on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            remap(i, match v.as_str() {
                                                "skip" => Target::Skip,
                                                "extra" => Target::Extra,
                                                n => n.parse().map(Target::Column).unwrap_or(Target::Extra),
                                            });
                                        }>
                                            <option value="extra" selected=current == Target::Extra>{tr!("追加の列として残す", "keep as an extra column")}</option>
                                            <option value="skip" selected=current == Target::Skip>{tr!("取り込まない", "not imported")}</option>
                                            {options.iter().map(|(j, name)| view! {
                                                <option value=j.to_string() selected=current == Target::Column(*j)>{*name}</option>
                                            }).collect_view()}
                                        </select>
                                    }.into_any()
                                }}
                                {guess.map(|g| {
                                    let label = lang().pick(columns[g].header, columns[g].header_en);
                                    view! {
                                        <button type="button" class="button take-guess" on:click=move |_| take(i, Target::Column(g))>
                                            {format!("「{label}」{}", tr!("として取り込む？", "? Use it")())}
                                        </button>
                                    }
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {(!sample.is_empty()).then(|| view! {
                    <div class="import-sample-wrap">
                        <p class="suggestion-title">{tr!("最初の行（取り込まれる形で）", "The first rows, as they will be imported")}</p>
                        <table class="import-sample">
                            <thead><tr>{kept.iter().map(|(h, c, _)| view! {
                                <th class:extra-column=c.is_none()>{h.clone()}</th>
                            }).collect_view()}</tr></thead>
                            <tbody>{sample.into_iter().map(|cells| view! {
                                <tr>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                            }).collect_view()}</tbody>
                        </table>
                    </div>
                })}
                {(!groups.is_empty()).then(|| view! {
                    <ul class="import-groups">
                        {groups.into_iter().map(|g| {
                            let kind = if g.problem { "problem" } else { "notice" };
                            let count = g.lines.len();
                            let mut lines: Vec<String> = g.lines.iter().take(GROUP_LINES).map(|l| l.to_string()).collect();
                            if count > GROUP_LINES {
                                lines.push(format!("ほか{}行", count - GROUP_LINES));
                            }
                            let (ja, en) = (g.ja.clone(), g.en.clone());
                            view! {
                                <li class=format!("import-group {kind}") data-kind=kind data-count=count.to_string()>
                                    <strong>{move || crate::i18n::lang().pick(ja.clone(), en.clone())}</strong>
                                    {format!("（{count}{}）", tr!("行", " rows")())}
                                    {(!g.examples.is_empty()).then(|| view! {
                                        <span class="examples">{format!(" 例: {}", g.examples.iter().map(|e| format!("「{e}」")).collect::<String>())}</span>
                                    })}
                                    <span class="lines">{format!(" {}行目", lines.join("・"))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <Show when=move || importing.get()>
                    <div class="import-progress-wrap" role="status">
                        <progress class="import-progress" max=total.to_string() prop:value=move || done.get() as f64></progress>
                        <span class="import-progress-text">{move || format!("{} {}/{total}", tr!("取り込み中…", "Importing…")(), done.get())}</span>
                    </div>
                </Show>
                <div class="row-actions">
                    <button class="button primary confirm-import" disabled=move || importing.get() || !ready on:click=confirm>{move || if importing.get() {
                        format!("{}（{total}行）", tr!("取り込み中…", "Importing…")())
                    } else {
                        format!("{}（{total}行）", tr!("取り込む", "Import")())
                    }}</button>
                    <button class="button cancel-import" on:click=cancel_or_close>{move || if importing.get() {
                        tr!("取り込みを中止", "Stop the import")()
                    } else {
                        tr!("キャンセル", "Cancel")()
                    }}</button>
                </div>
            </div>
        </div>
    }
}

/// The form sheet for one row: every column, read back through the same rules as import.
#[component]
fn RowSheet<R: LedgerKind>(row: R, close: RwSignal<Option<R>>, read_only: bool) -> impl IntoView {
    let ws = use_workspace();
    // In the table's order: the name first.
    let columns = table_columns::<R>(facility_kind(ws));
    let cx = context(ws);
    let values: Vec<RwSignal<String>> = columns
        .iter()
        .map(|c| RwSignal::new((c.get)(&row, &cx)))
        .collect();
    // The ledger's extra columns (kept from imported files), edited like the others.
    let all: Vec<R> = ws.ledger_rows::<R>().values().cloned().collect();
    let mut extra_headers = import::extra_headers(&all);
    for h in row.extra().keys() {
        if !extra_headers.contains(h) {
            extra_headers.push(h.clone());
        }
    }
    let extras: Vec<(String, RwSignal<String>)> = extra_headers
        .into_iter()
        .map(|h| {
            let v = RwSignal::new(row.extra().get(&h).cloned().unwrap_or_default());
            (h, v)
        })
        .collect();
    let error = RwSignal::new(None::<String>);
    let existing = ws.ledger_rows::<R>().contains_key(row.id());
    let save = {
        let row = row.clone();
        let values = values.clone();
        let extras = extras.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let columns = table_columns::<R>(facility_kind(ws));
            let cx = context(ws);
            let mut updated = row.clone();
            for (h, v) in &extras {
                let text = v.get_untracked().trim().to_string();
                if text.is_empty() {
                    updated.extra_mut().remove(h);
                } else {
                    updated.extra_mut().insert(h.clone(), text);
                }
            }
            let mut problems = Vec::new();
            for (c, v) in columns.iter().zip(&values) {
                let text = v.get_untracked();
                match (c.set)(&mut updated, &text, &cx) {
                    Ok(()) => {}
                    Err(problem) => {
                        problems.push(problem.describe(c, lang() == crate::i18n::Lang::En))
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
                            <span>{lang().pick(c.header, c.header_en)}</span>
                            <input name=c.key type="text" list=list disabled=read_only prop:value=v on:input=move |ev| v.set(event_target_value(&ev)) />
                        </label>
                    }
                }).collect_view()}
                {extras.into_iter().map(|(h, v)| view! {
                    <label class="field extra-field">
                        <span>{h.clone()}</span>
                        <input name=format!("extra:{h}") type="text" disabled=read_only prop:value=v on:input=move |ev| v.set(event_target_value(&ev)) />
                    </label>
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

/// Every row of a ledger with every column in the manual's order (the export's), laid out for print: a part
/// of the 立入検査 binder (portrait: see the print style). Rows in the order of their name column, as on
/// screen.
pub fn ledger_print_table<R: LedgerKind>(ws: Workspace) -> impl IntoView {
    let columns = R::columns(facility_kind(ws));
    let cx = context(ws);
    let rows = ws.ledger_rows::<R>();
    let name_column = table_columns::<R>(facility_kind(ws)).into_iter().next();
    let mut rows: Vec<&R> = rows.values().collect();
    if let Some(name) = &name_column {
        mamori_shared::order::sort_by(&mut rows, |a, b| {
            natural_cmp(&(name.get)(a, &cx), &(name.get)(b, &cx))
        });
    }
    let header = columns
        .iter()
        .map(|c| view! { <th>{c.header}</th> })
        .collect_view();
    let empty = rows.is_empty().then(|| {
        view! { <tr><td colspan=columns.len()>"登録なし"</td></tr> }
    });
    let body = rows
        .into_iter()
        .map(|r| {
            let cells = columns
                .iter()
                .map(|c| view! { <td>{(c.get)(r, &cx)}</td> })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table class="print-table ledger-print">
            <thead><tr>{header}</tr></thead>
            <tbody>{body}{empty}</tbody>
        </table>
    }
}
