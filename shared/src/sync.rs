//! The sans-IO sync core: per peer and per document Automerge sync state, and the client's connection state
//! machine. The caller feeds in events (a frame arrived, a document changed locally, the socket opened or
//! closed) and performs the effects it gets back (send a frame, re-read a document, show an error). No
//! sockets, timers or clocks here, so the same code runs in the browser (over a WebSocket) and in tests.
//!
//! The server drives [`PeerSync`] itself: it must decide per message whether a peer may open or change a
//! document, and persist a change before any reply whose heads include it.

use std::collections::{BTreeSet, HashMap};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

use crate::error::{ProtocolError, SyncError};
use crate::model::{DocumentId, PeerId};
use crate::protocol::{Limits, Message, PROTOCOL_VERSION, PeerMetadata};

mod batch;
pub mod chunks;
pub mod ingest;
pub use batch::Batch;
mod recent;
pub use recent::Recent;

/// The last sync message generated for one document: the state and heads it was made from, the state it
/// left, and the message (`None`: nothing to say).
#[derive(Debug, Default)]
pub struct Generated {
    from: Option<(sync::State, Vec<automerge::ChangeHash>)>,
    to: sync::State,
    data: Option<Vec<u8>>,
}

impl Generated {
    /// Forgets the last message: the document took in changes (or may have).
    pub fn clear(&mut self) {
        self.from = None;
    }
}

fn generate_reusing(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    last: &mut Generated,
    recent: &Recent,
) -> Option<Vec<u8>> {
    let heads = doc.get_heads();
    if let Some((from, from_heads)) = &last.from
        && from == state
        && *from_heads == heads
    {
        state.clone_from(&last.to);
        return last.data.clone();
    }
    let from = state.clone();
    let data = generate_message(state, doc, Some(recent), None);
    *last = Generated {
        from: Some((from, heads)),
        to: state.clone(),
        data: data.clone(),
    };
    data
}

/// The next sync message for a peer in `state`: from a shortcut where one knows the answer, else from
/// Automerge, cut down to one `batch` if one is given.
fn generate_message(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    recent: Option<&Recent>,
    batch: Option<&Batch>,
) -> Option<Vec<u8>> {
    if nothing_to_say(state, doc) {
        return None;
    }
    if let Some(recent) = recent
        && let Some(answer) = recent::generate(state, doc, recent)
    {
        return answer.map(sync::Message::encode);
    }
    let Some(batch) = batch else {
        return doc
            .sync()
            .generate_sync_message(state)
            .map(sync::Message::encode);
    };
    let sent_before = state.sent_hashes.clone();
    let mut message = doc.sync().generate_sync_message(state)?;
    batch::limit(&mut message, state, doc, &sent_before, batch);
    Some(message.encode())
}

/// Whether Automerge's `generate_sync_message` would return nothing, decided from the sync state alone.
///
/// Automerge builds its bloom filter and list of changes to send (two walks of the change graph, growing with
/// the document's history) before it checks whether there is anything to say. Under load about half the
/// calls answer an acknowledgement (the peer now has our heads) and say nothing, so this mirrors
/// Automerge's own tests, in its order: a reset is owed when the peer's last sync names a change we lack;
/// otherwise nothing is said when our heads are those we last sent and either a message is still in flight
/// or the peer has our heads and asked for nothing (then every change since its last sync is in its bloom
/// filter, so the list to send is empty).
fn nothing_to_say(state: &sync::State, doc: &mut AutoCommit) -> bool {
    if !state.have_responded || state.needs_reset {
        return false;
    }
    let heads = doc.get_heads();
    if heads.is_empty() || state.last_sent_heads != heads {
        return false;
    }
    let reset_owed = state
        .their_have
        .as_ref()
        .and_then(|have| have.first())
        .is_some_and(|have| {
            have.last_sync
                .iter()
                .any(|h| doc.get_change_meta_by_hash(h).is_none())
        });
    if reset_owed {
        return false;
    }
    let asked_nothing = state.their_need.as_ref().is_none_or(|need| need.is_empty());
    state.in_flight || (state.their_heads.as_deref() == Some(heads.as_slice()) && asked_nothing)
}

