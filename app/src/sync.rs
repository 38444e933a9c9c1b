//! The browser's sync client: the shared sans-IO core ([`mamori_shared::sync::Client`]) driven over a
//! WebSocket to the server's `/sync`.
//!
//! The core is held as a [`Core`] trait object that [`SyncHandle::install_core`] creates, called only from
//! the split chunk that sets up the connection (`chunk::connecting`): the protocol's code (the
//! automerge-repo messages, Automerge's sync) then comes with that chunk, not with the first screen. Until
//! it is there nothing can be sent anyway; documents asked for meanwhile are asked for once it is.
//!
//! Edits never wait for it: they are saved on the device first and offered to the server whenever a
//! connection is up. It connects at start, reconnects with exponential back-off and jitter (at once when the
//! browser says it is online again), and closes the socket when the browser goes offline.

use std::rc::Rc;

use automerge::ChangeHash;
use leptos::prelude::*;
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::Limits;
use mamori_shared::schema::index;
use mamori_shared::sync::{Client, Effect, Event};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use crate::settings::use_settings;
use crate::state::{SyncDocs, ToSync, Workspace};

/// The connection, at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetStatus {
    Offline,
    Connecting,
    Connected,
    /// The server syncs only for signed-in people, and no one is signed in on this device.
    SignInNeeded,
    /// The server refused this device for a reason signing in does not change ([`SyncHandle::refusal`]
    /// says which); the app stops asking until the page is reloaded or someone signs in.
    Refused,
}

/// Why the server refused this device's connection, as far as the app can find out (browsers do not show a
/// page why a WebSocket upgrade failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server requires sign-in and this browser has no session.
    SignInNeeded,
    /// The page was opened at an address the server does not accept pages and sync from (its public URL).
    OtherOrigin { here: String, expected: String },
}

/// Where a document's data is, in the one vocabulary every screen uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocSync {
    /// 同期済み: the server has every change this device has.
    Synced,
    /// 同期待ち: the device has synced before, and changes (or the confirmation that there are none) wait
    /// for a connection.
    Pending,
    /// この端末のみ: never synced from this device, or no one is signed in to sync it.
    DeviceOnly,
    /// サインインが必要: the device synced before, and the server now wants someone to sign in.
    SignInNeeded,
}

impl DocSync {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            DocSync::Synced => lang.pick("同期済み", "Synced"),
            DocSync::Pending => lang.pick("同期待ち", "Waiting to sync"),
            DocSync::DeviceOnly => lang.pick("この端末のみ", "On this device only"),
            DocSync::SignInNeeded => lang.pick("サインインが必要", "Sign-in needed"),
        }
    }

    /// The same in a word or two, for a phone's top bar (the whole label is read out beside it).
    pub fn short_label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            DocSync::Synced => lang.pick("同期済み", "Synced"),
            DocSync::Pending => lang.pick("同期待ち", "Waiting"),
            DocSync::DeviceOnly => lang.pick("端末のみ", "Local"),
            DocSync::SignInNeeded => lang.pick("サインイン", "Sign in"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DocSync::Synced => "synced",
            DocSync::Pending => "pending",
            DocSync::DeviceOnly => "device-only",
            DocSync::SignInNeeded => "sign-in",
        }
    }

    /// Where data is when there is no connection, from what the device knows of its past.
    pub fn unconnected(status: NetStatus, synced_before: bool) -> DocSync {
        match (status, synced_before) {
            (NetStatus::SignInNeeded, true) => DocSync::SignInNeeded,
            (_, false) => DocSync::DeviceOnly,
            _ => DocSync::Pending,
        }
    }
}

struct Inner {
    /// The protocol, once the chunk that connects has created it ([`SyncHandle::install_core`]).
    core: Option<Box<dyn Core>>,
    /// Documents asked for before the core was there, asked for again when it is.
    wanted_early: Vec<DocumentId>,
    socket: Option<WebSocket>,
    /// The socket's handlers, dropped with it.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    attempt: u32,
    /// Who the open connection is signed in as (set before it syncs anything).
    connected_as: Option<mamori_shared::model::PersonId>,
    /// The work around a connection that is not syncing, once set.
    session: Option<Rc<dyn Session>>,
}

