//! 連絡体制図: the contact chart drawn as a diagram, its contacts by group with a form sheet to add and edit
//! them (vendors are edited on their one vendor entity), the review mark (見直し) item 3-① looks at, and an
//! A4 print layout to post on the wall.

use leptos::prelude::*;
use mamori_shared::contacts::{Shown, VENDOR_GROUP, diagram, english};
use mamori_shared::model::{DocumentId, Vendor, VendorId};
use mamori_shared::schema::contact_chart::{Contact, Group, Phone};

use crate::components::field::text_field;
use crate::i18n::{Lang, lang};
use crate::settings::use_settings;
use crate::state::{ChartView, format_time, now_ms, today, use_workspace};
use crate::tr;

/// What the form sheet is editing.
#[derive(Debug, Clone, PartialEq)]
enum Editing {
    Contact(Contact),
    Vendor(Vendor, Option<Contact>),
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let editing = RwSignal::new(None::<Editing>);
    let error = RwSignal::new(None::<String>);
    let chart = Memo::new(move |_| ws.contact_chart());
    let style = move || settings.with(|s| s.dates());

    let create = move |_| {
        if let Err(e) = ws.ensure_contact_chart() {
            error.set(Some(e.to_string()))
        }
    };
    let review = move |_| {
        if let Some(c) = chart.get_untracked()
            && let Err(e) = ws.mark_chart_reviewed(c.id)
        {
            error.set(Some(e.to_string()))
        }
    };
    let print = move |_| {
        let _ = window().print();
    };