/// How [`receive_message`] took a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// By Automerge itself.
    Automerge,
    /// A bare acknowledgement, from the sync state alone.
    Acknowledgement,
    /// Changes applied directly, the state kept as Automerge would keep it.
    Changes,
}

/// Applies a sync message as Automerge's `receive_sync_message` does.
///
/// Automerge walks the whole change graph on every message to drop, from the hashes it has sent, those the
/// peer's heads now cover, so that walk has a known answer in two common cases. A bare acknowledgement (no
/// changes, the peer's heads exactly ours) covers every hash ever sent: about half the messages under load.
/// A message with changes, when nothing we sent is still unacknowledged, has nothing to drop: most of the
/// rest. Everything else goes to Automerge. The states this leaves are checked against Automerge's in the
/// tests.
fn receive_message(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    mut message: sync::Message,
) -> Result<Taken, automerge::AutomergeError> {
    let chunks: Vec<u8> = message.changes.iter().flatten().copied().collect();
    message.changes = sync::ChunkList::from(Vec::<Vec<u8>>::new());
    let incoming = if chunks.is_empty() {
        Incoming::Nothing
    } else {
        Incoming::Chunks(chunks)
    };
    receive_with(state, doc, message, incoming)
}

/// The path (and query) of the sync WebSocket a device opens. `place` is the device's facility (its index
/// document's id): in front of several server instances, a balancer hashing on it puts a facility's
/// devices on one instance, so each of their changes is applied there only instead of by every instance
/// holding the document (docs/scale.md: 1.1x the CPU a delivery of one instance against 1.4x). A routing
/// key only: the server never reads it, what a connection may do follows from its credential.
pub fn endpoint(place: Option<DocumentId>) -> String {
    match place {
        Some(facility_index) => format!("/sync?place={facility_index}"),
        None => "/sync".into(),
    }
}

/// Drops the patch events `doc` recorded while changes were applied. Automerge 0.12's `AutoCommit` records
/// an event for every operation it applies even when nobody asked for patches (its patch log is "inactive"
/// but still filled), and keeps them until a diff is asked for, which Mamori never does through the log:
/// ~190 bytes an operation held for as long as the document stays open (a standalone run: 20,000 changes
/// applied one by one, 7.2 MB resident with the events, 3.4 MB without). Nothing reads them, so nothing is lost.
pub fn forget_patches(doc: &mut AutoCommit) {
    doc.reset_diff_cursor();
}

/// What a sync message brings, apart from the message itself.
pub(crate) enum Incoming {
    Nothing,
    /// Its chunks, joined, as Automerge's own receive takes them (the client: it trusts its server).
    Chunks(Vec<u8>),
    /// Changes already read whole and checked ([`ingest`]): applied as they are, never re-read from bytes
    /// that could hold anything else.
    Changes(Vec<automerge::Change>),
}

impl Incoming {
    fn is_empty(&self) -> bool {
        match self {
            Incoming::Nothing => true,
            Incoming::Chunks(c) => c.is_empty(),
            Incoming::Changes(c) => c.is_empty(),
        }
    }

    fn apply(self, doc: &mut AutoCommit) -> Result<(), automerge::AutomergeError> {
        let applied = match self {
            Incoming::Nothing => return Ok(()),
            Incoming::Chunks(data) => doc.load_incremental(&data).map(|_| ()),
            Incoming::Changes(changes) => doc.apply_changes(changes),
        };
        forget_patches(doc);
        applied
    }

    /// As the `changes` of a message for Automerge's own receive.
    fn into_chunks(self) -> sync::ChunkList {
        sync::ChunkList::from(match self {
            Incoming::Nothing => Vec::new(),
            Incoming::Chunks(data) => vec![data],
            Incoming::Changes(changes) => changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
        })
    }
}

