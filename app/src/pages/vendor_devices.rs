//! `/vendor/devices/:id`: a vendor's user fills in the rows of the devices it maintains for one facility (its
//! contribution to the 機器台帳), offline too. It sees only these rows, never the facility's ledger, and
//! where each stands: waiting for the facility, accepted, or not accepted.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use mamori_shared::ledger::columns::{Context, device_columns};
use mamori_shared::ledger::proposals::{self, State};
use mamori_shared::model::DocumentId;
use mamori_shared::schema::ledger::{Device, new_row_id};

use crate::state::use_workspace;
use crate::tr;

/// The columns a vendor fills in: all of the 機器台帳's but the vendor itself (always the vendor).
const SHOWN: [&str; 7] = [
    "number", "category", "maker", "os", "software", "location", "remote",
];

#[component]
pub fn VendorDevicesPage() -> impl IntoView {
    let ws = use_workspace();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| DocumentId::parse(&s)));
    let editing = RwSignal::new(None::<Device>);
    let settings = crate::settings::use_settings();
    let facility_name = move || {
        let c = id().and_then(|id| ws.contribution(id).ok())?;
        settings.with(|s| {
            s.facility_names
                .get(&c.meta.facility_id.to_string())
                .cloned()
        })
    };
    let columns = device_columns();
    let headers: Vec<&'static str> = SHOWN
        .iter()
        .filter_map(|k| {
            columns
                .iter()
                .find(|c| c.key == *k)
                .map(|c| crate::i18n::lang().pick(c.header, c.header_en))
        })
        .collect();

    view! {
        <section class="page vendor-devices">
            <h1>{tr!("機器台帳への記入", "Your devices for the facility's ledger")}</h1>
            {move || facility_name().map(|n| view! { <p class="facility-name">{n}</p> })}
            {move || id().map(|id| {
                let state = crate::sync::use_sync().doc_state(id);
                view! { <span class="sync-state" data-sync=state.code()>{state.label(crate::i18n::lang())}</span> }
            })}
            <p class="lead">{tr!(
                "この施設から依頼された、貴社が保守している機器です。オフラインでも記入できます。施設の担当者が確認してから機器台帳に反映します（施設の台帳そのものは表示されません）。",
                "The devices you maintain for this facility. You can fill them in offline. The facility reviews each row before it goes into its ledger (the ledger itself is not shown to you)."
            )}</p>
            {move || match id().map(|id| (id, ws.contribution(id))) {
                None | Some((_, Err(_))) => view! {
                    <p class="muted receiving">{tr!("受信中…（サーバーに接続すると届きます）", "Receiving… (arrives once connected)")}</p>
                }.into_any(),
                Some((_, Ok(c))) => {
                    let cx = Context::default();
                    let columns = device_columns();
                    let headers = headers.clone();
                    let rows: Vec<(Device, State)> = c
                        .rows
                        .values()
                        .map(|r| (r.clone(), proposals::state_of(&c, &r.id)))
                        .collect();
                    view! {
                        <table class="vendor-device-table">
                            <thead><tr>
                                {headers.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}
                                <th>{tr!("確認状況", "Review")}</th>
                                <th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|(row, state)| {
                                    let cells: Vec<String> = SHOWN
                                        .iter()
                                        .filter_map(|k| columns.iter().find(|c| c.key == *k))
                                        .map(|c| (c.get)(&row, &cx))
                                        .collect();
                                    let r = row.clone();
                                    view! {
                                        <tr class="vendor-device" data-row=row.id.clone() data-state=state.as_str()>
                                            {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                                            <td class="review-state">{crate::i18n::lang().pick(state.label_ja(), state.label_en())}</td>
                                            <td><button class="button small edit-device" on:click=move |_| editing.set(Some(r.clone()))>{tr!("編集", "Edit")}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            }}
            <button class="button primary add-device" on:click=move |_| editing.set(Some(Device { id: new_row_id(), ..Device::default() }))>
                {tr!("＋ 機器を追加", "+ Add a device")}
            </button>
            {move || match (editing.get(), id()) {
                (Some(row), Some(doc)) => Some(view! { <DeviceSheet doc row close=editing /> }),
                _ => None,
            }}
        </section>
    }
}

/// The form sheet for one of the vendor's rows: every column of the 機器台帳 but the vendor, read back
/// through the same rules as an import.
#[component]
fn DeviceSheet(doc: DocumentId, row: Device, close: RwSignal<Option<Device>>) -> impl IntoView {
    let ws = use_workspace();
    let cx = Context::default();
    let columns: Vec<_> = device_columns()
        .into_iter()
        .filter(|c| c.key != "vendor")
        .collect();
    let values: Vec<RwSignal<String>> = columns
        .iter()
        .map(|c| RwSignal::new((c.get)(&row, &cx)))
        .collect();
    let error = RwSignal::new(None::<String>);
    let save = {
        let values = values.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let cx = Context::default();
            let mut updated = row.clone();
            let mut problems = Vec::new();
            for (c, v) in device_columns()
                .iter()
                .filter(|c| c.key != "vendor")
                .zip(&values)
            {
                match (c.set)(&mut updated, &v.get_untracked(), &cx) {
                    Ok(()) => {}
                    Err(problem) => problems
                        .push(problem.describe(c, crate::i18n::lang() == crate::i18n::Lang::En)),
                }
            }
            if !problems.is_empty() {
                error.set(Some(problems.join(" / ")));
                return;
            }
            match ws.put_contribution_row(doc, &updated) {
                Ok(()) => close.set(None),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    view! {
        <div class="sheet-backdrop">
            <form class="sheet form card device-sheet" on:submit=save>
                <h2>{tr!("機器", "Device")}</h2>
                <datalist id="device-remote"><option value="有"></option><option value="無"></option><option value="不明"></option></datalist>
                {columns.iter().zip(values).map(|(c, v)| {
                    let list = (c.key == "remote").then_some("device-remote");
                    view! {
                        <label class="field">
                            <span>{crate::i18n::lang().pick(c.header, c.header_en)}</span>
                            <input name=c.key type="text" list=list prop:value=v on:input=move |ev| v.set(event_target_value(&ev)) />
                        </label>
                    }
                }).collect_view()}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    <button type="submit" class="button primary save-device">{tr!("保存", "Save")}</button>
                    <button type="button" class="button" on:click=move |_| close.set(None)>{tr!("閉じる", "Close")}</button>
                </div>
            </form>
        </div>
    }
}
