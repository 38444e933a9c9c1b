//! `GET /sync`: the automerge-repo WebSocket endpoint.
//!
//! The server drives the shared [`PeerSync`] itself rather than wrapping samod, because it must decide per
//! connection and per message which documents a peer may open and whether its changes are kept (samod's share
//! policy is per document and cannot retract a change once applied), and because it must persist a change
//! before it sends anything whose heads include it.
//!
//! Anything a peer sends that is not the protocol (text frames, malformed or oversized frames, messages before
//! `join`, more documents or messages than the limits allow) is answered with an `error` message and the
//! connection is closed; nothing is stored from it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message as Ws, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use mamori_shared::access::Access;
use mamori_shared::model::FacilityId;
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::{Message, PROTOCOL_VERSION};
use mamori_shared::schema::checklist;
use mamori_shared::sync::PeerSync;
use mamori_shared::sync::ingest::{self, Authority, Verdict};
use tokio::sync::{broadcast, mpsc};

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::clock::now_ms;
use crate::gate::{self, Gate, Principal, Refusal};
use crate::rooms::Room;
use crate::store::{Claim, Recorded};

pub fn router() -> Router<AppState> {
    Router::new().route("/sync", get(upgrade))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let gate = match Gate::for_upgrade(&state, &headers, uri.query()).await {
        Ok(gate) => gate,
        Err(Refusal(status, message)) => {
            tracing::info!(%status, %message, "sync upgrade refused");
            return (status, message).into_response();
        }
    };
    // A token offered as a subprotocol is echoed back: a browser-style client drops the socket otherwise.
    let protocol = gate::presented_token(&headers, None)
        .ok()
        .flatten()
        .and_then(|p| p.protocol);
    let ws = match protocol {
        Some(p) => ws.protocols([p]),
        None => ws,
    };
    let max = state.config.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        // tungstenite zeroes its whole read buffer on every read: 128 KiB by default, which cost more CPU
        // than the sync itself under load, and memory on every idle connection.
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| handle_socket(socket, state, gate))
}

const READ_BUFFER_BYTES: usize = 4 * 1024;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Why a connection is being closed, said to the peer in an `error` message.
struct Fatal(String);

/// The server itself could not do its part (its database unreachable, say): the connection closes with
/// this, and the device keeps its changes and sends them again when it reconnects.
fn trouble(what: &str) -> Fatal {
    Fatal(format!(
        "サーバーで一時的な問題が起きました。変更は端末に残り、あとで送り直されます \
         (the server could not {what}; changes stay on the device and are sent again)"
    ))
}

