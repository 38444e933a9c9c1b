//! Screens off the first screen's path, loaded on first use: each function here is a split point, and the
//! build (scripts/split-app.sh) moves it, with the code only it reaches, into one chunk (`screens`) that the
//! first screen does not wait for. The service worker precaches the chunk with the rest of the build, so
//! offline it loads like any other screen; a chunk that cannot be fetched (the server gone before the
//! service worker kept it) says so, with a way to try again, instead of stopping the app.
//!
//! One chunk, not one per screen: wasm-split makes a chunk for every set of split points sharing code, and
//! 22 screens made 170 files (the first visit's precache then missed its second before the line went down).

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};

use crate::components::sign_in_first::needs_sign_in;
use crate::error::guarded;
use crate::pages;
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
    fallible,
    preload(preload_screens)
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

/// Fetches the screens' chunk a few seconds after the first screen has its documents, so that the first tap
/// on another screen does not wait for it (from the service worker's cache: no network needed). Failing is
/// harmless: the screen tries again when opened.
pub async fn preload() {
    crate::timer::sleep_ms(3_000).await;
    let _ = preload_screens().await;
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