/// The protocol's state machine, as the page drives it ([`Client`] on this page's documents).
pub trait Core {
    fn handle(&mut self, event: Event<'_>, docs: &mut SyncDocs<'_>) -> Vec<Effect>;
    fn reset(&mut self, id: DocumentId, docs: &mut SyncDocs<'_>) -> Vec<Effect>;
    fn server_has(&self, id: DocumentId, heads: &[ChangeHash]) -> bool;
}

impl Core for Client {
    fn handle(&mut self, event: Event<'_>, docs: &mut SyncDocs<'_>) -> Vec<Effect> {
        Client::handle(self, event, docs)
    }
    fn reset(&mut self, id: DocumentId, docs: &mut SyncDocs<'_>) -> Vec<Effect> {
        Client::reset(self, id, docs)
    }
    fn server_has(&self, id: DocumentId, heads: &[ChangeHash]) -> bool {
        Client::server_has(self, id, heads)
    }
}

/// What happens around a connection that is not syncing documents: telling the server which documents and
/// actors this device has, the access log's offline opens, finding out why an upgrade was refused. Done by
/// [`crate::connect`]; the sync client only calls it at the right moments, and knows nothing of accounts.
pub trait Session {
    /// The socket opened; nothing is synced until this is done (the server opens only documents it knows).
    /// Answers who the connection is signed in as.
    fn opened(self: Rc<Self>) -> LocalFuture<Option<mamori_shared::model::PersonId>>;
    /// A document changed while connected: documents this device made since the connection opened that the
    /// server now knows (offered to it again), or `None` when there is nothing to register.
    fn changed(self: Rc<Self>) -> Option<LocalFuture<Vec<DocumentId>>>;
    /// The connection is about to be made again, for a new session.
    fn reconnecting(self: Rc<Self>);
    /// The WebSocket upgrade failed before any message: why, when the server refused this device (`None`:
    /// unreachable or unknown, try again later).
    fn upgrade_failed(self: Rc<Self>) -> LocalFuture<Option<Refusal>>;
}

/// A future of the page's single thread.
pub type LocalFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

#[derive(Clone, Copy)]
pub struct SyncHandle {
    inner: StoredValue<Inner, LocalStorage>,
    ws: Workspace,
    pub status: RwSignal<NetStatus>,
    /// Why the server refused this device, while [`NetStatus::Refused`].
    pub refusal: RwSignal<Option<Refusal>>,
    /// Documents the server said it cannot give this device (unknown there, or not this person's).
    pub unavailable: RwSignal<std::collections::BTreeSet<DocumentId>>,
    /// Moves whenever something sync-related happened, so views re-read [`SyncHandle::doc_state`].
    pub tick: RwSignal<u64>,
}

pub fn use_sync() -> SyncHandle {
    expect_context::<SyncHandle>()
}

/// Creates the sync client for this workspace and provides it in context; [`SyncHandle::begin`] starts it.
pub fn provide(ws: Workspace) -> SyncHandle {
    let handle = SyncHandle {
        inner: StoredValue::new_local(Inner {
            core: None,
            wanted_early: Vec::new(),
            socket: None,
            handlers: Vec::new(),
            attempt: 0,
            connected_as: None,
            session: None,
        }),
        ws,
        status: RwSignal::new(NetStatus::Offline),
        refusal: RwSignal::new(None),
        unavailable: RwSignal::new(Default::default()),
        tick: RwSignal::new(0),
    };
    provide_context(handle);
    // The workspace's requests, taken in order whenever it has some.
    leptos::prelude::Effect::new(move |_| {
        ws.outbox_ready.track();
        for request in ws.take_outbox() {
            match request {
                ToSync::Changed(id) => handle.local_change(id),
                ToSync::Want(id) => handle.want(id),
            }
        }
    });
    handle
}

impl SyncHandle {
    /// Creates the protocol's state machine (once; see the module's comment for why here), then asks for
    /// the documents wanted before it was there.
    pub fn install_core(self) {
        if self.inner.with_value(|i| i.core.is_some()) {
            return;
        }
        let device = use_settings().with_untracked(|s| s.device.clone());
        let core: Box<dyn Core> = Box::new(Client::new(
            PeerId::generate("tab"),
            Some(device),
            Limits::default(),
        ));
        let early = self
            .inner
            .try_update_value(|i| {
                i.core = Some(core);
                std::mem::take(&mut i.wanted_early)
            })
            .unwrap_or_default();
        for id in early {
            self.want(id);
        }
    }

