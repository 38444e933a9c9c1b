//! What the split chunk holds, and its one split point ([`code`]): every screen off the first screen's path,
//! the first screens' parts and the sync connection's set-up. `later` asks for them through the function
//! pointers `code` hands back; nothing else names them, so wasm-split moves all of it into the chunk
//! (scripts/split-app.sh). A module of its own so that the screens, which ask `later` for parts, do not
//! import what builds them.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;

use crate::components::sign_in_first::needs_sign_in;
use crate::error::guarded;
use crate::later::{Code, NotLoaded, Part, Screen};
use crate::pages;
use crate::state::Workspace;
use crate::sync::{LocalFuture, SyncHandle};

/// Fetches the chunk: what `App` gives `later::provide`.
pub fn load() -> LocalFuture<Result<Code, NotLoaded>> {
    Box::pin(code())
}

/// The split point: the only function whose call loads the chunk. Everything it names is reachable only
/// through it (a wrapper per screen, before, cost 46 KB of the first part, raw).
#[wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
fn code() -> Result<Code, NotLoaded> {
    Ok(Code {
        screen: build_screen,
        part: build_part,
        connecting,
    })
}

fn build_screen(which: Screen) -> AnyView {
    match which {
        Screen::Setup => guarded(pages::setup::SetupPage),
        Screen::Join => guarded(pages::join::JoinPage),
        Screen::SetAside => guarded(pages::set_aside::SetAsidePage),
        Screen::Settings => guarded(pages::settings::SettingsPage),
        Screen::Account => guarded(pages::account::AccountPage),
        Screen::Invite => guarded(pages::invite::InvitePage),
        Screen::People => guarded(|| needs_sign_in(pages::people::PeoplePage)),
        Screen::Log => guarded(|| needs_sign_in(pages::log::LogPage)),
        Screen::Vendors => guarded(pages::vendors::VendorsPage),
        Screen::Contacts => guarded(pages::contacts::ContactsPage),
        Screen::DeviceLedger => guarded(pages::ledgers::DeviceLedgerPage),
        Screen::AccountLedger => guarded(pages::ledgers::AccountLedgerPage),
        Screen::Incidents => guarded(pages::incidents::IncidentsPage),
        Screen::Evidence => guarded(pages::evidence::EvidencePage),
        Screen::Readiness => guarded(pages::readiness::ReadinessPage),
        Screen::Reminders => guarded(pages::reminders::RemindersPage),
        Screen::Binder => guarded(pages::binder::BinderPage),
        Screen::Incident => guarded(pages::incidents::IncidentPage),
        Screen::VendorHome => guarded(pages::vendor_home::VendorHomePage),
        Screen::VendorDevices => guarded(pages::vendor_devices::VendorDevicesPage),
        Screen::Print => guarded(pages::print::PrintPage),
        Screen::Bench => guarded(pages::bench::StorageBench),
    }
}

fn build_part(which: Part) -> AnyView {
    use crate::components::{copy_answers, edition_move, first_steps, seal, suggestion};
    match which {
        Part::FirstSteps => view! { <first_steps::FirstStepsCard /> }.into_any(),
        Part::Seal { id, read_only } => view! { <seal::SealPanel id read_only /> }.into_any(),
        Part::EditionMove { id, read_only } => {
            view! { <edition_move::EditionMoveOffer id read_only /> }.into_any()
        }
        Part::CopyAnswers { to, meta } => {
            view! { <copy_answers::CopyAnswers to meta /> }.into_any()
        }
        Part::Suggestion { item, form } => {
            view! { <suggestion::Suggestion item form /> }.into_any()
        }
    }
}

/// The sync connection's set-up, under the app's owner: the protocol's core, this page's session work and
/// the emergency copy's keeper. Every way a contact chart changes (its screen, sync) comes with this chunk,
/// so the static emergency copy is kept from here.
fn connecting(ws: Workspace, sync: SyncHandle, app: Owner) {
    app.with(|| {
        sync.install_core();
        crate::connect::start(ws, sync);
        crate::emergency::start(ws, sync);
    });
}
