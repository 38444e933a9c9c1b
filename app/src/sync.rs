//! The browser's sync client: the shared sans-IO core ([`mamori_shared::sync::Client`]) driven over a
//! WebSocket to the server's `/sync`.
//!
//! Edits never wait for it: they are saved on the device first and offered to the server whenever a
//! connection is up. It connects at start, reconnects with exponential back-off and jitter (at once when the
//! browser says it is online again), and closes the socket when the browser goes offline.

use leptos::prelude::*;
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::Limits;
use mamori_shared::schema::index;
use mamori_shared::sync::{Client, Effect, Event};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use crate::settings::use_settings;
use crate::state::Workspace;

/// The connection, at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetStatus {
    Offline,
    Connecting,
    Connected,
    /// The server syncs only for signed-in people, and no one is signed in on this device.
    SignInNeeded,
}

/// One document's sync state, as shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocSync {
    /// 同期済み: the server has every change this device has.
    Synced,
    /// 未送信の変更あり: changes on this device the server has not confirmed.
    Pending,
    /// オフライン: no connection now.
    Offline,
}

impl DocSync {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            DocSync::Synced => lang.pick("同期済み", "Synced"),
            DocSync::Pending => lang.pick("未送信の変更あり", "Changes not yet sent"),
            DocSync::Offline => lang.pick("オフライン", "Offline"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DocSync::Synced => "synced",
            DocSync::Pending => "pending",
            DocSync::Offline => "offline",
        }
    }
}

struct Inner {
    core: Client,
    socket: Option<WebSocket>,
    /// The socket's handlers, dropped with it.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    attempt: u32,
    /// Documents the server has confirmed it knows (registration is asked once per page, not per reconnect).
    registered: std::collections::BTreeSet<DocumentId>,
    /// The server refused a registration since this connection opened (signed out, or not allowed): do not
    /// ask again on every change.
    unregistrable: bool,
    /// Who the open connection is signed in as (set before it syncs anything).
    connected_as: Option<mamori_shared::model::PersonId>,
}

#[derive(Clone, Copy)]
pub struct SyncHandle {
    inner: StoredValue<Inner, LocalStorage>,
    ws: Workspace,
    pub status: RwSignal<NetStatus>,
    /// Moves whenever something sync-related happened, so views re-read [`SyncHandle::doc_state`].
    pub tick: RwSignal<u64>,
}

pub fn use_sync() -> SyncHandle {
    expect_context::<SyncHandle>()
}

/// Creates the sync client for this workspace and provides it in context; [`SyncHandle::begin`] starts it.
pub fn provide(ws: Workspace) -> SyncHandle {
    let settings = use_settings().get_untracked();
    let handle = SyncHandle {
        inner: StoredValue::new_local(Inner {
            core: Client::new(
                PeerId::generate("tab"),
                Some(settings.device),
                Limits::default(),
            ),
            socket: None,
            handlers: Vec::new(),
            attempt: 0,
            registered: Default::default(),
            unregistrable: false,
            connected_as: None,
        }),
        ws,
        status: RwSignal::new(NetStatus::Offline),
        tick: RwSignal::new(0),
    };
    provide_context(handle);
    ws.attach_sync(handle);
    handle
}