    view! {
        <section class="page contacts-page">
            <h1 class="no-print">{tr!("連絡体制図", "Contact chart")}</h1>
            {move || match chart.get() {
                None => view! {
                    <div class="card">
                        <p>{tr!(
                            "インシデント発生時の連絡体制図（チェックリスト 3-①）を、施設の種類に合ったひな形から作成します。",
                            "Create the incident contact chart (checklist 3-①) from the template for your kind of facility."
                        )}</p>
                        <button class="button primary create-chart" on:click=create>{tr!("ひな形から作成", "Create from the template")}</button>
                    </div>
                }.into_any(),
                Some(c) => {
                    let c = in_language(c, lang());
                    let reviewed = c.chart.reviewed.clone();
                    let updated = c.chart.updated_at_ms;
                    let read_only = viewer_at(c.facility_id);
                    view! {
                        <header class="print-only chart-print-head">
                            <h1>{format!("連絡体制図 — {}", c.facility)}</h1>
                            <p>{move || format!(
                                "印刷日: {}　連絡体制図の最終更新: {}{}",
                                today().display(style()),
                                format_time(updated, style()),
                                reviewed.as_ref().and_then(|r| r.on).map(|d| format!("　最終見直し: {}", d.display(style()))).unwrap_or_default()
                            )}</p>
                        </header>
                        <div class="chart-status no-print">
                            <p class="chart-reviewed">{
                                let reviewed = c.chart.reviewed.clone();
                                move || match reviewed.as_ref().and_then(|r| r.on.map(|d| (d, r.by.clone()))) {
                                    Some((d, by)) => format!("{} {} {}", tr!("最終見直し:", "Last reviewed:")(), d.display(style()), by),
                                    None => tr!("まだ見直しの記録がありません。", "Not reviewed yet.")().to_string(),
                                }
                            }</p>
                            <p class="muted">{move || format!("{} {}", tr!("最終更新:", "Last changed:")(), format_time(updated, style()))}</p>
                            <div class="row-actions">
                                <Show when=move || !read_only>
                                    <button class="button mark-reviewed" on:click=review>{tr!("内容を確認した（見直し済みにする）", "Checked it (mark reviewed)")}</button>
                                </Show>
                                <button class="button print-chart" on:click=print>{tr!("A4で印刷", "Print on A4")}</button>
                            </div>
                            {move || (ws.extra_charts() > 0).then(|| view! {
                                <div class="banner banner-warn extra-charts">
                                    <p>{tr!(
                                        "別の端末でも連絡体制図が作られていました。最初に作られたものを表示しています。",
                                        "Another device also created a chart; the first one made is shown."
                                    )}</p>
                                    <Show when=move || !read_only>
                                        <button class="button merge-charts" on:click=move |_| {
                                            if let Err(e) = ws.merge_extra_charts() { error.set(Some(e.to_string())) }
                                        }>{tr!("もう一方の連絡先をこの図に取り込む", "Bring the other chart's contacts into this one")}</button>
                                    </Show>
                                </div>
                            })}
                        </div>
                        <figure class="chart-diagram" inner_html=diagram::diagram(&c.shown, lang().pick(&diagram::JA, &diagram::EN))></figure>
                        <ChartGroups chart=c.clone() editing />
                    }.into_any()
                }
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || editing.get().zip(chart.get()).map(|(e, c)| view! { <ContactSheet chart=c editing=e close=editing /> })}
        </section>
    }
}

/// The contacts, group by group, each with an edit button; adding a contact or a group.
#[component]
fn ChartGroups(chart: ChartView, editing: RwSignal<Option<Editing>>) -> impl IntoView {
    let ws = use_workspace();
    let read_only = viewer_at(chart.facility_id);
    let new_group = RwSignal::new(String::new());
    let groups: Vec<Group> = chart.chart.groups_in_order().into_iter().cloned().collect();
    let next_group_order = groups.iter().map(|g| g.order).max().unwrap_or(0) + 1;
    let chart_id = chart.id;
    let add_group = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_group.get_untracked().trim().to_string();
        if name.is_empty() {
            return;
        }
        let group = Group {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            order: next_group_order,
        };
        if ws
            .change(chart_id, |doc| {
                mamori_shared::schema::contact_chart::put_group(doc, &group, now_ms())
            })
            .is_ok()
        {
            new_group.set(String::new());
        }
    };
    let sections = groups
        .into_iter()
        .map(|g| {
            let members: Vec<Shown> = chart
                .shown
                .iter()
                .filter(|s| s.group == g.id)
                .cloned()
                .collect();
            let chart = chart.clone();
            let group_id = g.id.clone();
            let is_vendors = g.id == VENDOR_GROUP;
            let add_to = g.id.clone();
            let next_order = members.len() as i64;
            view! {
                <section class="chart-group no-print" data-group=g.id.clone()>
                    <h2>{g.name.clone()}</h2>
                    <ul class="contact-rows">
                        {members.into_iter().map(|s| {
                            let chart = chart.clone();
                            let s2 = s.clone();
                            let open = move |_| editing.set(Some(editing_for(&chart, &s.id)));
                            view! {
                                <li class="contact-row card" data-contact=s2.id.clone()>
                                    <div>
                                        <span class="contact-role">{s2.role.clone()}</span>
                                        <strong class="contact-title">{s2.title()}</strong>
                                        <span class="contact-phones">{
                                            if s2.phones.is_empty() { tr!("電話番号なし", "No number")().to_string() }
                                            else { s2.phones.iter().map(|p| p.number.clone()).collect::<Vec<_>>().join(" / ") }
                                        }</span>
                                    </div>
                                    <Show when=move || !read_only>
                                        <button class="button small edit-contact" on:click=open.clone()>{tr!("編集", "Edit")}</button>
                                    </Show>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <Show when=move || !read_only && group_id != VENDOR_GROUP>
                        <button class="button small add-contact" on:click={
                            let gid = add_to.clone();
                            move |_| editing.set(Some(Editing::Contact(Contact::new(&gid, next_order))))
                        }>{tr!("＋ 連絡先を追加", "+ Add a contact")}</button>
                    </Show>
                    {is_vendors.then(|| view! {
                        <p class="muted">{tr!(
                            "事業者は「事業者の管理」の登録から表示されます（チェックリストと同じ事業者）。",
                            "Vendors come from the vendor register (the same vendors as the checklists)."
                        )}</p>
                    })}
                </section>
            }
        })
        .collect_view();
    view! {
        {sections}
        <Show when=move || !read_only>
            <form class="form card no-print add-group" on:submit=add_group>
                <label class="field">
                    <span>{tr!("グループを追加（例: 近隣の医療機関、保険者）", "Add a group (e.g. nearby hospitals)")}</span>
                    <input name="group_name" type="text" prop:value=new_group on:input=move |ev| new_group.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button">{tr!("追加", "Add")}</button>
            </form>
        </Show>
    }
}

/// What editing the row `id` means: the chart's contact, or the vendor entity behind a vendor row.
fn editing_for(chart: &ChartView, id: &str) -> Editing {
    let vendor = |vid: VendorId| chart.vendors.get(&vid.to_string()).cloned();
    if let Some(vid) = id.strip_prefix("vendor:").and_then(VendorId::parse)
        && let Some(v) = vendor(vid)
    {
        return Editing::Vendor(v, None);
    }
    match chart.chart.contacts.get(id) {
        Some(c) => match c.vendor_id.and_then(vendor) {
            Some(v) => Editing::Vendor(v, Some(c.clone())),
            None => Editing::Contact(c.clone()),
        },
        None => Editing::Contact(Contact::new("others", 0)),
    }
}

/// The form sheet for one contact or vendor.
#[component]
fn ContactSheet(
    chart: ChartView,
    editing: Editing,
    close: RwSignal<Option<Editing>>,
) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    let (contact, vendor) = match editing {
        Editing::Contact(c) => (c, None),
        Editing::Vendor(v, placed) => {
            let placed = placed.unwrap_or_else(|| {
                let mut c = Contact::new(VENDOR_GROUP, 0);
                c.vendor_id = Some(v.id);
                // Where the chart shows it now (the template's default caller).
                c.called_by = chart
                    .shown
                    .iter()
                    .find(|s| s.vendor == Some(v.id))
                    .and_then(|s| s.called_by.clone());
                c
            });
            (placed, Some(v))
        }
    };
    let is_new = !chart.chart.contacts.contains_key(&contact.id) && vendor.is_none();
    let field = |s: &str| RwSignal::new(s.to_string());
    let role = field(&contact.role);
    let name = field(
        vendor
            .as_ref()
            .map(|v| v.contact_person.as_str())
            .unwrap_or(&contact.name),
    );
    let organisation = field(
        vendor
            .as_ref()
            .map(|v| v.name.as_str())
            .unwrap_or(&contact.organisation),
    );
    let phone_at = |i: usize| contact.phones.get(i).cloned();
    let phones: Vec<(RwSignal<String>, RwSignal<String>)> = match &vendor {
        Some(v) => vec![(field("連絡先"), field(&v.phone))],
        None => (0..3)
            .map(|i| {
                let p = phone_at(i);
                (
                    field(p.as_ref().map(|p| p.label.as_str()).unwrap_or(if i == 0 {
                        "代表"
                    } else {
                        ""
                    })),
                    field(p.as_ref().map(|p| p.number.as_str()).unwrap_or("")),
                )
            })
            .collect(),
    };
    let email = field(
        vendor
            .as_ref()
            .map(|v| v.email.as_str())
            .unwrap_or(&contact.email),
    );
    let hours = field(
        vendor
            .as_ref()
            .map(|v| v.hours.as_str())
            .unwrap_or(&contact.hours),
    );
    let notes = field(&contact.notes);
    let called_by = field(contact.called_by.as_deref().unwrap_or(""));
    let group = field(&contact.group);
    let callers: Vec<(String, String)> = chart
        .shown
        .iter()
        .filter(|s| s.id != contact.id && s.vendor.is_none())
        .map(|s| {
            (
                s.id.clone(),
                format!("{} {}", shown_word(&s.role), s.name)
                    .trim()
                    .to_string(),
            )
        })
        .collect();
    let groups: Vec<Group> = chart
        .chart
        .groups_in_order()
        .into_iter()
        .filter(|g| g.id != VENDOR_GROUP)
        .cloned()
        .collect();
    let chart_id: DocumentId = chart.id;

    let save = {
        let contact = contact.clone();
        let vendor = vendor.clone();
        let phones = phones.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let trim = |s: RwSignal<String>| s.get_untracked().trim().to_string();
            let caller = Some(trim(called_by)).filter(|s| !s.is_empty());
            let result = match &vendor {
                Some(v) => {
                    let updated = Vendor {
                        name: trim(organisation),
                        contact_person: trim(name),
                        phone: trim(phones[0].1),
                        email: trim(email),
                        hours: trim(hours),
                        ..v.clone()
                    };
                    if updated.name.is_empty() {
                        error.set(Some(
                            tr!("事業者名を入力してください。", "Enter the vendor's name.")()
                                .into(),
                        ));
                        return;
                    }
                    let placed = Contact {
                        called_by: caller,
                        notes: trim(notes),
                        ..contact.clone()
                    };
                    ws.put_vendor(updated)
                        .and_then(|()| ws.put_contact(chart_id, &placed))
                }
                None => {
                    let updated = Contact {
                        role: trim(role),
                        name: trim(name),
                        organisation: trim(organisation),
                        phones: phones
                            .iter()
                            .filter(|(_, n)| !n.get_untracked().trim().is_empty())
                            .map(|(l, n)| Phone {
                                label: trim(*l),
                                number: trim(*n),
                            })
                            .collect(),
                        email: trim(email),
                        hours: trim(hours),
                        notes: trim(notes),
                        called_by: caller,
                        group: trim(group),
                        ..contact.clone()
                    };
                    if updated.role.is_empty()
                        && updated.name.is_empty()
                        && updated.organisation.is_empty()
                    {
                        error.set(Some(
                            tr!(
                                "役割・氏名・組織のいずれかを入力してください。",
                                "Enter a role, a name or an organisation."
                            )()
                            .into(),
                        ));
                        return;
                    }
                    ws.put_contact(chart_id, &updated)
                }
            };
            match result {
                Ok(()) => close.set(None),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    let remove = {
        let id = contact.id.clone();
        move |_| {
            let ok = window()
                .confirm_with_message("この連絡先を削除しますか？ / Remove this contact?")
                .unwrap_or(false);
            if ok {
                match ws.remove_contact(chart_id, &id) {
                    Ok(()) => close.set(None),
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        }
    };
    let is_vendor = vendor.is_some();
    view! {
        <div class="sheet-backdrop no-print">
            <form class="sheet form card contact-sheet" on:submit=save>
                <h2>{move || if is_vendor { tr!("事業者の連絡先", "Vendor contact")() } else if is_new { tr!("連絡先を追加", "Add a contact")() } else { tr!("連絡先を編集", "Edit contact")() }}</h2>
                {(!is_vendor).then(|| text_field(tr!("役割（例: 医療情報システム安全管理責任者）", "Role"), "role", role, "text"))}
                {text_field(if is_vendor { tr!("事業者名", "Vendor name") } else { tr!("組織・部署", "Organisation") }, "organisation", organisation, "text")}
                {text_field(if is_vendor { tr!("担当者名", "Contact person") } else { tr!("氏名", "Name") }, "name", name, "text")}
                <fieldset class="field phones">
                    <legend>{tr!("電話番号（上から順にかける）", "Phone numbers (try in this order)")}</legend>
                    <div class="phones-head" aria-hidden="true">
                        <span>{tr!("種類", "Kind")}</span><span>{tr!("番号", "Number")}</span>
                    </div>
                    {phones.iter().enumerate().map(|(i, (label, number))| {
                        let (label, number) = (*label, *number);
                        let n = i + 1;
                        let lang = crate::i18n::lang;
                        view! {
                            <div class="phone-row">
                                <input class="phone-label" name=format!("phone_label_{i}") type="text"
                                    aria-label=move || lang().pick(format!("電話番号{n}の種類（代表・携帯・夜間など）"), format!("Phone {n}: kind (main, mobile, night …)"))
                                    placeholder=tr!("例: 代表", "e.g. Main") prop:value=label on:input=move |ev| label.set(event_target_value(&ev)) disabled=is_vendor />
                                <input class="phone-number" name=format!("phone_{i}") type="tel" inputmode="tel" autocomplete="off"
                                    aria-label=move || lang().pick(format!("電話番号{n}"), format!("Phone {n}: number"))
                                    prop:value=number on:input=move |ev| number.set(event_target_value(&ev)) />
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                {text_field(tr!("受付時間（例: 24時間、平日9時〜18時）", "Hours"), "hours", hours, "text")}
                {text_field(tr!("メール", "E-mail"), "email", email, "text")}
                {text_field(tr!("メモ", "Notes"), "notes", notes, "text")}
                <label class="field">
                    <span>{tr!("誰から連絡するか", "Who calls them")}</span>
                    <select name="called_by" on:change=move |ev| called_by.set(event_target_value(&ev))>
                        <option value="" selected=called_by.get_untracked().is_empty()>{tr!("発見した人がすぐに連絡", "Whoever notices, at once")}</option>
                        {callers.into_iter().map(|(id, label)| {
                            let selected = called_by.get_untracked() == id;
                            view! { <option value=id selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {(!is_vendor).then(|| view! {
                    <label class="field">
                        <span>{tr!("グループ", "Group")}</span>
                        <select name="group" on:change=move |ev| group.set(event_target_value(&ev))>
                            {groups.into_iter().map(|g| {
                                let selected = group.get_untracked() == g.id;
                                view! { <option value=g.id.clone() selected=selected>{shown_word(&g.name)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="row-actions">
                    <button type="submit" class="button primary save-contact">{tr!("保存", "Save")}</button>
                    <button type="button" class="button" on:click=move |_| close.set(None)>{tr!("キャンセル", "Cancel")}</button>
                    {(!is_new && !is_vendor).then(|| view! {
                        <button type="button" class="button danger remove-contact" on:click=remove.clone()>{tr!("削除", "Remove")}</button>
                    })}
                </div>
            </form>
        </div>
    }
}

/// The chart as this screen shows it: in English, the template's own words (groups, roles, the ministry's
/// office) in English; what people typed stays as typed. Only for showing: the sheet edits the chart itself.
fn in_language(mut c: ChartView, lang: Lang) -> ChartView {
    if lang == Lang::En {
        c.shown = c.shown.into_iter().map(Shown::in_english).collect();
        for g in c.chart.groups.values_mut() {
            g.name = english::word(&g.name);
        }
    }
    c
}

/// A template's word in the screen's language (the sheet's lists).
fn shown_word(text: &str) -> String {
    lang().pick(text.to_string(), english::word(text))
}

/// A 閲覧者 may not change the chart (the server would refuse it).
fn viewer_at(facility: mamori_shared::model::FacilityId) -> bool {
    crate::account::role_at(facility) == Some(mamori_shared::access::Role::Viewer)
}
