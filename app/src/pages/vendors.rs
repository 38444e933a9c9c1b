//! 事業者 — the vendor register: one entity per vendor, referenced by id from checklists, the contact chart
//! (its emergency number lives here) and the 機器台帳 (the devices it maintains). Each vendor shows its
//! remote maintenance, its MDS/SDS, the devices it supports, where its 事業者確認用 stands, and the rows it
//! proposes for the 機器台帳 (`components::vendor_proposals`).

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::calendar::Date;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{Remote, Vendor};
use mamori_shared::schema::ledger::Device;

use crate::components::field::text_field;
use crate::components::vendor_proposals::VendorProposals;
use crate::i18n::lang;
use crate::pages::home::progress_of;
use crate::state::use_workspace;
use crate::tr;

/// Where a vendor's 事業者確認用 stands, as people read it (display only: the server decides access).
fn request_state(answered: usize, complete: bool) -> (&'static str, &'static str) {
    match (answered, complete) {
        (_, true) => ("回収済", "Collected"),
        (0, _) => ("依頼済", "Requested"),
        _ => ("回答中", "In progress"),
    }
}

#[component]
pub fn VendorsPage() -> impl IntoView {
    let ws = use_workspace();
    let editing = RwSignal::new(None::<Vendor>);
    let vendors = move || {
        ws.index()
            .map(|i| i.vendors.into_values().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let new_vendor = move |_| editing.set(Some(Vendor::named("")));
    view! {
        <section class="page">
            <h1>{tr!("事業者", "Vendors")}</h1>
            <p class="lead">{tr!(
                "システムを提供・保守している事業者ごとに「事業者確認用」を依頼・回収し、MDS/SDS とリモートメンテナンスの有無を記録します。",
                "For each vendor that provides or maintains a system: request and collect its vendor form, and record its MDS/SDS and remote maintenance."
            )}</p>
            <ul class="vendor-list">
                {move || vendors().into_iter().map(|v| view! { <VendorRow vendor=v editing /> }).collect_view()}
            </ul>
            <button class="button primary add-vendor" on:click=new_vendor>{tr!("＋ 事業者を追加", "+ Add a vendor")}</button>
            {move || editing.get().map(|v| view! { <VendorSheet vendor=v close=editing /> })}
        </section>
    }
}

#[component]
fn VendorRow(vendor: Vendor, editing: RwSignal<Option<Vendor>>) -> impl IntoView {
    let ws = use_workspace();
    let id = vendor.id;
    let devices = move || {
        ws.ledger_rows::<Device>()
            .values()
            .filter(|d| d.vendor_id == Some(id))
            .count()
    };
    // Its 事業者確認用 for the newest fiscal year, if one was started.
    let form = move || {
        ws.index().and_then(|i| {
            i.checklists()
                .into_iter()
                .find(|(_, m)| m.form == FormKind::Vendor && m.vendor_id == Some(id))
                .map(|(e, _)| e.id)
        })
    };
    let v = vendor.clone();
    view! {
        <li class="card vendor-row" data-vendor=id.to_string()>
            <div class="vendor-head">
                <strong>{vendor.name.clone()}</strong>
                <span class="muted">{vendor.systems.clone()}</span>
                <button class="button small edit-vendor" on:click=move |_| editing.set(Some(v.clone()))>{tr!("編集", "Edit")}</button>
            </div>
            {if vendor.phone.is_empty() {
                view! { <span class="badge warn">{tr!("緊急連絡先の電話番号が未登録", "No emergency number")}</span> }.into_any()
            } else {
                view! { <span class="vendor-phone">{format!("☎ {} {} {}", vendor.phone, vendor.contact_person, vendor.hours)}</span> }.into_any()
            }}
            <dl class="vendor-facts">
                <dt>{tr!("リモートメンテナンス", "Remote maintenance")}</dt><dd class="vendor-remote">{let r = vendor.remote; move || lang().pick(r.label_ja(), r.label_en())}</dd>
                <dt>"MDS/SDS"</dt>
                <dd class="vendor-mds">{
                    let (on, version) = (vendor.mds_received_on, vendor.mds_version.clone());
                    move || match on {
                        Some(d) => lang().pick(format!("受領 {} {version}", d.iso()), format!("received {} {version}", d.iso())),
                        None => lang().pick("未受領", "Not received").to_string(),
                    }
                }</dd>
                <dt>{tr!("保守している機器", "Devices maintained")}</dt><dd>{move || lang().pick(format!("{}台", devices()), devices().to_string())}</dd>
                <dt>{tr!("事業者確認用", "Vendor form")}</dt>
                <dd class="vendor-request">{move || match form() {
                    None => view! { <span>{tr!("未依頼", "Not requested")}</span> }.into_any(),
                    Some(doc) => {
                        let progress = progress_of(ws, doc);
                        view! {
                            <A href=format!("/checklists/{doc}")>{move || {
                                let (ja, en) = progress.get().map(|p| request_state(p.answered, p.complete())).unwrap_or(("依頼済", "Requested"));
                                crate::i18n::lang().pick(ja, en)
                            }}</A>
                        }.into_any()
                    }
                }}</dd>
            </dl>
            <VendorProposals vendor=id />
        </li>
    }
}

/// The form sheet for one vendor.
#[component]
fn VendorSheet(vendor: Vendor, close: RwSignal<Option<Vendor>>) -> impl IntoView {
    let ws = use_workspace();
    let field = |s: &str| RwSignal::new(s.to_string());
    let name = field(&vendor.name);
    let systems = field(&vendor.systems);
    let phone = field(&vendor.phone);
    let person = field(&vendor.contact_person);
    let hours = field(&vendor.hours);
    let email = field(&vendor.email);
    let mds_on = field(&vendor.mds_received_on.map(|d| d.iso()).unwrap_or_default());
    let mds_version = field(&vendor.mds_version);
    let remote = RwSignal::new(vendor.remote);
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        if t(name).is_empty() {
            error.set(Some(
                tr!("事業者名を入力してください。", "Enter the vendor's name.")().into(),
            ));
            return;
        }
        let mds_received_on = match t(mds_on) {
            s if s.is_empty() => None,
            s => match Date::parse_iso(&s) {
                Ok(d) => Some(d),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    return;
                }
            },
        };
        let updated = Vendor {
            name: t(name),
            systems: t(systems),
            phone: t(phone),
            contact_person: t(person),
            hours: t(hours),
            email: t(email),
            mds_received_on,
            mds_version: t(mds_version),
            remote: remote.get_untracked(),
            ..vendor.clone()
        };
        match ws.put_vendor(updated) {
            Ok(()) => close.set(None),
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <div class="sheet-backdrop">
            <form class="sheet form card vendor-sheet" on:submit=save>
                <h2>{tr!("事業者", "Vendor")}</h2>
                {text_field(tr!("事業者名", "Vendor name"), "vendor_name", name, "text")}
                {text_field(tr!("提供・保守しているシステム", "Systems provided or maintained"), "vendor_systems", systems, "text")}
                {text_field(tr!("緊急時の電話番号（連絡体制図に載ります）", "Emergency phone (shown on the contact chart)"), "vendor_phone", phone, "tel")}
                {text_field(tr!("担当者名", "Contact person"), "vendor_person", person, "text")}
                {text_field(tr!("受付時間", "Hours"), "vendor_hours", hours, "text")}
                {text_field(tr!("メール", "E-mail"), "vendor_email", email, "email")}
                <label class="field">
                    <span>{tr!("リモートメンテナンス", "Remote maintenance")}</span>
                    <select name="vendor_remote" on:change=move |ev| {
                        if let Some(r) = Remote::parse(&event_target_value(&ev)) { remote.set(r) }
                    }>
                        {[Remote::Unknown, Remote::Yes, Remote::No].into_iter().map(|r| view! {
                            <option value=r.label_ja() selected=move || remote.get() == r>{move || lang().pick(r.label_ja(), r.label_en())}</option>
                        }).collect_view()}
                    </select>
                </label>
                {text_field(tr!("MDS/SDS 受領日", "MDS/SDS received on"), "vendor_mds_on", mds_on, "date")}
                {text_field(tr!("MDS/SDS の版", "MDS/SDS version"), "vendor_mds_version", mds_version, "text")}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    <button type="submit" class="button primary save-vendor">{tr!("保存", "Save")}</button>
                    <button type="button" class="button" on:click=move |_| close.set(None)>{tr!("キャンセル", "Cancel")}</button>
                </div>
            </form>
        </div>
    }
}
