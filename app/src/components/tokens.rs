//! 連携用トークン (for the 管理者, on 利用者の管理): the facility's API tokens for programs that sync (a
//! reception system, a vendor's tool). Each has a role (never 管理者) and an expiry of at most a year; the
//! list shows who issued each and when it ends, and revokes one at once. A new token's secret is shown once,
//! here, and never again. The server decides everything; this list only offers it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::access::Role;
use mamori_shared::api::{IssueToken, TokenInfo, TokenIssued, Tokens};
use mamori_shared::model::FacilityId;

use crate::api::{self, NO_BODY};
use crate::settings::use_settings;
use crate::state::format_time;
use crate::tr;

#[component]
pub fn TokenList(facility: FacilityId) -> impl IntoView {
    let tokens = RwSignal::new(Vec::<TokenInfo>::new());
    let message = RwSignal::new(None::<String>);
    let secret = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("staff".to_string());
    let days = RwSignal::new("90".to_string());
    let load = move || {
        spawn_local(async move {
            let path = format!("/api/facilities/{facility}/tokens");
            match api::call("GET", &path, NO_BODY).await {
                Ok(a) if a.ok() => {
                    tokens.set(a.read::<Tokens>().map(|t| t.tokens).unwrap_or_default())
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    load();
    let revoke = move |id: String| {
        spawn_local(async move {
            let path = format!("/api/facilities/{facility}/tokens/{id}");
            match api::call("DELETE", &path, NO_BODY).await {
                Ok(a) if a.ok() => {
                    message.set(None);
                    load();
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let issue = move |_| {
        let body = IssueToken {
            name: name.get_untracked().trim().to_string(),
            // The select offers 担当者 and 閲覧者 only.
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Staff),
            vendor_id: None,
            expires_in_days: days.get_untracked().trim().parse::<u32>().ok(),
        };
        spawn_local(async move {
            // Issuing grants access: the server wants a fresh passkey proof (asked for here).
            let path = format!("/api/facilities/{facility}/tokens");
            match crate::account::sensitive("POST", &path, Some(&body)).await {
                Ok(a) if a.ok() => {
                    secret.set(a.read::<TokenIssued>().ok().map(|t| t.token));
                    name.set(String::new());
                    message.set(None);
                    load();
                }
                Ok(a) => message.set(Some(a.error())),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let role_label = |r: Role| match r {
        Role::Staff => tr!("担当者", "Staff"),
        Role::Viewer => tr!("閲覧者", "Viewer"),
        Role::Vendor => tr!("事業者", "Vendor"),
        Role::Admin => tr!("不明", "Unknown"),
    };

    view! {
        <section class="tokens">
            <h2>{tr!("連携用トークン", "Tokens for programs")}</h2>
            <p class="muted small">{tr!(
                "他のシステムが同期するためのトークンです。役割と有効期限（最長1年）があり、発行した人が利用を終了すると無効になります。",
                "Tokens let other programs sync. Each has a role and an expiry (at most a year), and ends when the person who issued it leaves."
            )}</p>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || secret.get().map(|s| view! {
                <div class="token-secret notice" role="status">
                    <p>{tr!("このトークンは今だけ表示されます。連携先に設定してください:", "This token is shown only now. Set it in the program:")}</p>
                    <code class="token-value">{s}</code>
                </div>
            })}
            {move || {
                let all = tokens.get();
                if all.is_empty() {
                    return view! { <p class="muted tokens-empty">{tr!("ありません", "None")}</p> }.into_any();
                }
                let style = use_settings().with(|s| s.dates());
                view! {
                    <ul class="token-list">
                        {all.into_iter().map(|t| {
                            let id = t.id;
                            let revoke_id = id.clone();
                            view! {
                                <li class="token-row" data-token=id>
                                    <strong>{t.name}</strong>
                                    " · " {role_label(t.role)}
                                    <div class="muted small">
                                        {tr!("発行: ", "Issued by ")}{t.issued_by}
                                        " · " {tr!("期限: ", "Expires ")}{format_time(t.expires_at, style)}
                                    </div>
                                    <button class="button secondary revoke-token" on:click=move |_| revoke(revoke_id.clone())>
                                        {tr!("取り消す", "Revoke")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <div class="form token-form">
                <label>{tr!("名前（連携先）", "Name (the program)")}
                    <input class="token-name" prop:value=move || name.get()
                        on:input=move |e| name.set(event_target_value(&e)) /></label>
                <label>{tr!("役割", "Role")}
                    <select class="token-role" on:change=move |e| role.set(event_target_value(&e))>
                        <option value="staff" selected=true>{tr!("担当者", "Staff")}</option>
                        <option value="viewer">{tr!("閲覧者", "Viewer")}</option>
                    </select></label>
                <label>{tr!("有効日数（1〜365）", "Days valid (1-365)")}
                    <input class="token-days" type="number" min="1" max="365" prop:value=move || days.get()
                        on:input=move |e| days.set(event_target_value(&e)) /></label>
                <button class="button issue-token" on:click=issue>{tr!("発行する", "Issue")}</button>
            </div>
        </section>
    }
}
