//! On the 事業者 screen, per vendor: asking it for its devices' rows (a contribution to the 機器台帳), and
//! 「事業者からの提案」: each row the vendor changed or added, with what differs from the ledger, to accept
//! (written into the 機器台帳 field by field, with the vendor as the row's vendor) or reject. Nothing the
//! vendor writes reaches the ledger without this.

use leptos::prelude::*;
use mamori_shared::access::Role;
use mamori_shared::ledger::proposals::{Proposal, State};
use mamori_shared::model::VendorId;

use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn VendorProposals(vendor: VendorId) -> impl IntoView {
    let ws = use_workspace();
    let error = RwSignal::new(None::<String>);
    let may_write = move || {
        ws.index().is_some_and(|i| {
            matches!(
                crate::account::role_at(i.facility.id),
                None | Some(Role::Admin) | Some(Role::Staff)
            )
        })
    };
    let asked = move || ws.contribution_of(vendor);
    let ask = move |_| match ws.ask_vendor_for_devices(vendor) {
        Ok(_) => error.set(None),
        Err(e) => error.set(Some(e.to_string())),
    };
    let all = Memo::new(move |_| ws.proposals(vendor));
    let pending = move || {
        all.get()
            .into_iter()
            .filter(|p| p.state == State::Pending)
            .collect::<Vec<_>>()
    };
    let count = move |s: State| all.get().iter().filter(|p| p.state == s).count();

    view! {
        <div class="vendor-devices-request">
            {move || match asked() {
                None => may_write().then(|| view! {
                    <button class="button small ask-devices" on:click=ask>
                        {tr!("機器台帳の記入を依頼", "Ask for its devices' rows")}
                    </button>
                }).into_any(),
                Some(_) => view! {
                    <section class="vendor-proposals">
                        <h3>{tr!("事業者からの提案", "Proposed by the vendor")}</h3>
                        <p class="muted proposal-counts">{move || format!(
                            "{} {} / {} {} / {} {}",
                            crate::i18n::lang().pick("確認待ち", "Awaiting review"), pending().len(),
                            crate::i18n::lang().pick("採用済", "Accepted"), count(State::Accepted),
                            crate::i18n::lang().pick("不採用", "Not accepted"), count(State::Rejected),
                        )}</p>
                        {move || {
                            let list = pending();
                            if list.is_empty() {
                                return view! { <p class="muted no-proposals">{tr!("確認待ちの行はありません。", "Nothing awaiting review.")}</p> }.into_any();
                            }
                            view! {
                                <ul class="proposal-list">
                                    {list.into_iter().map(|p| view! { <ProposalRow vendor proposal=p error may_write=may_write() /> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {move || may_write().then(|| view! {
                            <button class="button small hand-over" on:click=ask>
                                {tr!("台帳の行を送り直す", "Hand over new ledger rows")}
                            </button>
                        })}
                    </section>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
fn ProposalRow(
    vendor: VendorId,
    proposal: Proposal,
    error: RwSignal<Option<String>>,
    may_write: bool,
) -> impl IntoView {
    let ws = use_workspace();
    let id = proposal.row.id.clone();
    let (accept_id, reject_id) = (id.clone(), id.clone());
    let accept = move |_| match ws.accept_proposal(vendor, &accept_id) {
        Ok(()) => error.set(None),
        Err(e) => error.set(Some(e.to_string())),
    };
    let reject = move |_| match ws.reject_proposal(vendor, &reject_id) {
        Ok(()) => error.set(None),
        Err(e) => error.set(Some(e.to_string())),
    };
    let title = if proposal.row.number.is_empty() {
        proposal.row.computer_name.clone()
    } else {
        proposal.row.number.clone()
    };
    view! {
        <li class="card proposal" data-row=id data-new=proposal.new_row.to_string()>
            <div class="proposal-head">
                <strong>{title}</strong>
                {proposal.new_row.then(|| view! { <span class="badge">{tr!("新しい機器", "New device")}</span> })}
                {proposal.not_theirs.then(|| view! {
                    <span class="badge warn not-theirs">{tr!("台帳では他の事業者の機器です（採用できません）", "Another vendor's device in the ledger (cannot be accepted)")}</span>
                })}
            </div>
            <table class="proposal-changes">
                <thead><tr>
                    <th>{tr!("項目", "Column")}</th>
                    <th>{tr!("台帳", "Ledger")}</th>
                    <th>{tr!("事業者の提案", "Proposed")}</th>
                </tr></thead>
                <tbody>
                    {proposal.changes.into_iter().map(|f| view! {
                        <tr class="proposal-change" data-key=f.key>
                            <th>{crate::i18n::lang().pick(f.header, f.header_en)}</th>
                            <td class="ledger-value">{f.ledger}</td>
                            <td class="proposed-value">{f.proposed}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {may_write.then(|| view! {
                <div class="row-actions">
                    {(!proposal.not_theirs).then(|| view! {
                        <button class="button primary small accept-row" on:click=accept>{tr!("台帳に反映", "Accept into the ledger")}</button>
                    })}
                    <button class="button small reject-row" on:click=reject>{tr!("不採用", "Reject")}</button>
                </div>
            })}
        </li>
    }
}