    /// Gives the client the work around its connections.
    pub fn set_session(self, session: Rc<dyn Session>) {
        self.inner.update_value(|i| i.session = Some(session));
    }

    fn session(self) -> Option<Rc<dyn Session>> {
        self.inner.with_value(|i| i.session.clone())
    }

    /// Starts connecting (once the workspace has loaded its documents).
    pub fn begin(self) {
        let handle = self;
        for (name, online) in [("online", true), ("offline", false)] {
            let cb = Closure::<dyn FnMut()>::new(move || {
                if online {
                    handle.inner.update_value(|i| i.attempt = 0);
                    handle.connect();
                } else {
                    handle.disconnect();
                }
            });
            let _ = window().add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb.forget();
        }
        handle.connect();
    }

    /// Drops the connection and connects again at once: after signing in or out, the socket must carry the
    /// new session. An earlier refusal is forgotten: this is someone asking to try again.
    pub fn reconnect(self) {
        use_settings().update(|s| s.signed_out = false);
        self.refusal.set(None);
        self.unavailable.set(Default::default());
        if let Some(session) = self.session() {
            session.reconnecting();
        }
        self.disconnect();
        self.status.set(NetStatus::Offline);
        self.inner.update_value(|i| i.attempt = 0);
        self.connect();
    }

    /// Waits (at most `max_ms`) until the server has every document of this device, so that a person who
    /// signs out on a shared tablet leaves nothing of theirs for the next person's connection to carry.
    pub async fn settle(self, max_ms: u32) {
        let mut waited = 0;
        while waited < max_ms {
            match self.status.get_untracked() {
                NetStatus::Connected => {
                    let ids: Vec<DocumentId> = self
                        .ws
                        .with_docs(|docs| docs.keys().copied().collect())
                        .unwrap_or_default();
                    if ids.iter().all(|id| self.doc_state(*id) == DocSync::Synced) {
                        return;
                    }
                }
                // Not signed in, or refused: nothing will sync.
                NetStatus::SignInNeeded | NetStatus::Refused => return,
                // Connecting, or not yet (a page just loaded): wait for it.
                _ => {}
            }
            crate::timer::sleep_ms(100).await;
            waited += 100;
        }
    }

    /// A document changed on this device.
    pub fn local_change(self, id: DocumentId) {
        crate::state::mark(&format!("mamori-sync-local:{id}"));
        self.handle(Event::LocalChange(id));
        // A document made while connected (a new checklist) is unknown to the server until it is
        // registered, which the server answered with "unavailable": register it now and offer it again.
        if self.status.get_untracked() == NetStatus::Connected
            && let Some(registering) = self.session().and_then(|s| s.changed())
        {
            leptos::task::spawn_local(async move {
                for doc in registering.await {
                    self.handle(Event::LocalChange(doc));
                }
            });
        }
    }

    /// Fetch a document this device does not hold (a facility opened on a second device).
    pub fn want(self, id: DocumentId) {
        self.handle(Event::Want(id));
    }

    /// Fetches a document again from the server (after its refused copy was set aside).
    pub fn reset(self, id: DocumentId) {
        let effects = self
            .inner
            .try_update_value(|inner| {
                let core = inner.core.as_mut()?;
                self.ws.with_sync_docs(|docs| core.reset(id, docs))
            })
            .flatten()
            .unwrap_or_default();
        self.perform(effects);
    }

    /// Whether the server has everything this device has of a document, now (untracked).
    pub fn server_has_untracked(self, id: DocumentId) -> bool {
        if self.status.get_untracked() != NetStatus::Connected {
            return false;
        }
        self.core_has(id)
    }

    /// Whether the core knows the server has this device's heads of `id` (false before there is a core).
    fn core_has(self, id: DocumentId) -> bool {
        let heads = self
            .ws
            .with_docs(|docs| docs.get_mut(&id).map(|d| d.get_heads()))
            .flatten()
            .unwrap_or_default();
        self.inner
            .with_value(|i| i.core.as_ref().is_some_and(|c| c.server_has(id, &heads)))
    }