/// A simple token bucket: `rate` messages a second on average, bursts up to `burst`.
struct Rate {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Rate {
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Connection {
    id: u64,
    state: AppState,
    gate: Gate,
    /// What this connection may do with each document it has open.
    access: HashMap<DocumentId, Access>,
    /// The kind the registry records for each open document (a still empty one must become that kind).
    kinds: HashMap<DocumentId, mamori_shared::schema::DocKind>,
    /// Each open document's facility, read once for the access log (it never changes).
    facilities: HashMap<DocumentId, Option<mamori_shared::model::FacilityId>>,
    remote: Option<PeerId>,
    peer: PeerSync,
    rooms: HashMap<DocumentId, Arc<Room>>,
    inbox: mpsc::Sender<DocumentId>,
    rate: Rate,
}

/// Counts live connections for `/healthz` and the benchmarks.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(counter: &Arc<AtomicUsize>) -> Live {
        counter.fetch_add(1, Ordering::Relaxed);
        Live(counter.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When to ping a quiet peer, and when to give up on one that does not answer.
struct Keepalive {
    interval: Duration,
    timeout: Duration,
    last_heard: Instant,
    ping_sent: Option<Instant>,
}

impl Keepalive {
    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.ping_sent = None;
    }

    fn deadline(&self) -> Instant {
        match self.ping_sent {
            Some(sent) => sent + self.timeout,
            None => self.last_heard + self.interval,
        }
    }
}

/// How long after its session's end a socket checks it (the limits compare strictly).
const SESSION_MARGIN: Duration = Duration::from_millis(250);

/// One connection, one task: it reads, decides, and writes its replies itself. A peer that reads slowly
/// slows only this task (it reads no more of that peer's messages while a write waits); one whose write
/// does not finish within the send timeout is not reading at all and is disconnected. No other connection
/// ever waits for it: rooms only leave notes in its inbox, never block on it.
pub async fn handle_socket(mut socket: WebSocket, state: AppState, gate: Gate) {
    let _live = Live::new(&state.connections);
    let mut people_changed = state.people_changed.subscribe();
    let send_timeout = state.config.send_timeout();
    let (inbox, mut notes) = mpsc::channel(256);
    let rate = Rate {
        tokens: state.config.message_burst as f64,
        rate: state.config.messages_per_second as f64,
        burst: state.config.message_burst as f64,
        last: Instant::now(),
    };
    let mut keepalive = Keepalive {
        interval: state.config.ping_interval(),
        timeout: state.config.pong_timeout(),
        last_heard: Instant::now(),
        ping_sent: None,
    };
    let mut conn = Connection {
        id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        state,
        gate,
        access: HashMap::new(),
        kinds: HashMap::new(),
        facilities: HashMap::new(),
        remote: None,
        peer: PeerSync::default(),
        rooms: HashMap::new(),
        inbox,
        rate,
    };
    let fatal = loop {
        let outcome = tokio::select! {
            frame = socket.next() => {
                keepalive.heard();
                match frame {
                    Some(Ok(Ws::Binary(bytes))) => conn.on_frame(&bytes).await.map(binary),
                    Some(Ok(Ws::Text(_))) => Err(Fatal("text frames are not part of the protocol: send binary CBOR".into())),
                    Some(Ok(Ws::Ping(_) | Ws::Pong(_))) => Ok(Vec::new()),
                    Some(Ok(Ws::Close(_))) | None => break None,
                    Some(Err(e)) => {
                        tracing::info!(conn = conn.id, error = %e, "sync socket failed");
                        break None;
                    }
                }
            }
            Some(id) = notes.recv() => {
                // Under load notes pile up: answer each document once for all of them.
                let mut changed = vec![id];
                while let Ok(more) = notes.try_recv() {
                    if !changed.contains(&more) {
                        changed.push(more);
                    }
                }
                let mut frames = Vec::with_capacity(changed.len());
                for id in changed {
                    frames.extend(conn.on_remote_change(id).await);
                }
                Ok(binary(frames))
            }
            () = tokio::time::sleep_until(keepalive.deadline().into()) => {
                if keepalive.ping_sent.is_some() {
                    break Some(Fatal("no answer to ping".into()));
                }
                keepalive.ping_sent = Some(Instant::now());
                Ok(vec![Ws::Ping(Default::default())])
            }
            // The session behind the socket ends (idle or absolute limit): check, and close if it has.
            () = tokio::time::sleep(conn.gate.expires_in().unwrap_or_default() + SESSION_MARGIN),
                if conn.gate.expires_in().is_some() => conn.recheck().await.map(binary),
            changed = people_changed.recv(), if conn.gate.checked() => {
                let mine = match changed {
                    Ok(subject) => conn.gate.concerns(&subject),
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => false,
                };
                if mine { conn.recheck().await.map(binary) } else { Ok(Vec::new()) }
            }
        };
        match outcome {
            Ok(replies) => {
                if let Err(reason) = send_all(&mut socket, replies, send_timeout).await {
                    tracing::warn!(conn = conn.id, peer = ?conn.remote, %reason, "closing sync connection");
                    break None;
                }
            }
            Err(fatal) => break Some(fatal),
        }
    };
    for room in conn.rooms.values() {
        room.unsubscribe(conn.id);
    }
    if let Some(Fatal(reason)) = fatal {
        tracing::warn!(conn = conn.id, peer = ?conn.remote, %reason, "closing sync connection");
        let goodbye = Message::Error { message: reason }.encode();
        // Best effort, and briefly: a peer that does not read gets no goodbye.
        let frames = vec![Ws::Binary(goodbye.into()), Ws::Close(None)];
        let _ = send_all(&mut socket, frames, send_timeout.min(GOODBYE_TIMEOUT)).await;
    }
}

/// How long a closing connection tries to say why.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

fn binary(frames: Vec<Vec<u8>>) -> Vec<Ws> {
    frames.into_iter().map(|f| Ws::Binary(f.into())).collect()
}

/// Writes frames and flushes them in one write. A write that does not finish within `timeout` means the
/// peer has stopped reading (its socket buffers are full): the connection ends.
async fn send_all(
    socket: &mut WebSocket,
    frames: Vec<Ws>,
    timeout: Duration,
) -> Result<(), String> {
    if frames.is_empty() {
        return Ok(());
    }
    let write = async {
        for frame in frames {
            socket.feed(frame).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the socket failed: {e}")),
        Err(_) => Err(format!(
            "the peer is not reading: a write did not finish within {timeout:?}"
        )),
    }
}

impl Connection {
    fn me(&self) -> PeerId {
        self.state.server_peer.clone()
    }

    async fn on_frame(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Fatal> {
        if !self.rate.allow() {
            return Err(Fatal(format!(
                "more than {} messages a second",
                self.state.config.messages_per_second
            )));
        }
        let message =
            Message::decode(bytes, &self.state.limits()).map_err(|e| Fatal(e.to_string()))?;
        let Some(remote) = self.remote.clone() else {
            return match message {
                Message::Join {
                    sender_id,
                    supported_protocol_versions,
                    ..
                } => {
                    if !supported_protocol_versions
                        .iter()
                        .any(|v| v == PROTOCOL_VERSION)
                    {
                        return Err(Fatal(format!(
                            "this server speaks protocol version {PROTOCOL_VERSION}"
                        )));
                    }
                    self.remote = Some(sender_id.clone());
                    let peer = Message::Peer {
                        sender_id: self.me(),
                        selected_protocol_version: PROTOCOL_VERSION.into(),
                        target_id: sender_id,
                        metadata: None,
                    };
                    Ok(vec![peer.encode()])
                }
                _ => Err(Fatal("the first message must be join".into())),
            };
        };
        match message {
            Message::Join { .. } => Err(Fatal("join was already received".into())),
            Message::Sync {
                document_id, data, ..
            } => self.on_sync(remote, document_id, &data, false).await,
            Message::Request {
                document_id, data, ..
            } => self.on_sync(remote, document_id, &data, true).await,
            Message::Leave { .. } => Err(Fatal("goodbye".into())),
            Message::Error { message } => {
                tracing::info!(conn = self.id, %message, "peer reported an error");
                Ok(Vec::new())
            }
            Message::Peer { .. } => Err(Fatal("peer is the server's message".into())),
            Message::DocUnavailable { .. } | Message::Advisory { .. } | Message::Refused { .. } => {
                Ok(Vec::new())
            }
        }
    }

    /// Records an open in the access log, for signed-in people and API tokens (an open server, for
    /// development and benchmarks, has no one to attribute anything to).
    async fn log_open(&mut self, doc: DocumentId) {
        if let Some(mut event) = self.change_event(doc).await {
            event.kind = Kind::Open;
            self.state.log.record(event).await;
        }
    }

    fn unavailable(&self, remote: PeerId, document_id: DocumentId) -> Vec<Vec<u8>> {
        vec![
            Message::DocUnavailable {
                document_id,
                sender_id: self.me(),
                target_id: remote,
            }
            .encode(),
        ]
    }

    async fn on_sync(
        &mut self,
        remote: PeerId,
        id: DocumentId,
        data: &[u8],
        request: bool,
    ) -> Result<Vec<Vec<u8>>, Fatal> {
        let room = match self.rooms.get(&id) {
            Some(room) => room.clone(),
            None => {
                if self.rooms.len() >= self.state.config.max_documents_per_connection {
                    return Err(Fatal(format!(
                        "more than {} documents on one connection",
                        self.state.config.max_documents_per_connection
                    )));
                }
                // Only what this person may see is opened; anything else gets the answer an unknown
                // document gets, so probing reveals nothing.
                let level = self.gate.access(&self.state, id).await.map_err(|e| {
                    tracing::error!(doc = %id, error = %e, "cannot read the directory");
                    trouble("check access")
                })?;
                if level == Access::None {
                    tracing::info!(conn = self.id, doc = %id, person = ?self.gate.person(), "document not open to this peer");
                    return Ok(self.unavailable(remote, id));
                }
                // A `sync` about an unknown document offers one created offline: accept it. A `request`
                // for one that does not exist is answered unavailable, but the connection stays
                // subscribed, so the document reaches it once another peer provides it.
                let opened = self
                    .state
                    .rooms
                    .open(id, true, self.id, self.inbox.clone())
                    .await
                    .map_err(|e| {
                        tracing::error!(doc = %id, error = %e, "cannot open document");
                        trouble("open the document")
                    })?;
                let Some(room) = opened else {
                    return Ok(self.unavailable(remote, id));
                };
                self.rooms.insert(id, room.clone());
                self.access.insert(id, level);
                if let Some(kind) =
                    self.gate
                        .registered_kind(&self.state, id)
                        .await
                        .map_err(|e| {
                            tracing::error!(doc = %id, error = %e, "cannot read the directory");
                            trouble("check access")
                        })?
                {
                    self.kinds.insert(id, kind);
                }
                self.log_open(id).await;
                room
            }
        };
        let mut guard = room.doc.lock().await;
        if guard.broken {
            drop(guard);
            self.let_go(id);
            return Err(Fatal(format!(
                "document {id}: read it again (the server dropped a copy it could not keep)"
            )));
        }
        if request && guard.chunks == 0 && guard.doc.get_heads().is_empty() {
            return Ok(self.unavailable(remote, id));
        }
        // Read once, every chunk whole and its cost bounded: a message that is not the protocol ends the
        // connection, and nothing of it is applied.
        let inbound = ingest::parse(data, &self.state.config.chunk_limits())
            .map_err(|e| Fatal(format!("document {id}: {e}")))?;
        let room_doc = &mut *guard;
        let (authors, new_bytes) =
            ingest::new_changes(&inbound, &mut room_doc.doc, &room_doc.pending);
        let checked = self.gate.checked();
        let mut quota = Ok(());
        if checked && new_bytes > 0 {
            quota = self.quota(id, room_doc.stored_bytes, new_bytes).await?;
        }
        if let Err(reason) = quota {
            return Ok(self.refuse(remote, id, reason));
        }
        let owners = if authors.is_empty() {
            None
        } else {
            self.gate.owners(&self.state, &authors).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the directory");
                trouble("check access")
            })?
        };
        let heads_before = room_doc.doc.get_heads();
        let level = self.access.get(&id).copied().unwrap_or(Access::None);
        let seal_key = self.state.seal_key.clone();
        let authority = Authority {
            access: self.gate.frozen(&self.state, id, level),
            owners: owners.as_ref(),
            schema: checked,
            kind: self.kinds.get(&id).copied(),
            seals: Some(&*seal_key),
        };
        let template = self.change_event(id).await;
        let verdict = ingest::decide_and_apply(
            &mut self.peer,
            id,
            &mut room_doc.doc,
            &authority,
            inbound,
            &mut room_doc.pending,
            template.clone(),
        );
        let (applied, claims, answered) = match verdict {
            Err(e) => {
                // Automerge refused part of what it was given: this copy may hold some of it.
                self.roll_back(id, room_doc).await;
                return Err(Fatal(format!("document {id}: {e}")));
            }
            Ok(Verdict::Refused {
                reason,
                document_changed,
            }) => {
                if document_changed {
                    self.roll_back(id, room_doc).await;
                }
                tracing::info!(conn = self.id, doc = %id, %reason, "changes refused");
                return Ok(self.refuse(remote, id, reason));
            }
            Ok(Verdict::Taken {
                applied,
                claims,
                answers,
            }) => (applied, claims, answers),
        };
        if !room_doc.pending.is_empty() || !applied.is_empty() {
            // Even changes that wait for a dependency change what is generated (the need).
            room_doc.generated.clear();
        }
        if !applied.is_empty() {
            let mut bytes = Vec::new();
            for a in &applied {
                bytes.extend_from_slice(a.change.raw_bytes());
            }
            // Only attributed connections are logged (not an open development server or the load benchmark).
            let stored = match &template {
                Some(this) if checked => {
                    let items = match answered {
                        Some(items) => items.into_iter().collect(),
                        None => checklist::changed_items(
                            &checklist::answer_versions_at(&room_doc.doc, &heads_before),
                            &checklist::answer_versions(&room_doc.doc),
                        ),
                    };
                    let events = attributed(this, &applied, &room_doc.doc, &items);
                    let owner = self.gate.owner().unwrap_or_default();
                    let claims: Vec<Claim> = claims
                        .iter()
                        .map(|actor| Claim {
                            actor: actor.to_hex_string(),
                            owner: owner.clone(),
                            device: remote.as_str().to_string(),
                        })
                        .collect();
                    let record = Recorded {
                        claims: &claims,
                        events: &events,
                        log: &self.state.log,
                        now: now_ms(),
                    };
                    room_doc
                        .persist(id, bytes, Some(record), self.state.rooms.store())
                        .await
                }
                _ => {
                    room_doc
                        .persist(id, bytes, None, self.state.rooms.store())
                        .await
                }
            };
            // Durable first: nothing that acknowledges these changes leaves before the store has them, and a
            // change whose access-log entry (or actor claim) cannot be written is not kept.
            if let Err(e) = stored {
                tracing::error!(doc = %id, error = %e, "cannot store changes");
                self.roll_back(id, room_doc).await;
                return Err(Fatal(
                    "サーバーに保存できませんでした。変更は端末に残り、あとで送り直されます \
                     (the server could not store the changes and their record; they will be sent again)"
                        .into(),
                ));
            }
            room_doc.recent.add(applied.into_iter().map(|a| a.change));
            room.notify_others(self.id);
            // The person's own changes are activity on their session (pings and fan-out are not).
            let live = self.gate.used(&self.state).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the directory");
                trouble("check access")
            })?;
            if !live {
                return Err(Fatal(
                    "セッションが終了しました。もう一度サインインしてください (session ended)"
                        .into(),
                ));
            }
        }
        let reply = self
            .peer
            .generate_with(id, &mut room_doc.doc, &room_doc.recent);
        drop(guard);
        Ok(reply
            .map(|data| {
                Message::Sync {
                    document_id: id,
                    sender_id: self.me(),
                    target_id: remote,
                    data,
                }
                .encode()
            })
            .into_iter()
            .collect())
    }

