//! Screens off the first screen's path, loaded on first use: each function here is a split point, and the
//! build (scripts/split-app.sh) moves it, with the code only it reaches, into one chunk (`screens`) that the
//! first screen does not wait for. The service worker precaches the chunk with the rest of the build, so
//! offline it loads like any other screen; a chunk that cannot be fetched (the server gone before the
//! service worker kept it) says so, with a way to try again, instead of stopping the app.
//!
//! The first screens' secondary parts (home's first steps, a checklist's seal, edition move, copied answers
//! and the suggestions beside its items) and everything around the sync connection (accounts, registering
//! documents, hand-back on departure) are in the same chunk: the first screen shows and takes answers
//! without them, and they follow as soon as it is fetched (one compile, from the worker's cache).
//!
//! One chunk, not one per screen: wasm-split makes a chunk for every set of split points sharing code, and
//! 22 screens made 170 files (the first visit's precache then missed its second before the line went down).
//! Every split function here names the same module (`screens`), so they share that one chunk.

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, ItemId};
use mamori_shared::schema::checklist::ChecklistMeta;

use crate::components::sign_in_first::needs_sign_in;
use crate::error::guarded;
use crate::pages;
use crate::state::Workspace;
use crate::sync::{LocalFuture, SyncHandle};
use crate::tr;

/// A screen's code could not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoaded;

impl From<SplitLoaderError> for NotLoaded {
    fn from(_: SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// A screen off the first screen's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Setup,
    Join,
    SetAside,
    Settings,
    Account,
    Invite,
    People,
    Log,
    Vendors,
    Contacts,
    DeviceLedger,
    AccountLedger,
    Incidents,
    Evidence,
    Readiness,
    Reminders,
    Binder,
    Incident,
    VendorHome,
    VendorDevices,
    Print,
    Bench,
}

/// The split point: every screen behind one function, so the first screen's part holds one loader (a
/// wrapper per screen cost 46 KB of the first part, raw).
#[wasm_split(
    screens,
    wasm_split_path = ::leptos::wasm_split,
    fallible
)]
fn screen(which: Screen) -> Result<AnyView, NotLoaded> {
    Ok(match which {
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
    })
}

/// A part of a first screen that can come a moment after it: nothing in it is needed to read the screen or
/// to answer an item.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Home's first steps after set-up.
    FirstSteps,
    /// A checklist's seal (確認の確定) and its button.
    Seal { id: DocumentId, read_only: bool },
    /// The offer to move a checklist to a newer edition.
    EditionMove { id: DocumentId, read_only: bool },
    /// A vendor's answers copied from the same form at another facility.
    CopyAnswers { to: DocumentId, meta: ChecklistMeta },
    /// What Mamori's own data says beside an item.
    Suggestion { item: ItemId, form: FormKind },
}

/// The split point of the first screens' parts (same chunk as the screens).
#[wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
fn part(which: Part) -> Result<AnyView, NotLoaded> {
    use crate::components::{copy_answers, edition_move, first_steps, seal, suggestion};
    Ok(match which {
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
    })
}

/// A part of a first screen, shown once the chunk is here; nothing while it is not (the screen works
/// without it; the screens themselves say when the chunk cannot be fetched).
pub fn later(which: Part) -> AnyView {
    let shown = move || {
        let which = which.clone();
        Suspend::new(async move { part(which).await.unwrap_or_else(|NotLoaded| ().into_any()) })
    };
    view! { <Suspense fallback=|| ()>{shown}</Suspense> }.into_any()
}

/// The split point of the sync connection's set-up: this page's session work and the emergency copy's
/// keeper, then who is signed in (one `/api/me`), then the socket. Every way a contact chart changes (its
/// screen, sync) comes with this chunk, so the static emergency copy is kept from here.
#[wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
fn connecting(ws: Workspace, sync: SyncHandle) -> Result<LocalFuture<()>, NotLoaded> {
    sync.install_core();
    crate::connect::start(ws, sync);
    crate::emergency::start(ws, sync);
    Ok(Box::pin(async move {
        // Who is signed in first, then the sync socket: signed out, neither is asked again.
        crate::account::refresh_me_first(ws).await;
        sync.begin();
    }))
}

/// Starts syncing once the chunk is here. A chunk that cannot be fetched yet (a first visit cut off before
/// the service worker kept it, the server gone) is asked for again when the browser says it is back online,
/// or after a wait that doubles from 2 s to 30 s: until then the device works on its own copy, as offline.
pub async fn connect(ws: Workspace, sync: SyncHandle) {
    let mut wait_ms = 2_000;
    loop {
        match connecting(ws, sync).await {
            Ok(start) => return start.await,
            Err(NotLoaded) => {
                crate::timer::online_or_ms(wait_ms).await;
                wait_ms = (wait_ms * 2).min(30_000);
            }
        }
    }
}

/// A screen loaded on first use: "loading" until its code is here, then the screen; if its code cannot be
/// fetched, a message and a button that tries again (a failed load is not remembered).
pub fn lazily(which: Screen) -> AnyView {
    let attempt = RwSignal::new(0u32);
    let shown = move || {
        attempt.track();
        Suspend::new(async move {
            match screen(which).await {
                Ok(screen) => screen,
                Err(NotLoaded) => not_loaded(attempt),
            }
        })
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">{tr!("読み込み中…", "Loading…")}</p> }>
            {shown}
        </Suspense>
    }
    .into_any()
}

fn not_loaded(attempt: RwSignal<u32>) -> AnyView {
    view! {
        <div class="error-panel screen-not-loaded" role="alert">
            <h2>{tr!("この画面を読み込めませんでした", "Could not load this screen")}</h2>
            <p>{tr!(
                "この画面のプログラムがまだ端末にありません。ネットワークにつながってから、もう一度お試しください。",
                "This screen's code is not on this device yet. Connect to the network, then try again."
            )}</p>
            <button class="button retry" on:click=move |_| attempt.update(|n| *n += 1)>
                {tr!("もう一度読み込む", "Try again")}
            </button>
        </div>
    }
    .into_any()
}