    /// One document's state, reactive.
    pub fn doc_state(self, id: DocumentId) -> DocSync {
        self.tick.track();
        self.ws.revision.track();
        let status = self.status.get();
        if status != NetStatus::Connected {
            return DocSync::unconnected(status, use_settings().with(|s| s.synced_before));
        }
        if self.core_has(id) {
            DocSync::Synced
        } else {
            DocSync::Pending
        }
    }

    /// Where a set of documents is, together (reactive): the least settled of them, or, with none, where
    /// this device's data would be.
    pub fn overall(self, ids: &[DocumentId]) -> DocSync {
        self.tick.track();
        self.ws.revision.track();
        let status = self.status.get();
        if self.refusal.with(Option::is_some) {
            return DocSync::Pending;
        }
        if ids.is_empty() || status != NetStatus::Connected {
            if status == NetStatus::Connected {
                return DocSync::Synced;
            }
            return DocSync::unconnected(status, use_settings().with(|s| s.synced_before));
        }
        let states: Vec<DocSync> = ids.iter().map(|id| self.doc_state(*id)).collect();
        if states.iter().all(|s| *s == DocSync::Synced) {
            DocSync::Synced
        } else {
            DocSync::Pending
        }
    }

    fn handle(self, event: Event<'_>) {
        let effects = self
            .inner
            .try_update_value(|inner| match inner.core.as_mut() {
                Some(core) => self.ws.with_sync_docs(|docs| core.handle(event, docs)),
                None => {
                    // Nothing is connected before the core is there: only what is wanted must wait.
                    if let Event::Want(id) = event {
                        inner.wanted_early.push(id);
                    }
                    None
                }
            })
            .flatten()
            .unwrap_or_default();
        self.perform(effects);
    }

    fn perform(self, effects: Vec<Effect>) {
        let mut changed = Vec::new();
        let mut recheck_listed = None;
        for effect in effects {
            match effect {
                Effect::Send(frame) => self.inner.with_value(|i| {
                    if let Some(s) = &i.socket {
                        let _ = s.send_with_u8_array(&frame);
                    }
                }),
                Effect::Connected(_) => {
                    self.status.set(NetStatus::Connected);
                    self.refusal.set(None);
                    if !use_settings().with_untracked(|s| s.synced_before) {
                        use_settings().update(|s| s.synced_before = true);
                    }
                    self.inner.update_value(|i| i.attempt = 0);
                    // Documents the index lists that this device still lacks (one that was not on the
                    // server yet when the index arrived, a fetch cut off by a reload) are asked for at every
                    // connect, not only when the index changes.
                    recheck_listed = self.ws.index_id();
                }
                Effect::Refused { document, reason } => {
                    leptos::logging::warn!("the server refused changes to {document}: {reason}");
                    let ws = self.ws;
                    leptos::task::spawn_local(async move {
                        let refused_for = self.inner.with_value(|i| i.connected_as);
                        match ws.set_aside_and_reset(document, reason, refused_for).await {
                            Ok(()) => self.reset(document),
                            Err(e) => {
                                leptos::logging::error!("could not set the refused copy aside: {e}")
                            }
                        }
                    });
                }
                Effect::Unavailable(id) => {
                    leptos::logging::warn!("document {id} is not available on the server");
                    self.unavailable.update(|u| {
                        u.insert(id);
                    });
                }
                Effect::DocChanged(id) if self.unavailable.with_untracked(|u| u.contains(&id)) => {
                    self.unavailable.update(|u| {
                        u.remove(&id);
                    });
                    changed.push(id);
                }
                Effect::DocChanged(id) => changed.push(id),
                Effect::ServerError(m) => {
                    leptos::logging::warn!("sync server error: {m}");
                    self.disconnect();
                    self.schedule_reconnect();
                }
                Effect::Malformed(e) => {
                    leptos::logging::warn!("sync: {e}");
                    self.disconnect();
                    self.schedule_reconnect();
                }
            }
        }
        for id in changed {
            self.ws.changed_elsewhere(id, true);
            self.want_listed_documents(id);
        }
        if let Some(index) = recheck_listed {
            self.want_listed_documents(index);
        }
        self.tick.update(|t| *t += 1);
    }