    /// Refuses a message's changes: the peer sets its copy aside and starts the document again.
    /// The room's document back to what the store holds, for every connection holding it
    /// ([`RoomDoc::reload`](crate::rooms::RoomDoc::reload)): after changes were applied and then refused or
    /// not stored. If even the store cannot be read, the room leaves memory and this connection lets go of
    /// it, so the next message opens it afresh.
    async fn roll_back(&mut self, id: DocumentId, room_doc: &mut crate::rooms::RoomDoc) {
        if let Err(e) = room_doc.reload(id, self.state.rooms.store()).await {
            // Marked broken: every connection holding the room lets it go at its next use.
            tracing::error!(doc = %id, error = %e, "cannot read a document back after refused changes");
            self.state.rooms.evict(id);
            self.let_go(id);
        }
    }

    /// This connection's hold on a room it must not use again (see `RoomDoc::broken`).
    fn let_go(&mut self, id: DocumentId) {
        if let Some(room) = self.rooms.remove(&id) {
            room.unsubscribe(self.id);
        }
        self.peer.forget(id);
    }

    fn refuse(&mut self, remote: PeerId, id: DocumentId, reason: String) -> Vec<Vec<u8>> {
        self.peer.forget(id);
        vec![
            Message::Refused {
                document_id: id,
                sender_id: self.me(),
                target_id: remote,
                reason,
            }
            .encode(),
        ]
    }

