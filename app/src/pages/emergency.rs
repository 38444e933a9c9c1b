//! 緊急連絡: every number to call, in escalation order, from the device's own copy. Reached in one tap from
//! every screen; when the app is not loaded yet the service worker shows the static copy instead (see
//! `emergency`), so this page is what an open app shows. It never waits for the network or a sign-in.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::contacts::page;

use crate::emergency::page_charts;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn EmergencyPage() -> impl IntoView {
    let ws = use_workspace();
    let html = move || {
        ws.revision.track();
        crate::settings::use_settings().track();
        page::body(&page_charts(&ws.all_charts_untracked()))
    };
    let can_create = move || {
        ws.index().is_some_and(|i| {
            crate::account::role_at(i.facility.id) != Some(mamori_shared::access::Role::Viewer)
        }) && ws.contact_chart().is_none()
    };
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="page emergency-page">
            <div inner_html=html></div>
            <nav class="emergency-actions no-print">
                <A href="/incidents" attr:class="button primary incident-link">{tr!("インシデント対応記録", "Incident log")}</A>
                <A href="/contacts" attr:class="button edit-chart">{tr!("連絡体制図を編集・印刷", "Edit or print the chart")}</A>
                <Show when=can_create>
                    <button class="button create-chart" on:click=move |_| {
                        if let Err(e) = ws.ensure_contact_chart() { error.set(Some(e.to_string())) }
                    }>{tr!("ひな形から連絡体制図を作成", "Create the chart from the template")}</button>
                </Show>
            </nav>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}