    /// When a facility index arrives, fetch every document it lists that this device lacks.
    fn want_listed_documents(self, id: DocumentId) {
        let missing: Vec<DocumentId> = self
            .ws
            .with_docs(|docs| {
                let listed = docs.get(&id).and_then(|d| index::read(d).ok())?;
                Some(
                    listed
                        .documents
                        .values()
                        .map(|e| e.id)
                        .filter(|d| !docs.contains_key(d))
                        .collect(),
                )
            })
            .flatten()
            .unwrap_or_default();
        for doc in missing {
            self.want(doc);
        }
    }

    fn url() -> String {
        let loc = window().location();
        let scheme = if loc.protocol().unwrap_or_default() == "https:" {
            "wss"
        } else {
            "ws"
        };
        let place = use_settings().with_untracked(|s| s.facility_index);
        format!(
            "{scheme}://{}{}",
            loc.host().unwrap_or_default(),
            mamori_shared::sync::endpoint(place)
        )
    }

    fn connect(self) {
        if self
            .inner
            .with_value(|i| i.socket.is_some() || i.core.is_none())
            || !window().navigator().on_line()
        {
            return;
        }
        // A refusal stands until someone acts (signs in, reloads): asking again could only fail.
        if self.status.get_untracked() == NetStatus::Refused {
            return;
        }
        if use_settings().with_untracked(|s| s.signed_out) {
            self.status.set(NetStatus::SignInNeeded);
            return;
        }
        let Ok(socket) = WebSocket::new(&Self::url()) else {
            self.schedule_reconnect();
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        self.status.set(NetStatus::Connecting);
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            leptos::task::spawn_local(async move {
                let person = match self.session() {
                    Some(session) => session.opened().await,
                    None => None,
                };
                self.inner.update_value(|i| i.connected_as = person);
                self.handle(Event::Opened);
            });
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let Ok(ev) = ev.dyn_into::<MessageEvent>() else {
                return;
            };
            if let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() {
                let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                self.handle(Event::Frame(&bytes));
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let never_connected = self.status.get_untracked() == NetStatus::Connecting;
            self.drop_socket();
            let session = self.session().filter(|_| never_connected);
            let Some(session) = session else {
                self.schedule_reconnect();
                return;
            };
            // Browsers do not say why an upgrade failed: find out whether the server refused this device.
            // A refusal is said once and not asked again; anything else is tried again with back-off.
            leptos::task::spawn_local(async move {
                match session.upgrade_failed().await {
                    Some(Refusal::SignInNeeded) => self.status.set(NetStatus::SignInNeeded),
                    Some(refusal) => {
                        self.refusal.set(Some(refusal));
                        self.status.set(NetStatus::Refused);
                    }
                    None => self.schedule_reconnect(),
                }
            });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.inner.update_value(|i| {
            i.socket = Some(socket);
            i.handlers = vec![on_open, on_message, on_close];
        });
    }

    /// Forgets the socket (after it closed) and tells the core.
    fn drop_socket(self) {
        let handlers = self.inner.try_update_value(|i| {
            if let Some(s) = i.socket.take() {
                s.set_onopen(None);
                s.set_onmessage(None);
                s.set_onclose(None);
            }
            std::mem::take(&mut i.handlers)
        });
        // Dropped after this event returns, never while one of them runs.
        if let Some(handlers) = handlers {
            let keep = std::cell::RefCell::new(Some(handlers));
            leptos::task::spawn_local(async move {
                drop(keep.take());
            });
        }
        if !matches!(
            self.status.get_untracked(),
            NetStatus::Refused | NetStatus::SignInNeeded
        ) {
            self.status.set(NetStatus::Offline);
        }
        self.handle(Event::Closed);
    }

    fn disconnect(self) {
        if let Some(s) = self.inner.with_value(|i| i.socket.clone()) {
            let _ = s.close();
        }
        self.drop_socket();
    }

    /// Tries again after 0.5 s, 1 s, 2 s … up to 30 s, each with ±25 % jitter so a clinic's tablets do not all
    /// reconnect at the same instant after an outage.
    fn schedule_reconnect(self) {
        let attempt = self.inner.try_update_value(|i| {
            i.attempt = i.attempt.saturating_add(1);
            i.attempt
        });
        let base = (500.0 * 2f64.powi(attempt.unwrap_or(1).min(7) as i32 - 1)).min(30_000.0);
        let delay = base * (0.75 + js_sys::Math::random() * 0.5);
        let cb = Closure::once_into_js(move || self.connect());
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            cb.unchecked_ref(),
            delay as i32,
        );
    }
}