    /// Whether `new_bytes` more fit the document's and its facility's limits.
    async fn quota(
        &mut self,
        id: DocumentId,
        stored: usize,
        new_bytes: usize,
    ) -> Result<Result<(), String>, Fatal> {
        let config = self.state.config.clone();
        if stored + new_bytes > config.max_document_bytes {
            return Ok(Err(format!(
                "文書が大きすぎます (the document would exceed {} MB)",
                config.max_document_bytes / (1024 * 1024)
            )));
        }
        let Some(facility) = self.facility_of(id).await else {
            return Ok(Ok(()));
        };
        let used = self
            .state
            .directory
            .facility_bytes(facility)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the directory");
                trouble("check the facility's quota")
            })?;
        if used + new_bytes as u64 > config.max_facility_bytes {
            return Ok(Err(format!(
                "施設の保存容量の上限を超えます (the facility's storage limit of {} MB would be exceeded)",
                config.max_facility_bytes / (1024 * 1024)
            )));
        }
        Ok(Ok(()))
    }

    /// The access-log entry that records this connection's changes to `id`: `None` on an open server.
    async fn change_event(&mut self, id: DocumentId) -> Option<Event> {
        let mut event = Event::new(Kind::Change).document(id).device(&format!(
            "sync {}",
            self.remote.as_ref().map(|r| r.as_str()).unwrap_or_default()
        ));
        match &self.gate.principal {
            Principal::Open => return None,
            Principal::Person { id, .. } => event = event.by(*id, &self.gate.name),
            Principal::Token { id, .. } => {
                event.name = self.gate.name.clone();
                event.detail = format!("(APIトークン {id})");
            }
        }
        if let Some(f) = self.facility_of(id).await {
            event = event.at_facility(f);
        }
        Some(event)
    }

    /// A document's facility, read once per connection (it never changes).
    async fn facility_of(&mut self, doc: DocumentId) -> Option<FacilityId> {
        if let Some(f) = self.facilities.get(&doc) {
            return *f;
        }
        // A failed read is tried again next time rather than remembered.
        match self.state.directory.document(doc).await {
            Ok(info) => {
                let f = info.map(|i| i.facility);
                self.facilities.insert(doc, f);
                f
            }
            Err(_) => None,
        }
    }

    /// The person's records changed: end the connection if they may no longer sync at all, and close the
    /// documents they may no longer see.
    async fn recheck(&mut self) -> Result<Vec<Vec<u8>>, Fatal> {
        let still = self.gate.refresh(&self.state).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read the directory");
            trouble("check access")
        })?;
        if !still {
            return Err(Fatal(
                "このアカウントでは同期を続けられません: サインアウト、セッションの期限切れ、または無効化 (signed out, session expired or disabled)".into(),
            ));
        }
        let open: Vec<DocumentId> = self.rooms.keys().copied().collect();
        let mut replies = Vec::new();
        for id in open {
            let level = self.gate.access(&self.state, id).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the directory");
                trouble("check access")
            })?;
            if level == Access::None {
                if let Some(room) = self.rooms.remove(&id) {
                    room.unsubscribe(self.id);
                }
                self.access.remove(&id);
                self.peer.forget(id);
                if let Some(remote) = self.remote.clone() {
                    replies.extend(self.unavailable(remote, id));
                }
            } else {
                self.access.insert(id, level);
            }
        }
        Ok(replies)
    }

    async fn on_remote_change(&mut self, id: DocumentId) -> Option<Vec<u8>> {
        let remote = self.remote.clone()?;
        let room = self.rooms.get(&id)?.clone();
        let mut guard = room.doc.lock().await;
        if guard.broken {
            drop(guard);
            self.let_go(id);
            return None;
        }
        let guard = &mut *guard;
        let data =
            self.peer
                .generate_reusing(id, &mut guard.doc, &mut guard.generated, &guard.recent)?;
        Some(
            Message::Sync {
                document_id: id,
                sender_id: self.me(),
                target_id: remote,
                data,
            }
            .encode(),
        )
    }
}

/// The access-log entries for changes just applied: one for this message's sender, and one for each earlier
/// sender whose changes waited for a dependency. Each names the checklist `items` the step answered and the
/// latest device time recorded in those answers (when it happened on the device, offline perhaps).
fn attributed(
    this: &Event,
    applied: &[ingest::Applied<Option<Event>>],
    doc: &automerge::AutoCommit,
    items: &[String],
) -> Vec<Event> {
    let device_at = checklist::latest_entry_at(doc, items);
    let detail = items.join(", ");
    let mut senders: Vec<&Event> = Vec::new();
    for a in applied {
        let sender = match &a.earlier {
            None => this,
            Some(Some(earlier)) => earlier,
            Some(None) => continue,
        };
        let same = |s: &&Event| {
            (s.person, &s.name, &s.device, &s.detail)
                == (sender.person, &sender.name, &sender.device, &sender.detail)
        };
        if !senders.iter().any(same) {
            senders.push(sender);
        }
    }
    senders
        .into_iter()
        .map(|s| {
            let mut e = s.clone().device_at(device_at.filter(|t| *t > 0));
            e.detail = if e.detail.is_empty() {
                detail.clone()
            } else {
                format!("{detail} {}", e.detail)
            };
            e
        })
        .collect()
}
