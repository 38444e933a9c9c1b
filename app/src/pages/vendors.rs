//! Vendors (事業者): one entity each, referenced by id from checklists, the contact chart (their emergency
//! number lives here) and, later, the ledgers.

use leptos::prelude::*;
use mamori_shared::model::{Vendor, VendorId};

use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn VendorsPage() -> impl IntoView {
    let ws = use_workspace();
    let name = RwSignal::new(String::new());
    let systems = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    let hours = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            error.set(Some(
                tr!("事業者名を入力してください。", "Enter the vendor's name.")().to_string(),
            ));
            return;
        }
        match ws.put_vendor(Vendor {
            id: VendorId::generate(),
            name: n,
            systems: systems.get_untracked().trim().to_string(),
            phone: phone.get_untracked().trim().to_string(),
            contact_person: person.get_untracked().trim().to_string(),
            email: String::new(),
            hours: hours.get_untracked().trim().to_string(),
            mds_received_on: None,
            mds_version: String::new(),
        }) {
            Ok(()) => {
                for field in [name, systems, phone, person, hours] {
                    field.set(String::new());
                }
                error.set(None);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <section class="page">
            <h1>{tr!("事業者", "Vendors")}</h1>
            <p class="lead">{tr!(
                "システムを提供・保守している事業者ごとに「事業者確認用」を依頼・回収します。",
                "Ask each vendor that provides or maintains a system to fill in a vendor form."
            )}</p>
            <ul class="vendor-list">
                {move || ws.index().map(|i| i.vendors.into_values().map(|v| view! {
                    <li class="card vendor-row">
                        <strong>{v.name}</strong>
                        <span class="muted">{v.systems}</span>
                        {if v.phone.is_empty() {
                            view! { <span class="badge warn">{tr!("緊急連絡先の電話番号が未登録", "No emergency number")}</span> }.into_any()
                        } else {
                            view! { <span class="vendor-phone">{format!("☎ {} {} {}", v.phone, v.contact_person, v.hours)}</span> }.into_any()
                        }}
                    </li>
                }).collect_view())}
            </ul>
            <form class="form card" on:submit=add>
                <label class="field">
                    <span>{tr!("事業者名", "Vendor name")}</span>
                    <input name="vendor_name" type="text" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("提供・保守しているシステム", "Systems provided or maintained")}</span>
                    <input name="vendor_systems" type="text" prop:value=systems on:input=move |ev| systems.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("緊急時の電話番号（連絡体制図に載ります）", "Emergency phone (shown on the contact chart)")}</span>
                    <input name="vendor_phone" type="tel" inputmode="tel" prop:value=phone on:input=move |ev| phone.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("担当者名", "Contact person")}</span>
                    <input name="vendor_person" type="text" prop:value=person on:input=move |ev| person.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("受付時間", "Hours")}</span>
                    <input name="vendor_hours" type="text" prop:value=hours on:input=move |ev| hours.set(event_target_value(&ev)) />
                </label>
                <p class="muted">{tr!("登録後の変更は「連絡体制図」の事業者欄から行えます。", "Change these later from the vendor's row on the contact chart.")}</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button primary">{tr!("事業者を追加", "Add vendor")}</button>
            </form>
        </section>
    }
}