/// [`receive_message`] with what the message brings given apart (`message.changes` is empty).
pub(crate) fn receive_with(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    mut message: sync::Message,
    incoming: Incoming,
) -> Result<Taken, automerge::AutomergeError> {
    let acknowledgement =
        incoming.is_empty() && !message.heads.is_empty() && message.heads == doc.get_heads();
    let changes_only = !incoming.is_empty()
        && !message.heads.is_empty()
        && state.sent_hashes.is_empty()
        && !state.read_only;
    if !acknowledgement && !changes_only {
        message.changes = incoming.into_chunks();
        doc.sync().receive_sync_message(state, message)?;
        return Ok(Taken::Automerge);
    }
    let sync::Message {
        heads,
        need,
        have,
        flags,
        ..
    } = message;
    let mut taken = Taken::Acknowledgement;
    if changes_only {
        let before = doc.get_heads();
        incoming.apply(doc)?;
        let after = doc.get_heads();
        // As Automerge advances the heads both sides share past what just arrived.
        let shared: BTreeSet<ChangeHash> = after
            .iter()
            .filter(|h| !before.contains(h) || state.shared_heads.contains(h))
            .copied()
            .collect();
        state.shared_heads = shared.into_iter().collect();
        // The peer's heads that this document has (a queued change does not count).
        let known: Vec<ChangeHash> = heads
            .iter()
            .filter(|h| after.contains(h) || doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        if known.len() == heads.len() {
            state.shared_heads.clone_from(&heads);
        } else {
            let merged: BTreeSet<ChangeHash> =
                state.shared_heads.iter().chain(&known).copied().collect();
            state.shared_heads = merged.into_iter().collect();
        }
        taken = Taken::Changes;
    } else {
        state.sent_hashes.clear();
        state.last_sent_heads.clone_from(&heads);
        state.shared_heads.clone_from(&heads);
    }
    state.in_flight = false;
    if let Some(flags) = flags {
        // Any peer that sends flags speaks the v2 message format.
        let mut capabilities = vec![sync::Capability::MessageV2];
        if flags.contains(sync::MessageFlags::SUPPORTS_SYNC_RESET) {
            capabilities.push(sync::Capability::SyncReset);
        }
        state.their_capabilities = Some(capabilities);
        state.peer_read_only = flags.contains(sync::MessageFlags::READ_ONLY);
    }
    state.their_have = Some(have);
    state.their_heads = Some(heads);
    state.their_need = Some(need);
    Ok(taken)
}

/// Sync states with one remote peer, one per document.
#[derive(Debug, Default)]
pub struct PeerSync {
    states: HashMap<DocumentId, sync::State>,
    /// Whether to send a long backlog over several messages (a client does: its server limits what one
    /// message may carry).
    batch: Option<Batch>,
}

impl PeerSync {
    /// Sync states whose messages each carry at most one `batch`.
    pub fn batching(batch: Batch) -> PeerSync {
        PeerSync {
            states: HashMap::new(),
            batch: Some(batch),
        }
    }

    /// The next Automerge sync message for `id`, if there is anything to say.
    pub fn generate(&mut self, id: DocumentId, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        let state = self.states.entry(id).or_default();
        generate_message(state, doc, None, self.batch.as_ref())
    }

    /// As [`PeerSync::generate`], answering from the document's recent changes where they tell enough.
    pub fn generate_with(
        &mut self,
        id: DocumentId,
        doc: &mut AutoCommit,
        recent: &Recent,
    ) -> Option<Vec<u8>> {
        generate_message(self.states.entry(id).or_default(), doc, Some(recent), None)
    }

    /// As [`PeerSync::generate`], reusing `last` when this peer stands in the sync state `last` was generated
    /// from and the document has the same heads. A room's subscribers usually stand in the same state when a
    /// change fans out to them, and Automerge's message is a function of the document and the state alone,
    /// so one generation serves them all. The caller clears `last` whenever the document takes in changes.
    pub fn generate_reusing(
        &mut self,
        id: DocumentId,
        doc: &mut AutoCommit,
        last: &mut Generated,
        recent: &Recent,
    ) -> Option<Vec<u8>> {
        let state = self.states.entry(id).or_default();
        generate_reusing(state, doc, last, recent)
    }

    /// Applies a sync message from the peer. The document is unchanged when this fails.
    pub fn receive(
        &mut self,
        id: DocumentId,
        doc: &mut AutoCommit,
        data: &[u8],
    ) -> Result<(), SyncError> {
        let message =
            sync::Message::decode(data).map_err(|e| SyncError::BadSyncMessage(e.to_string()))?;
        let state = self.states.entry(id).or_default();
        receive_message(state, doc, message)
            .map(|_| ())
            .map_err(|e| SyncError::Rejected(e.to_string()))
    }

    /// The heads the peer last said it has for a document.
    pub fn their_heads(&self, id: DocumentId) -> Option<&[automerge::ChangeHash]> {
        self.states.get(&id)?.their_heads.as_deref()
    }

    /// Starts over with a document (after a reset or a refusal).
    pub fn forget(&mut self, id: DocumentId) {
        self.states.remove(&id);
    }
}

/// The documents a client syncs, as the core sees them.
pub trait Documents {
    /// Ids of every document this device holds and wants synced.
    fn ids(&self) -> Vec<DocumentId>;
    fn get_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit>;
    /// A document the device asked for by id and does not have yet: starts empty.
    fn create_empty(&mut self, id: DocumentId) -> &mut AutoCommit;
    /// Whether the device has kept everything it holds of `id`, so the server may hear of it. A message is
    /// generated from the whole document in memory, whatever prompted it (an earlier save landing, the
    /// server's answer, a reconnect), so while a save of `id` is still on its way none is made: the caller
    /// offers the document again ([`Event::LocalChange`]) once its saves have landed. Otherwise the server
    /// could hold changes the device loses in a reload, such as a facility index listing a new checklist
    /// that neither has. Always `true` where nothing is saved (the test client).
    fn may_offer(&mut self, _id: DocumentId) -> bool {
        true
    }
}

/// Documents kept in a map by id: what the app, the test client and the tests use.
impl Documents for std::collections::BTreeMap<DocumentId, AutoCommit> {
    fn ids(&self) -> Vec<DocumentId> {
        self.keys().copied().collect()
    }
    fn get_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        std::collections::BTreeMap::get_mut(self, &id)
    }
    fn create_empty(&mut self, id: DocumentId) -> &mut AutoCommit {
        self.entry(id).or_default()
    }
}

