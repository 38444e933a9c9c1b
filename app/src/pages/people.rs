//! `/people` (管理者): the facility's people and their roles (changed in place), invitations (a single-use link, valid 7 days),
//! and ending someone's access (退職). The server checks every action; this page only offers them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::access::Role;
use mamori_shared::api::{EmailSet, Invite, Invited, People, PersonInfo, SetEmail, SetRole};
use mamori_shared::model::VendorId;

use crate::api::{self, NO_BODY};
use crate::components::quarantine::QuarantineList;
use crate::components::tokens::TokenList;
use crate::state::use_workspace;
use crate::tr;

/// The signed-in person's own address for reminder mails (管理者 get a weekly summary and a mail the day
/// something becomes overdue; nobody is mailed without an address). Empty stops the mails.
fn email_editor(
    current: Option<String>,
    message: RwSignal<Option<String>>,
    reload: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let value = RwSignal::new(current.unwrap_or_default());
    let save = move |_| {
        let email = value.get_untracked();
        spawn_local(async move {
            let body = SetEmail {
                email: Some(email).filter(|e| !e.trim().is_empty()),
            };
            match api::call("PUT", "/api/me/email", Some(&body))
                .await
                .and_then(|a| a.read::<EmailSet>())
            {
                Ok(set) => {
                    message.set(Some(match set.email {
                        Some(e) => crate::i18n::lang().pick(
                            format!("期限のお知らせを {e} に送ります（管理者のみ）。"),
                            format!("Reminders will be mailed to {e} (administrators only)."),
                        ),
                        None => crate::i18n::lang().pick(
                            "期限のお知らせメールを止めました。".to_string(),
                            "Reminder mails stopped.".to_string(),
                        ),
                    }));
                    reload();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <span class="email-editor">
            <input type="email" name="reminder_email" autocomplete="email" aria-label=tr!("期限のお知らせメール", "Reminder mail")
                placeholder="name@example.jp" prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
            <button class="button small save-email" on:click=save>{tr!("保存", "Save")}</button>
        </span>
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let ws = use_workspace();
    let people = RwSignal::new(Vec::<PersonInfo>::new());
    let message = RwSignal::new(None::<String>);
    let link = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Staff);
    let vendor = RwSignal::new(String::new());
    let facility = move || ws.index().map(|i| i.facility.id);
    // Changes only when the facility does, not on every document change.
    let facility_id = Memo::new(move |_| facility());

    let load = move || {
        let Some(f) = facility() else { return };
        spawn_local(async move {
            let path = format!("/api/facilities/{f}/people");
            match api::call("GET", &path, NO_BODY)
                .await
                .and_then(|a| a.read::<People>())
            {
                Ok(p) => people.set(p.people),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    load();

    let invite = move |_| {
        let Some(f) = facility() else { return };
        let r = role.get_untracked();
        let v = vendor.get_untracked();
        let body = Invite {
            name: name.get_untracked().trim().to_string(),
            role: r,
            // The select lists the index's vendors by id; none chosen is refused by the server with a message.
            vendor_id: (r == Role::Vendor).then(|| VendorId::parse(&v)).flatten(),
        };
        spawn_local(async move {
            // Inviting a 管理者 needs a fresh passkey proof (asked for when the server says so).
            match crate::account::sensitive(
                "POST",
                &format!("/api/facilities/{f}/invitations"),
                Some(&body),
            )
            .await
            {
                Ok(a) if a.ok() => {
                    link.set(a.read::<Invited>().ok().map(|i| i.link));
                    message.set(None);
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };

    let change_role = move |person: String, to: Role| {
        let Some(f) = facility() else { return };
        spawn_local(async move {
            let body = SetRole {
                role: to,
                vendor_id: None,
            };
            match crate::account::sensitive(
                "POST",
                &format!("/api/facilities/{f}/people/{person}/role"),
                Some(&body),
            )
            .await
            {
                Ok(a) if a.ok() => load(),
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };

    let remove = move |person: String, who: String| {
        let Some(f) = facility() else { return };
        let question = format!(
            "{who} さんの利用を終了しますか？（退職など）この端末以外のセッションと同期もすぐに止まります。"
        );
        if !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match crate::account::sensitive(
                "POST",
                &format!("/api/facilities/{f}/people/{person}/remove"),
                NO_BODY,
            )
            .await
            {
                Ok(a) if a.ok() => load(),
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <section class="page people">
            <h1>{tr!("利用者の管理", "People")}</h1>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <table class="people-list">
                <thead><tr><th>{tr!("氏名", "Name")}</th><th>{tr!("役割", "Role")}</th><th>{tr!("期限のお知らせメール", "Reminder mail")}</th><th></th></tr></thead>
                <tbody>
                    {move || people.get().into_iter().map(|p| {
                        let id = p.person_id.to_string();
                        let who = p.name;
                        let r = p.role;
                        let disabled = p.disabled;
                        let label = who.clone();
                        let mine = crate::account::current().is_some_and(|me| me.person_id == p.person_id);
                        let email = p.email.clone();
                        view! {
                            <tr class="person-row" class:disabled=disabled>
                                <td class="name">{label}</td>
                                <td class="role">
                                    {if disabled || r == Role::Vendor {
                                        view! { <span>{move || crate::i18n::lang().pick(r.label_ja(), r.label_en())}</span> }.into_any()
                                    } else {
                                        // Staff roles change in place; a vendor's user is invited for a vendor instead.
                                        let id = id.clone();
                                        view! {
                                            <select class="person-role" aria-label=tr!("役割", "Role") on:change=move |ev| {
                                                if let Some(to) = Role::parse(&event_target_value(&ev)) { change_role(id.clone(), to) }
                                            }>
                                                {[Role::Admin, Role::Staff, Role::Viewer].into_iter().map(|o| view! {
                                                    <option value=o.as_str() selected=o == r>
                                                        {move || crate::i18n::lang().pick(o.label_ja(), o.label_en())}</option>
                                                }).collect_view()}
                                            </select>
                                        }.into_any()
                                    }}
                                    {disabled.then(|| view! { <span class="muted">{tr!("（無効）", " (disabled)")}</span> })}</td>
                                <td class="email">{if mine && !disabled {
                                    email_editor(email.clone(), message, load).into_any()
                                } else {
                                    view! { <span>{email.clone().unwrap_or_else(|| "—".into())}</span> }.into_any()
                                }}</td>
                                <td>{(!disabled).then(|| {
                                    let (id, who) = (id.clone(), who.clone());
                                    view! { <button class="button secondary remove-person"
                                        on:click=move |_| remove(id.clone(), who.clone())>{tr!("利用終了", "End access")}</button> }
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>

            {move || facility_id.get().map(|f| view! { <QuarantineList facility=f /> })}
            {move || facility_id.get().map(|f| view! { <TokenList facility=f /> })}

            <h2>{tr!("招待する", "Invite")}</h2>
            <div class="form invite-form">
                <label class="field">
                    <span>{tr!("氏名", "Name")}</span>
                    <input type="text" class="invite-name" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{tr!("役割", "Role")}</span>
                    <select class="invite-role" on:change=move |ev| {
                        if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }
                    }>
                        {[Role::Staff, Role::Viewer, Role::Admin, Role::Vendor].into_iter().map(|r| view! {
                            <option value=r.as_str() selected=move || role.get() == r>
                                {move || crate::i18n::lang().pick(r.label_ja(), r.label_en())}</option>
                        }).collect_view()}
                    </select>
                </label>
                {move || (role.get() == Role::Vendor).then(|| view! {
                    <label class="field">
                        <span>{tr!("事業者", "Vendor")}</span>
                        <select class="invite-vendor" on:change=move |ev| vendor.set(event_target_value(&ev))>
                            <option value="">{tr!("選んでください", "Choose")}</option>
                            {ws.index().map(|i| i.vendors.values().cloned().collect::<Vec<_>>()).unwrap_or_default()
                                .into_iter().map(|v| view! { <option value=v.id.to_string()>{v.name}</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <button class="button send-invitation" on:click=invite>{tr!("招待リンクを作成", "Create an invitation link")}</button>
                {move || link.get().map(|l| view! {
                    <div class="field share">
                        <span>{tr!("招待リンク（1回限り・7日間有効）", "Invitation link (single use, valid 7 days)")}</span>
                        <input type="text" readonly class="invite-link" prop:value=l.clone() />
                        {crate::qr::svg(&l, 220).map(|svg| view! {
                            <div class="invite-qr" role="img" aria-label=tr!("招待リンクのQRコード", "QR code of the invitation link") inner_html=svg></div>
                        })}
                        <p class="muted small">{tr!(
                            "このリンクを本人に渡すか、本人のタブレットのカメラでQRコードを読み取ってもらってください。本人の端末で開くとパスキーを作成して参加できます。",
                            "Give this link to the person, or let their tablet's camera read the QR code. Opening it on their device lets them create a passkey and join."
                        )}</p>
                    </div>
                })}
            </div>
        </section>
    }
}
