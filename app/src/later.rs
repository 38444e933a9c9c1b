//! Code off the first screen's path, in one wasm-split chunk (`screens`) that the first screen does not
//! wait for: the other screens, the first screens' secondary parts (home's first steps; a checklist's seal,
//! edition move, copied answers and the suggestions beside its items) and the sync connection's set-up
//! (its core, document registration, departure, the emergency copy's keeper). The page fetches it as soon as
//! the first screen has its documents ([`prefetch`]); a screen opened before then fetches it itself. The
//! service worker precaches it with the rest of the build, so offline it loads like any other file; a chunk
//! that cannot be fetched (the server gone before the service worker kept it) leaves the app running: a
//! screen says so, with a way to try again, and the parts simply are not there yet.
//!
//! One split function (`chunk::code`, given to [`provide`] at start) hands back plain function pointers into
//! the chunk ([`Code`]); views call them from ordinary reactive closures that re-run when the code arrives
//! ([`ARRIVED`]). This module only knows those pointers, never the screens themselves, so the screens and
//! components that ask for parts do not import what builds them. No `<Suspense>`: a
//! checklist's parts resolving together while its page re-rendered hit Leptos's Suspense races (a view
//! built in a disposed owner panicked, and panic=abort stopped the whole app).
//!
//! One chunk, not one per screen: wasm-split makes a chunk for every set of split points sharing code, and
//! 22 screens made 170 files (the first visit's precache then missed its second before the line went down).

use std::cell::Cell;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, ItemId};
use mamori_shared::schema::checklist::ChecklistMeta;

use crate::state::Workspace;
use crate::sync::{LocalFuture, SyncHandle};
use crate::tr;

/// The chunk could not be fetched.
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

/// The chunk's entry points.
#[derive(Clone, Copy)]
pub struct Code {
    pub screen: fn(Screen) -> AnyView,
    pub part: fn(Part) -> AnyView,
    /// The sync connection's set-up, under the app's owner (the socket is opened after it).
    pub connecting: fn(Workspace, SyncHandle, Owner),
}

/// Fetches the chunk (the split function's wrapper).
pub type Loader = fn() -> LocalFuture<Result<Code, NotLoaded>>;

thread_local! {
    /// How to fetch the chunk, given at start ([`provide`]).
    static LOADER: Cell<Option<Loader>> = const { Cell::new(None) };
    /// The chunk's code, once fetched.
    static CODE: Cell<Option<Code>> = const { Cell::new(None) };
    /// Notified when [`CODE`] is set. Reference-counted, not owned by any view: it cannot be disposed.
    static ARRIVED: ArcTrigger = ArcTrigger::new();
}

/// Says how to fetch the chunk; `App` does, before anything asks for it.
pub fn provide(loader: Loader) {
    LOADER.set(Some(loader));
}

/// Fetches the chunk (a failed fetch is not remembered: the next call tries again), makes its code known
/// and wakes every view waiting for it.
async fn fetch() -> Result<Code, NotLoaded> {
    if let Some(code) = CODE.get() {
        return Ok(code);
    }
    let load = LOADER.get().expect("later::provide runs first, in App");
    let code = load().await?;
    // Two fetches may finish (the page's and a screen's): views re-run once, not twice (a screen rebuilt
    // again would lose what was typed into it).
    if CODE.replace(Some(code)).is_none() {
        ARRIVED.with(|a| a.notify());
    }
    Ok(code)
}

/// The chunk's code if it is here; the running reactive reader re-runs when it arrives.
fn arrived() -> Option<Code> {
    ARRIVED.with(|a| a.track());
    CODE.get()
}

/// A part of a first screen, shown once the chunk is here; nothing while it is not (the screen works
/// without it).
pub fn later(which: Part) -> AnyView {
    (move || arrived().map(|code| (code.part)(which.clone()))).into_any()
}

/// Starts fetching the chunk without waiting for it (a failure is left to [`connect`] and the screens).
pub fn prefetch() {
    leptos::task::spawn_local(async {
        let _ = fetch().await;
    });
}

/// Sets up the sync connection from the chunk, then opens the socket. A chunk that cannot be fetched yet (a
/// first visit cut off before the service worker kept it, the server gone) is asked for again when the
/// browser says it is back online, or after a wait that doubles from 2 s to 30 s: until then the device
/// works on its own copy, as offline.
pub async fn connect(ws: Workspace, sync: SyncHandle, app: Owner) {
    let mut wait_ms = 2_000;
    loop {
        match fetch().await {
            Ok(code) => {
                (code.connecting)(ws, sync, app);
                sync.begin();
                return;
            }
            Err(NotLoaded) => {
                crate::timer::online_or_ms(wait_ms).await;
                wait_ms = (wait_ms * 2).min(30_000);
            }
        }
    }
}

/// A screen loaded on first use: "loading" until the chunk is here, then the screen; if it cannot be
/// fetched, a message and a button that tries again.
pub fn lazily(which: Screen) -> AnyView {
    let failed = RwSignal::new(false);
    let attempt = move || {
        failed.set(false);
        leptos::task::spawn_local(async move {
            if fetch().await.is_err() {
                // The screen may be gone by now: nothing to say then.
                failed.try_set(true);
            }
        });
    };
    if CODE.get().is_none() {
        attempt();
    }
    (move || match arrived() {
        Some(code) => (code.screen)(which),
        None if failed.get() => not_loaded(attempt),
        None => view! { <p class="loading">{tr!("読み込み中…", "Loading…")}</p> }.into_any(),
    })
    .into_any()
}

fn not_loaded(attempt: impl Fn() + Copy + Send + Sync + 'static) -> AnyView {
    view! {
        <div class="error-panel screen-not-loaded" role="alert">
            <h2>{tr!("この画面を読み込めませんでした", "Could not load this screen")}</h2>
            <p>{tr!(
                "この画面のプログラムがまだ端末にありません。ネットワークにつながってから、もう一度お試しください。",
                "This screen's code is not on this device yet. Connect to the network, then try again."
            )}</p>
            <button class="button retry" on:click=move |_| attempt()>
                {tr!("もう一度読み込む", "Try again")}
            </button>
        </div>
    }
    .into_any()
}