/// What happened, from the socket or the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// The socket opened.
    Opened,
    /// A binary frame arrived.
    Frame(&'a [u8]),
    /// A document changed on this device.
    LocalChange(DocumentId),
    /// The device wants a document it does not hold yet (opened by link on a second device).
    Want(DocumentId),
    /// The socket closed.
    Closed,
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this frame.
    Send(Vec<u8>),
    /// The document changed from the network: re-read and save it.
    DocChanged(DocumentId),
    /// The server does not have (or will not show) this document.
    Unavailable(DocumentId),
    /// The connection is ready: documents are being synced.
    Connected(PeerId),
    /// The server said something is wrong; the connection will close.
    ServerError(String),
    /// The server did not accept this device's changes to a document: set them aside, then start the document
    /// again from the server's state ([`Client::reset`]).
    Refused {
        document: DocumentId,
        reason: String,
    },
    /// A frame from the server could not be understood; close the connection and retry later.
    Malformed(ProtocolError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Closed,
    Joining,
    Connected(PeerId),
}

/// The client's side of one connection to a sync server.
#[derive(Debug)]
pub struct Client {
    me: PeerId,
    storage_id: Option<String>,
    limits: Limits,
    phase: Phase,
    peer: PeerSync,
    /// Documents asked for by id, reported unavailable until the server has them.
    wanted: BTreeSet<DocumentId>,
}

impl Client {
    pub fn new(me: PeerId, storage_id: Option<String>, limits: Limits) -> Client {
        Client {
            me,
            storage_id,
            limits,
            phase: Phase::Closed,
            peer: PeerSync::batching(Batch::default()),
            wanted: BTreeSet::new(),
        }
    }

    /// Whether the server has said it holds every change this device has of `id`.
    pub fn server_has(&self, id: DocumentId, heads: &[automerge::ChangeHash]) -> bool {
        self.peer
            .their_heads(id)
            .is_some_and(|theirs| heads.iter().all(|h| theirs.contains(h)))
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected(_))
    }

    /// Handles one event; the effects come back in the order they must be performed.
    pub fn handle(&mut self, event: Event<'_>, docs: &mut impl Documents) -> Vec<Effect> {
        let mut out = Vec::new();
        match event {
            Event::Opened => {
                self.phase = Phase::Joining;
                self.peer = PeerSync::batching(Batch::default());
                let join = Message::Join {
                    sender_id: self.me.clone(),
                    supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
                    metadata: Some(PeerMetadata {
                        storage_id: self.storage_id.clone(),
                        is_ephemeral: false,
                    }),
                };
                out.push(Effect::Send(join.encode()));
            }
            Event::Closed => self.phase = Phase::Closed,
            Event::LocalChange(id) => self.sync_doc(id, docs, &mut out),
            Event::Want(id) => {
                self.wanted.insert(id);
                docs.create_empty(id);
                self.request(id, docs, &mut out);
            }
            Event::Frame(bytes) => match Message::decode(bytes, &self.limits) {
                Err(e) => out.push(Effect::Malformed(e)),
                Ok(message) => self.on_message(message, docs, &mut out),
            },
        }
        out
    }

    fn on_message(&mut self, message: Message, docs: &mut impl Documents, out: &mut Vec<Effect>) {
        match message {
            Message::Peer { sender_id, .. } => {
                self.phase = Phase::Connected(sender_id.clone());
                out.push(Effect::Connected(sender_id));
                for id in docs.ids() {
                    if self.wanted.contains(&id) {
                        self.request(id, docs, out);
                    } else {
                        self.sync_doc(id, docs, out);
                    }
                }
            }
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => {
                let doc = match docs.get_mut(document_id) {
                    Some(doc) => doc,
                    None => docs.create_empty(document_id),
                };
                let before = doc.get_heads();
                match self.peer.receive(document_id, doc, &data) {
                    Ok(()) => {
                        if doc.get_heads() != before {
                            self.wanted.remove(&document_id);
                            out.push(Effect::DocChanged(document_id));
                        }
                        self.sync_doc(document_id, docs, out);
                    }
                    Err(e) => out.push(Effect::Malformed(ProtocolError::Malformed(e.to_string()))),
                }
            }
            Message::DocUnavailable { document_id, .. } => {
                // Start afresh if the document is asked for again (it may have become available, or this
                // person may have been given access): the next request is a first message again.
                self.peer.forget(document_id);
                out.push(Effect::Unavailable(document_id))
            }
            Message::Error { message } => out.push(Effect::ServerError(message)),
            Message::Refused {
                document_id,
                reason,
                ..
            } => {
                self.peer.forget(document_id);
                out.push(Effect::Refused {
                    document: document_id,
                    reason,
                });
            }
            Message::Join { .. } | Message::Leave { .. } | Message::Advisory { .. } => {}
        }
    }

    /// After a refusal: the caller has set its copy aside and emptied it; fetch the server's state again.
    pub fn reset(&mut self, id: DocumentId, docs: &mut impl Documents) -> Vec<Effect> {
        self.peer.forget(id);
        let mut out = Vec::new();
        self.wanted.insert(id);
        self.request(id, docs, &mut out);
        out
    }

    fn server(&self) -> Option<PeerId> {
        match &self.phase {
            Phase::Connected(p) => Some(p.clone()),
            _ => None,
        }
    }

    fn sync_doc(&mut self, id: DocumentId, docs: &mut impl Documents, out: &mut Vec<Effect>) {
        if self.server().is_none() || !docs.may_offer(id) {
            return;
        }
        let (Some(server), Some(doc)) = (self.server(), docs.get_mut(id)) else {
            return;
        };
        if let Some(data) = self.peer.generate(id, doc) {
            out.push(Effect::Send(
                Message::Sync {
                    document_id: id,
                    sender_id: self.me.clone(),
                    target_id: server,
                    data,
                }
                .encode(),
            ));
        }
    }

    fn request(&mut self, id: DocumentId, docs: &mut impl Documents, out: &mut Vec<Effect>) {
        let (Some(server), Some(doc)) = (self.server(), docs.get_mut(id)) else {
            return;
        };
        if let Some(data) = self.peer.generate(id, doc) {
            out.push(Effect::Send(
                Message::Request {
                    document_id: id,
                    sender_id: self.me.clone(),
                    target_id: server,
                    data,
                }
                .encode(),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
