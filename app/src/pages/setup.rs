//! First start: set up the facility on this device, then start its checklist for this fiscal year.
//!
//! The facility gets a generated id here; when accounts exist it is registered on the server under the same
//! id with everything entered so far.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use mamori_shared::model::{Facility, FacilityId, FacilityKind};

use crate::settings::use_settings;
use crate::state::{today, use_workspace};
use crate::tr;

#[component]
pub fn SetupPage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let navigate = use_navigate();
    let existing = ws.index().map(|i| i.facility);
    let editing = existing.is_some();

    let kind = RwSignal::new(
        existing
            .as_ref()
            .map(|f| f.kind)
            .unwrap_or(FacilityKind::Clinic),
    );
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|f| f.name.clone())
            .unwrap_or_default(),
    );
    let address = RwSignal::new(
        existing
            .as_ref()
            .map(|f| f.address.clone())
            .unwrap_or_default(),
    );
    let has_vendor = RwSignal::new(
        existing
            .as_ref()
            .map(|f| f.has_vendor_contract)
            .unwrap_or(true),
    );
    let user = RwSignal::new(settings.with_untracked(|s| s.user_name.clone()));
    let error = RwSignal::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if name.with(|n| n.trim().is_empty()) {
            error.set(Some(
                tr!("施設名を入力してください。", "Enter the facility name.")().to_string(),
            ));
            return;
        }
        if user.with(|n| n.trim().is_empty()) {
            error.set(Some(
                tr!("記入者のお名前を入力してください。", "Enter your name.")().to_string(),
            ));
            return;
        }
        settings.update(|s| s.user_name = user.get_untracked().trim().to_string());
        let facility = Facility {
            id: existing
                .as_ref()
                .map(|f| f.id)
                .unwrap_or_else(FacilityId::generate),
            kind: kind.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            address: address.get_untracked().trim().to_string(),
            has_vendor_contract: has_vendor.get_untracked(),
        };
        let result = if editing {
            ws.update_facility(facility)
        } else {
            let form = facility.kind.institution_form();
            ws.setup_facility(facility).and_then(|_| {
                ws.create_checklist(form, today().fiscal_year(), None)
                    .map(|_| ())
            })
        };
        match result {
            Ok(()) => {
                // Home shows the facility and its checklist once they are on this device (a few ms), so a
                // reload as soon as it shows keeps them.
                let navigate = navigate.clone();
                leptos::task::spawn_local(async move {
                    ws.settled(5_000).await;
                    navigate("/", Default::default());
                });
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    view! {
        <section class="page setup">
            <h1>{move || if editing { tr!("施設の情報", "Facility details")() } else { tr!("施設の登録", "Set up your facility")() }}</h1>
            <p class="lead">{tr!(
                "この端末に施設を登録します。入力した内容はこの端末に保存され、ネットワークがなくても使えます。",
                "Register your facility on this device. Everything you enter is kept on the device and works without a network."
            )}</p>
            <form on:submit=submit class="form">
                <label class="field">
                    <span>{tr!("施設の種類", "Type of facility")}</span>
                    <select name="kind" on:change=move |ev| {
                        if let Some(k) = FacilityKind::parse(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {FacilityKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>
                                {move || crate::i18n::lang().pick(k.label_ja(), k.label_en())}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{tr!("施設名", "Facility name")}</span>
                    <input name="name" type="text" required autocomplete="organization"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("所在地", "Address")}</span>
                    <input name="address" type="text" autocomplete="street-address"
                        prop:value=address on:input=move |ev| address.set(event_target_value(&ev)) />
                </label>
                <fieldset class="field">
                    <legend>{tr!("医療情報システムの事業者との契約", "Contract with an IT vendor")}</legend>
                    <label class="check">
                        <input type="radio" name="vendor" prop:checked=has_vendor on:change=move |_| has_vendor.set(true) />
                        {tr!("契約している", "Yes")}
                    </label>
                    <label class="check">
                        <input type="radio" name="vendor" prop:checked=move || !has_vendor.get() on:change=move |_| has_vendor.set(false) />
                        {tr!("契約していない（2-②・2-③は記入不要）", "No (2-② and 2-③ are not required)")}
                    </label>
                </fieldset>
                <label class="field">
                    <span>{tr!("記入者（あなたのお名前）", "Your name (recorded with each answer)")}</span>
                    <input name="user" type="text" required autocomplete="name"
                        prop:value=user on:input=move |ev| user.set(event_target_value(&ev)) />
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" class="button primary large">
                    {move || if editing { tr!("保存", "Save")() } else { tr!("登録して始める", "Set up and start")() }}
                </button>
            </form>
        </section>
    }
}
