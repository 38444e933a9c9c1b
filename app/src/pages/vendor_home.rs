//! `/vendor`: a vendor's user (事業者) serving several facilities from one account sees every facility's
//! 事業者確認用 side by side, and the devices each facility asked it to fill in for its 機器台帳
//! (`/vendor/devices/:id`). The forms come from the server's list for this account (`/api/me`), fetched onto
//! the device like any document, so they stay readable and editable offline; a form that has not arrived yet
//! says so. The facilities' names are remembered on the device for offline use.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::access::Role;
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::checklist::ChecklistMeta;

use crate::account;
use crate::pages::home::progress_of;
use crate::settings::use_settings;
use crate::state::checklist_title;
use crate::state::use_workspace;
use crate::tr;

/// One document a facility asked this vendor to fill in.
#[derive(Clone)]
enum Asked {
    /// A 事業者確認用 (its meta once it is on the device; until then, any document not yet arrived).
    Form(Option<ChecklistMeta>),
    /// Its devices' rows for the facility's 機器台帳.
    Devices,
}

/// One facility's documents for this vendor: its name and each document.
type Group = (String, Vec<(DocumentId, Asked)>);

#[component]
pub fn VendorHomePage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let groups = move || {
        let forms = ws.vendor_forms();
        let contributions = ws.contributions();
        let names = settings.with(|s| s.facility_names.clone());
        let name_of = |f: FacilityId| {
            names
                .get(&f.to_string())
                .cloned()
                .unwrap_or_else(|| crate::i18n::lang().pick("施設", "Facility").to_string())
        };
        let mut groups: BTreeMap<FacilityId, Group> = BTreeMap::new();
        for m in account::current()
            .iter()
            .flat_map(|me| me.memberships.clone())
            .filter(|m| m.role == Role::Vendor)
        {
            let group = groups.entry(m.facility).or_insert_with(|| {
                (
                    m.facility_name
                        .clone()
                        .unwrap_or_else(|| name_of(m.facility)),
                    Vec::new(),
                )
            });
            for doc in &m.documents {
                let asked = match contributions.iter().find(|(id, _)| id == doc) {
                    Some(_) => Asked::Devices,
                    None => Asked::Form(
                        forms
                            .iter()
                            .find(|(id, _)| id == doc)
                            .map(|(_, m)| m.clone()),
                    ),
                };
                group.1.push((*doc, asked));
            }
        }
        // Offline, or documents the server no longer lists: whatever the device holds.
        let held = forms
            .into_iter()
            .map(|(id, m)| (id, m.facility_id, Asked::Form(Some(m))))
            .chain(
                contributions
                    .into_iter()
                    .map(|(id, c)| (id, c.facility_id, Asked::Devices)),
            );
        for (id, facility, asked) in held {
            let group = groups
                .entry(facility)
                .or_insert_with(|| (name_of(facility), Vec::new()));
            if !group.1.iter().any(|(d, _)| *d == id) {
                group.1.push((id, asked));
            }
        }
        groups
    };

    view! {
        <section class="page vendor-home">
            <h1>{tr!("事業者確認用（依頼された施設）", "Vendor forms (facilities that asked you)")}</h1>
            <p class="lead">{tr!(
                "各施設から依頼された事業者確認用です。他の施設の回答から始めることもできます（各項目は確認して日付を入れ直してください）。",
                "The vendor forms each facility asked you to fill in. You can start one from your answers for another facility (then check and date each item)."
            )}</p>
            <div class="vendor-facilities">
                {move || {
                    let all = groups();
                    if all.is_empty() {
                        return view! { <p class="muted">{tr!("依頼された事業者確認用はまだありません。", "No facility has asked you for a form yet.")}</p> }.into_any();
                    }
                    all.into_iter().map(|(facility, (name, forms))| view! {
                        <article class="vendor-facility" data-facility=facility.to_string()>
                            <h2 class="facility-name">{name}</h2>
                            <ul class="checklist-list">
                                {forms.into_iter().map(|(id, asked)| match asked {
                                    Asked::Form(meta) => view! { <VendorFormRow id meta /> }.into_any(),
                                    Asked::Devices => view! { <DevicesRow id /> }.into_any(),
                                }).collect_view()}
                            </ul>
                        </article>
                    }).collect_view().into_any()
                }}
            </div>
        </section>
    }
}

#[component]
fn VendorFormRow(id: DocumentId, meta: Option<ChecklistMeta>) -> impl IntoView {
    let ws = use_workspace();
    let Some(meta) = meta else {
        return view! {
            <li class="checklist-row receiving" data-doc=id.to_string()>
                <span class="muted">{tr!("受信中…（サーバーに接続すると届きます）", "Receiving… (arrives once connected)")}</span>
            </li>
        }
        .into_any();
    };
    let progress = progress_of(ws, id);
    view! {
        <li class="checklist-row" data-doc=id.to_string()>
            <A href=format!("/checklists/{id}") attr:class="checklist-link">
                <span class="checklist-title">{move || checklist_title(&meta)}</span>
                {move || progress.get().map(|p| view! {
                    <span class="progress">
                        <progress max=p.total value=p.answered></progress>
                        <span class="progress-count">{format!("{}/{}", p.answered, p.total)}</span>
                    </span>
                })}
            </A>
        </li>
    }
    .into_any()
}

/// A facility's request for this vendor's devices: how many rows, and how many wait for the facility.
#[component]
fn DevicesRow(id: DocumentId) -> impl IntoView {
    let ws = use_workspace();
    let counts = move || {
        ws.contribution(id).ok().map(|c| {
            let pending = c
                .rows
                .keys()
                .filter(|r| {
                    mamori_shared::ledger::proposals::state_of(&c, r)
                        == mamori_shared::ledger::proposals::State::Pending
                })
                .count();
            (c.rows.len(), pending)
        })
    };
    view! {
        <li class="devices-row" data-doc=id.to_string()>
            <A href=format!("/vendor/devices/{id}") attr:class="devices-link">
                <span class="checklist-title">{tr!("機器台帳への記入（保守している機器）", "Devices you maintain, for the ledger")}</span>
                {move || counts().map(|(all, pending)| view! {
                    <span class="progress-count">{format!("{all}台 / 確認待ち {pending}")}</span>
                })}
            </A>
        </li>
    }
}