impl SyncHandle {
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
    /// new session.
    pub fn reconnect(self) {
        crate::account::refresh_me(self.ws);
        self.disconnect();
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
                // Not signed in: nothing will sync.
                NetStatus::SignInNeeded => return,
                // Connecting, or not yet (a page just loaded): wait for it.
                _ => {}
            }
            sleep_ms(100).await;
            waited += 100;
        }
    }

    /// A document changed on this device.
    pub fn local_change(self, id: DocumentId) {
        self.handle(Event::LocalChange(id));
        // A document made while connected (a new checklist) is unknown to the server until it is
        // registered, which the server answered with "unavailable": register it now and offer it again.
        if self.status.get_untracked() == NetStatus::Connected && self.has_unregistered() {
            leptos::task::spawn_local(async move {
                for doc in self.register_documents().await {
                    self.handle(Event::LocalChange(doc));
                }
            });
        }
    }

    /// Whether the facility index lists a document not registered during this page's life (and the server
    /// has not refused registrations on this connection).
    fn has_unregistered(self) -> bool {
        if self.inner.with_value(|i| i.unregistrable) {
            return false;
        }
        let Some(index) = self.ws.index_untracked() else {
            return false;
        };
        self.inner.with_value(|i| {
            index
                .documents
                .values()
                .any(|e| !i.registered.contains(&e.id))
        })
    }

    /// Fetch a document this device does not hold (a facility opened on a second device).
    pub fn want(self, id: DocumentId) {
        self.handle(Event::Want(id));
    }

    /// Fetches a document again from the server (after its refused copy was set aside).
    pub fn reset(self, id: DocumentId) {
        let effects = self
            .inner
            .try_update_value(|inner| self.ws.with_docs(|docs| inner.core.reset(id, docs)))
            .flatten()
            .unwrap_or_default();
        self.perform(effects);
    }

    /// Whether the server has everything this device has of a document, now (untracked).
    pub fn server_has_untracked(self, id: DocumentId) -> bool {
        if self.status.get_untracked() != NetStatus::Connected {
            return false;
        }
        let heads = self
            .ws
            .with_docs(|docs| docs.get_mut(&id).map(|d| d.get_heads()))
            .flatten()
            .unwrap_or_default();
        self.inner.with_value(|i| i.core.server_has(id, &heads))
    }

    /// One document's state, reactive.
    pub fn doc_state(self, id: DocumentId) -> DocSync {
        self.tick.track();
        self.ws.revision.track();
        if self.status.get() != NetStatus::Connected {
            return DocSync::Offline;
        }
        let heads = self
            .ws
            .with_docs(|docs| docs.get_mut(&id).map(|d| d.get_heads()))
            .flatten()
            .unwrap_or_default();
        let has = self.inner.with_value(|i| i.core.server_has(id, &heads));
        if has {
            DocSync::Synced
        } else {
            DocSync::Pending
        }
    }

    fn handle(self, event: Event<'_>) {
        let effects = self
            .inner
            .try_update_value(|inner| self.ws.with_docs(|docs| inner.core.handle(event, docs)))
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
                    self.inner.update_value(|i| i.attempt = 0);
                    // Documents the index lists that this device still lacks (one that was not on the
                    // server yet when the index arrived, a fetch cut off by a reload) are asked for at every
                    // connect, not only when the index changes.
                    recheck_listed = self.ws.index_id();
                }
                Effect::DocChanged(id) => changed.push(id),
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
                    leptos::logging::warn!("document {id} is not available on the server")
                }
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
        format!("{scheme}://{}/sync", loc.host().unwrap_or_default())
    }

    fn connect(self) {
        if self.inner.with_value(|i| i.socket.is_some()) || !window().navigator().on_line() {
            return;
        }
        let Ok(socket) = WebSocket::new(&Self::url()) else {
            self.schedule_reconnect();
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        self.status.set(NetStatus::Connecting);
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            // The server opens only documents it knows: tell it about this facility's documents first
            // (made on this device, perhaps offline) before syncing any.
            leptos::task::spawn_local(async move {
                self.inner.update_value(|i| i.unregistrable = false);
                self.register_documents().await;
                let person = self.register_actors().await;
                self.inner.update_value(|i| i.connected_as = person);
                if person.is_some() {
                    upload_offline_opens().await;
                    // A 管理者 device compares the access log's head on every connection.
                    let admin = crate::account::current().is_some_and(|me| {
                        me.memberships
                            .iter()
                            .any(|m| m.role == mamori_shared::access::Role::Admin)
                    });
                    if admin {
                        crate::account::check_log_head().await;
                    }
                }
                if let Some(person) = person {
                    self.ws.retry_set_aside(person).await;
                }
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
            self.schedule_reconnect();
            if never_connected {
                // Browsers do not say why an upgrade failed: ask whether it was for want of a session.
                leptos::task::spawn_local(async move {
                    if sign_in_needed().await {
                        self.status.set(NetStatus::SignInNeeded);
                        // Perhaps because this person left the facility: hand back, then delete.
                        crate::departure::check(self.ws).await;
                    }
                });
            }
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
        self.status.set(NetStatus::Offline);
        self.handle(Event::Closed);
    }

    fn disconnect(self) {
        if let Some(s) = self.inner.with_value(|i| i.socket.clone()) {
            let _ = s.close();
        }
        self.drop_socket();
    }

    /// Registers every document of this device's facility with the server (idempotent), skipping those it
    /// already confirmed during this page's life. Without a session
    /// (a server that does not require sign-in, or signed out) the server answers 401 and nothing changes.
    async fn register_documents(self) -> Vec<DocumentId> {
        let mut newly = Vec::new();
        let Some(index) = self.ws.index_untracked() else {
            return newly;
        };
        let facility = index.facility.id;
        for entry in index.documents.values() {
            if self.inner.with_value(|i| i.registered.contains(&entry.id)) {
                continue;
            }
            let body = mamori_shared::api::RegisterDocument {
                doc_id: entry.id,
                form: entry.checklist.as_ref().map(|c| c.form),
                vendor_id: entry.checklist.as_ref().and_then(|c| c.vendor_id),
            };
            match crate::api::call(
                "POST",
                &format!("/api/facilities/{facility}/documents"),
                Some(&body),
            )
            .await
            {
                Ok(a) if a.status == 401 || a.status == 403 => {
                    self.inner.update_value(|i| i.unregistrable = true);
                    return newly;
                }
                Ok(a) if a.ok() => {
                    self.inner.update_value(|i| {
                        i.registered.insert(entry.id);
                    });
                    newly.push(entry.id);
                }
                _ => {}
            }
        }
        newly
    }

    /// Tells the server whose each of this device's actors is (see `Directory::register_actors`); returns
    /// the person signed in, or `None` without a session.
    async fn register_actors(self) -> Option<mamori_shared::model::PersonId> {
        let body = mamori_shared::api::DeviceActors {
            actors: use_settings()
                .with_untracked(|s| s.actor_people.clone())
                .into_iter()
                .collect(),
        };
        let a = crate::api::call("POST", "/api/actors", Some(&body))
            .await
            .ok()?;
        a.read::<mamori_shared::api::ActorsRegistered>()
            .ok()
            .map(|r| r.person_id)
    }

    /// Tries again after 0.5 s, 1 s, 2 s … up to 30 s, each with ±25 % jitter so a clinic's tablets do not all
    /// reconnect at the same instant after an outage.
    fn schedule_reconnect(self) {
        let attempt = self.inner.try_update_value(|i| {
            i.attempt = i.attempt.saturating_add(1);
            i.attempt
        });
        let base = (500.0 * 2f64.powi(attempt.unwrap_or(1).min(6) as i32 - 1)).min(30_000.0);
        let delay = base * (0.75 + js_sys::Math::random() * 0.5);
        let cb = Closure::once_into_js(move || self.connect());
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            cb.unchecked_ref(),
            delay as i32,
        );
    }
}

/// Sends the documents opened offline to the access log; forgets them once the server has them.
async fn upload_offline_opens() {
    let opens = use_settings().with_untracked(|s| s.offline_opens.clone());
    if opens.is_empty() {
        return;
    }
    let body = mamori_shared::api::DeviceOpens {
        opens: opens
            .iter()
            .map(|&(document, at)| mamori_shared::api::DeviceOpen { document, at })
            .collect(),
    };
    if let Ok(a) = crate::api::call("POST", "/api/log/device-opens", Some(&body)).await
        && a.ok()
    {
        use_settings().update(|s| s.offline_opens.retain(|o| !opens.contains(o)));
    }
}

/// Whether the server requires sign-in and this browser has no live session.
async fn sign_in_needed() -> bool {
    let required = matches!(
        crate::api::call("GET", "/healthz", crate::api::NO_BODY).await,
        Ok(a) if a.read::<mamori_shared::api::Health>().is_ok_and(|h| h.sign_in_required)
    );
    required
        && matches!(crate::api::call("GET", "/api/me", crate::api::NO_BODY).await, Ok(a) if a.status == 401)
}

/// Resolves after `ms` milliseconds (a browser timer), without blocking the page.
pub(crate) async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
