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
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::{Message, PROTOCOL_VERSION};
use mamori_shared::schema::checklist;
use mamori_shared::sync::PeerSync;
use tokio::sync::{broadcast, mpsc};

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::gate::{Gate, Principal, Refusal};
use crate::rooms::Room;

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

    /// Records an open or a change in the access log, for signed-in people and API tokens (an open
    /// server, for development and benchmarks, has no one to attribute anything to).
    async fn log(&mut self, kind: Kind, doc: DocumentId, detail: String, device_at: Option<i64>) {
        let mut event = Event::new(kind)
            .document(doc)
            .detail(detail)
            .device_at(device_at)
            .device(&format!(
                "sync {}",
                self.remote.as_ref().map(|r| r.as_str()).unwrap_or_default()
            ));
        match &self.gate.principal {
            Principal::Open => return,
            Principal::Person { id, .. } => event = event.by(*id, &self.gate.name),
            Principal::Token { id, .. } => {
                event.name = self.gate.name.clone();
                event.detail = format!("{} (APIトークン {id})", event.detail);
            }
        }
        let facility = match self.facilities.get(&doc) {
            Some(f) => *f,
            None => {
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
        };
        if let Some(f) = facility {
            event = event.at_facility(f);
        }
        self.state.log.record(event).await;
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
                    Fatal("the server could not check access".into())
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
                        Fatal("the server could not open the document".into())
                    })?;
                let Some(room) = opened else {
                    return Ok(self.unavailable(remote, id));
                };
                self.rooms.insert(id, room.clone());
                self.access.insert(id, level);
                self.log(Kind::Open, id, String::new(), None).await;
                room
            }
        };
        let mut guard = room.doc.lock().await;
        if request && guard.chunks == 0 && guard.doc.get_heads().is_empty() {
            return Ok(self.unavailable(remote, id));
        }
        // Refuse before applying: a change once applied cannot be retracted.
        let incoming = PeerSync::new_changes(&mut guard.doc, data)
            .map_err(|e| Fatal(format!("document {id}: {e}")))?;
        let new_changes = !incoming.is_empty();
        let may_write = if !new_changes {
            Ok(())
        } else if self.access.get(&id) != Some(&Access::Write) {
            Err("閲覧のみの権限です: 変更は保存されません (read only: changes are not kept)".into())
        } else {
            match self
                .authors_are_the_sender(&incoming.authors, &remote)
                .await?
            {
                Ok(()) => self.state.policy.may_write(&remote, id),
                Err(reason) => Err(reason),
            }
        };
        if new_changes && let Err(reason) = may_write {
            tracing::info!(conn = self.id, doc = %id, %reason, "changes refused");
            self.peer.forget(id);
            let refused = Message::Refused {
                document_id: id,
                sender_id: self.me(),
                target_id: remote,
                reason,
            };
            return Ok(vec![refused.encode()]);
        }
        let before = guard.doc.get_heads();
        // With nothing held back for a missing dependency, what this message adds is its new changes alone.
        let nothing_waiting = new_changes && guard.doc.get_missing_deps(&[]).is_empty();
        if new_changes {
            // Even changes that wait in the queue for a missing dependency change what is generated.
            guard.generated.clear();
        }
        // Only attributed connections are logged (not an open development server or the load benchmark).
        let answers_before =
            (new_changes && self.gate.checked()).then(|| checklist::answer_versions(&guard.doc));
        self.peer
            .receive(id, &mut guard.doc, data)
            .map_err(|e| Fatal(format!("document {id}: {e}")))?;
        let mut logged_change = None;
        let after = guard.doc.get_heads();
        if after != before {
            let explained = nothing_waiting && incoming.explain(&before, &after);
            let received = explained.then_some(incoming.changes.as_slice());
            // Durable first: nothing that acknowledges these changes leaves before the store has them.
            if let Err(e) = guard
                .persist_since(id, &before, received, self.state.rooms.store())
                .await
            {
                tracing::error!(doc = %id, error = %e, "cannot store changes");
                drop(guard);
                self.state.rooms.evict(id);
                return Err(Fatal(
                    "the server could not store the changes; they will be sent again".into(),
                ));
            }
            if explained {
                guard.recent.add(incoming.changes);
            } else {
                guard.recent.clear();
            }
            room.notify_others(self.id);
            if let Some(answers_before) = answers_before {
                logged_change = Some(changes_made(&guard.doc, &answers_before));
            }
        }
        let room_doc = &mut *guard;
        let reply = self
            .peer
            .generate_with(id, &mut room_doc.doc, &room_doc.recent);
        drop(guard);
        if let Some((items, device_at)) = logged_change {
            self.log(Kind::Change, id, items, device_at).await;
        }
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

    /// Every new change must be by the sender: its actor id is claimed by the sender on first use, and one
    /// claimed by someone else is refused (impersonation). Changes the server already has are not checked,
    /// so anyone may relay them (after a restore from backup, say).
    async fn authors_are_the_sender(
        &self,
        authors: &std::collections::BTreeSet<automerge::ActorId>,
        remote: &PeerId,
    ) -> Result<Result<(), String>, Fatal> {
        let Some(owner) = self.gate.owner() else {
            return Ok(Ok(()));
        };
        for actor in authors {
            let mine = self
                .state
                .directory
                .claim_actor(
                    &actor.to_hex_string(),
                    &owner,
                    remote.as_str(),
                    crate::routes::auth::now_ms(),
                )
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot read the directory");
                    Fatal("the server could not check access".into())
                })?;
            if !mine {
                tracing::warn!(conn = self.id, %owner, actor = %actor, "changes under another person's actor id refused");
                return Ok(Err(
                    "この変更は別の利用者の作成者IDで作られています (changes carry another person's actor id)".into(),
                ));
            }
        }
        Ok(Ok(()))
    }

    /// The person's records changed: end the connection if they may no longer sync at all, and close the
    /// documents they may no longer see.
    async fn recheck(&mut self) -> Result<Vec<Vec<u8>>, Fatal> {
        let still = self.gate.refresh(&self.state).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read the directory");
            Fatal("the server could not check access".into())
        })?;
        if !still {
            return Err(Fatal(
                "このアカウントでは同期できません (signed out or disabled)".into(),
            ));
        }
        let open: Vec<DocumentId> = self.rooms.keys().copied().collect();
        let mut replies = Vec::new();
        for id in open {
            let level = self.gate.access(&self.state, id).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the directory");
                Fatal("the server could not check access".into())
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

/// Which checklist items a sync message changed (for the log), and the latest device time recorded in
/// those answers (when it happened on the device, offline perhaps).
fn changes_made(
    doc: &automerge::AutoCommit,
    before: &std::collections::BTreeMap<String, automerge::ObjId>,
) -> (String, Option<i64>) {
    let items = checklist::changed_items(before, &checklist::answer_versions(doc));
    let device_at = checklist::answers(doc).ok().and_then(|all| {
        all.iter()
            .filter(|(id, _)| items.iter().any(|i| i == id.as_str()))
            .map(|(_, a)| a.current.entry.at_ms)
            .max()
    });
    (items.join(", "), device_at.filter(|t| *t > 0))
}
