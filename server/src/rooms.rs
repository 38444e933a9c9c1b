//! Live documents: one room per document that a connection has open, holding the document, its subscribers,
//! and how many chunks it has in the store.
//!
//! Writes to one document are serialised by the room's lock, which is held across the store append: a
//! change is durable before any connection can generate a message that includes it. Because of that, a room
//! with no subscribers holds nothing the store lacks, and [`Rooms::unload_idle`] may drop it from memory; the
//! next open reloads it. Memory therefore follows the documents in use, not all the documents stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::{AutoCommit, Change};
use mamori_shared::model::DocumentId;
use mamori_shared::sync::ingest::{Pending, PendingLimits, check_applied};
use mamori_shared::sync::{Generated, Recent};
use tokio::sync::mpsc;

use crate::access_log::Event;
use crate::store::{DocStore, Recorded, Seq, StoreError};

/// Compact a document's chunks into one snapshot once it has this many.
const COMPACT_AFTER: usize = 64;

/// Why changes from outside sync were not merged (nothing of them is kept).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("the changes could not be applied: {0}")]
    Apply(String),
    /// Applied, but the document may not keep them (see `ingest::check_applied`).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A connection's inbox of "this document changed" notes.
pub type Inbox = mpsc::Sender<DocumentId>;

pub struct Room {
    pub id: DocumentId,
    pub doc: tokio::sync::Mutex<RoomDoc>,
    subscribers: Mutex<Subscribers>,
}

#[derive(Default)]
struct Subscribers {
    inboxes: HashMap<u64, Inbox>,
    /// When the last subscriber left (`None` while anyone is subscribed).
    idle_since: Option<Instant>,
}

pub struct RoomDoc {
    pub doc: AutoCommit,
    /// Chunks in the store (0: never stored, the room exists only in memory).
    pub chunks: usize,
    /// The places of the stored chunks whose changes this copy holds: what a compaction may replace (another
    /// instance's chunks appended meanwhile are not among them and stay).
    stored: Vec<Seq>,
    /// The last sync message generated for a subscriber, reused for the next ones in the same state; cleared
    /// whenever the document takes in changes.
    pub generated: Generated,
    /// The changes the document took in last, for generating without walks of the whole change graph;
    /// cleared whenever it takes in changes that are not recorded here.
    pub recent: Recent,
    /// Changes held back for a dependency that has not arrived, with the access-log entry of whoever sent
    /// them (bounded: see [`PendingLimits`]).
    pub pending: Pending<Option<Event>>,
    /// The bytes of all its chunks in the store (the document's size limit is checked against it).
    pub stored_bytes: usize,
    /// Changes were refused or not stored and the store could not be read back: this copy holds what the
    /// store does not, and every connection holding it lets it go (the next open reads the store).
    pub broken: bool,
}

impl Room {
    fn subscribe(&self, conn: u64, inbox: Inbox) {
        let mut s = self.subscribers.lock().expect("room lock");
        s.inboxes.insert(conn, inbox);
        s.idle_since = None;
    }

    pub fn unsubscribe(&self, conn: u64) {
        let mut s = self.subscribers.lock().expect("room lock");
        s.inboxes.remove(&conn);
        if s.inboxes.is_empty() {
            s.idle_since = Some(Instant::now());
        }
    }

    /// Tells every other subscriber that the document changed. A full inbox already holds a note that will
    /// make its connection read the latest state, so a dropped note loses nothing.
    pub fn notify_others(&self, from: u64) {
        for (conn, inbox) in self.subscribers.lock().expect("room lock").inboxes.iter() {
            if *conn != from {
                let _ = inbox.try_send(self.id);
            }
        }
    }

    fn idle_for(&self, now: Instant) -> Option<Duration> {
        let s = self.subscribers.lock().expect("room lock");
        s.idle_since.map(|t| now.saturating_duration_since(t))
    }
}

impl RoomDoc {
    fn new(doc: AutoCommit, stored: Vec<Seq>, stored_bytes: usize) -> RoomDoc {
        RoomDoc {
            doc,
            chunks: stored.len(),
            stored,
            generated: Generated::default(),
            recent: Recent::default(),
            pending: Pending::new(PendingLimits::default()),
            stored_bytes,
            broken: false,
        }
    }

    /// Stores `changes` (whole change chunks, as they arrived) durably, with `record` in the same
    /// transaction when there is one, compacting when the chunks pile up.
    pub async fn persist(
        &mut self,
        id: DocumentId,
        changes: Vec<u8>,
        record: Option<Recorded<'_>>,
        store: &dyn DocStore,
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let len = changes.len();
        let seq = match record {
            Some(record) => store.append_recorded(id, changes, record).await?,
            None => store.append(id, changes).await?,
        };
        self.stored.push(seq);
        self.chunks = self.stored.len();
        self.stored_bytes += len;
        if self.chunks >= COMPACT_AFTER {
            let snapshot = self.doc.save();
            let len = snapshot.len();
            let covered = std::mem::take(&mut self.stored);
            match store.compact(id, snapshot, covered.clone()).await {
                Ok(seq) => {
                    self.stored = vec![seq];
                    self.chunks = 1;
                    self.stored_bytes = len;
                }
                Err(e) => {
                    // Nothing was replaced: the chunks are still there, as before.
                    self.stored = covered;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Puts the document back to what the store holds, in place: after changes were applied and then
    /// refused (or not stored), every connection holding this room sees the stored document at once, and
    /// none goes on from a copy that holds them (a change made on top of a refused one would be stored
    /// without its dependency, and the stored document would no longer load). Other peers' changes that were
    /// waiting for a dependency are put back to wait again (their senders will not send them twice). If the
    /// store cannot be read, the room is marked broken: every connection that holds it lets it go.
    pub async fn reload(&mut self, id: DocumentId, store: &dyn DocStore) -> Result<(), StoreError> {
        let (doc, stored, stored_bytes) = match load_stored(store, id).await {
            Ok(loaded) => loaded.unwrap_or((AutoCommit::new(), Vec::new(), 0)),
            Err(e) => {
                self.broken = true;
                return Err(e);
            }
        };
        let waiting = std::mem::replace(&mut self.pending, Pending::new(PendingLimits::default()));
        let mut fresh = RoomDoc::new(doc, stored, stored_bytes);
        let heads = fresh.doc.get_heads();
        let waiting_changes: Vec<Change> = waiting.changes().cloned().collect();
        let queued =
            fresh.doc.apply_changes(waiting_changes).is_ok() && fresh.doc.get_heads() == heads;
        if queued {
            fresh.pending = waiting;
        } else {
            // They would apply to what the store holds, not as they were decided: read it once more
            // without them (their senders' next messages bring them again).
            let (doc, stored, stored_bytes) =
                load_stored(store, id)
                    .await?
                    .unwrap_or((AutoCommit::new(), Vec::new(), 0));
            fresh = RoomDoc::new(doc, stored, stored_bytes);
        }
        *self = fresh;
        Ok(())
    }

    /// Persists whatever the document took in since `before`, as Automerge rebuilds it (a merge from
    /// outside any connection, where the changes were not read one by one).
    pub async fn persist_since(
        &mut self,
        id: DocumentId,
        before: &[automerge::ChangeHash],
        store: &dyn DocStore,
    ) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        for mut change in self.doc.get_changes(before) {
            bytes.extend_from_slice(&change.bytes());
        }
        self.persist(id, bytes, None, store).await
    }
}

/// A document as the store holds it, with its chunks' places and their bytes; `None` if never stored. One
/// load of all the chunks together: a snapshot followed by change chunks is itself a valid document, and
/// loading it whole takes a third of the memory that loading it chunk by chunk into an empty document does.
async fn load_stored(
    store: &dyn DocStore,
    id: DocumentId,
) -> Result<Option<(AutoCommit, Vec<Seq>, usize)>, StoreError> {
    let Some(chunks) = store.load_chunks(id).await? else {
        return Ok(None);
    };
    let bytes: usize = chunks.iter().map(|(_, c)| c.len()).sum();
    let mut all = Vec::with_capacity(bytes);
    for (_, c) in &chunks {
        all.extend_from_slice(c);
    }
    let doc = AutoCommit::load(&all)
        .map_err(|e| StoreError::Other(format!("document {id} in the store does not load: {e}")))?;
    Ok(Some((
        doc,
        chunks.into_iter().map(|(s, _)| s).collect(),
        bytes,
    )))
}

/// Every live room.
pub struct Rooms {
    store: Arc<dyn DocStore>,
    rooms: Mutex<HashMap<DocumentId, Arc<Room>>>,
}

impl Rooms {
    pub fn new(store: Arc<dyn DocStore>) -> Rooms {
        Rooms {
            store,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &dyn DocStore {
        self.store.as_ref()
    }

    /// How many documents are in memory.
    pub fn loaded(&self) -> usize {
        self.rooms.lock().expect("rooms lock").len()
    }

    /// Opens a document for connection `conn` and subscribes `inbox` to its changes, loading it from the store
    /// if it is not in memory; a new empty room when `create` is set and the document was never stored; `None`
    /// otherwise. Subscribing happens under the rooms lock, so an unload never drops a room being opened.
    pub async fn open(
        &self,
        id: DocumentId,
        create: bool,
        conn: u64,
        inbox: Inbox,
    ) -> Result<Option<Arc<Room>>, StoreError> {
        {
            let rooms = self.rooms.lock().expect("rooms lock");
            if let Some(room) = rooms.get(&id) {
                room.subscribe(conn, inbox);
                return Ok(Some(room.clone()));
            }
        }
        let (doc, stored, stored_bytes) = match load_stored(self.store(), id).await? {
            Some(loaded) => loaded,
            None if create => (AutoCommit::new(), Vec::new(), 0),
            None => return Ok(None),
        };
        let stored_any = !stored.is_empty();
        let (room, created) = {
            let mut rooms = self.rooms.lock().expect("rooms lock");
            // Another connection may have opened it meanwhile: keep the first.
            let mut created = false;
            let room = rooms
                .entry(id)
                .or_insert_with(|| {
                    created = true;
                    Arc::new(Room {
                        id,
                        doc: tokio::sync::Mutex::new(RoomDoc::new(doc, stored, stored_bytes)),
                        subscribers: Mutex::default(),
                    })
                })
                .clone();
            room.subscribe(conn, inbox);
            (room, created)
        };
        if created && stored_any {
            // Another instance's notice for it may have come while it loaded, before it was here to hear.
            self.catch_up(id).await?;
        }
        Ok(Some(room))
    }

    /// Merges changes into a document from outside any connection (a 管理者 accepting handed-back changes):
    /// applied as parsed (read by [`ingest::read_changes`](mamori_shared::sync::ingest::read_changes), never
    /// re-read), held to the document's schema like a peer's changes, durable first, then every subscriber
    /// is told. Creates the document if the store has none.
    pub async fn merge(
        &self,
        id: DocumentId,
        changes: Vec<Change>,
        seals: &dyn mamori_shared::seal::Verifier,
    ) -> Result<(), MergeError> {
        /// The connection id merges subscribe under: never given to a real connection (those count up from 1).
        const MERGER: u64 = u64::MAX;
        let (inbox, _notes) = mpsc::channel(1);
        let room = self
            .open(id, true, MERGER, inbox)
            .await?
            .expect("open with create always gives a room");
        let merged = {
            let mut g = room.doc.lock().await;
            let before = g.doc.get_heads();
            let kind_before = mamori_shared::schema::kind_of(&g.doc);
            g.generated.clear();
            g.recent.clear();
            let merged = match g.doc.apply_changes(changes.iter().cloned()) {
                Err(e) => Err(MergeError::Apply(e.to_string())),
                Ok(()) if g.doc.get_heads() == before => Ok(()),
                // The same checks as on a peer's changes.
                Ok(()) => match check_applied(&mut g.doc, id, &before, kind_before, Some(seals)) {
                    Err(reason) => Err(MergeError::Refused(reason)),
                    Ok(_) => g
                        .persist_since(id, &before, self.store())
                        .await
                        .map_err(MergeError::from),
                },
            };
            if merged.is_ok() {
                // Peers' changes the merge released from the waiting queue are stored with it.
                let RoomDoc { doc, pending, .. } = &mut *g;
                pending.prune(doc);
            }
            // Memory may hold what the store lacks: back to what the store has, for every holder.
            if merged.is_err() && g.reload(id, self.store()).await.is_err() {
                self.evict(id);
            }
            merged
        };
        room.unsubscribe(MERGER);
        merged?;
        room.notify_others(MERGER);
        Ok(())
    }

    /// Brings a loaded document up to what the store holds: the chunks another instance appended (it said so
    /// through the database, see `crate::cluster`). They were checked by the instance that accepted them;
    /// Automerge merges are idempotent, so a chunk holding changes this copy has already costs nothing more.
    /// Every subscriber is told when the document changed. Returns whether it did.
    pub async fn catch_up(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.catch_up_to(id, None, None).await
    }

    /// [`Rooms::catch_up`] for a notice naming the chunk `seq`: nothing to do (not even a query) when this
    /// copy already holds it, as the instance that wrote it does; taken in from `data`, the chunk's bytes
    /// that the notice carried, when every change in it then stands in this copy (else, a dependency
    /// missed, everything this copy lacks is read from the store).
    pub async fn catch_up_to(
        &self,
        id: DocumentId,
        seq: Option<Seq>,
        data: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        /// The connection id for changes from other instances: never a real connection's.
        const OTHER_INSTANCE: u64 = u64::MAX - 1;
        let Some(room) = self.rooms.lock().expect("rooms lock").get(&id).cloned() else {
            return Ok(false);
        };
        let changed = {
            let mut g = room.doc.lock().await;
            if seq.is_some_and(|seq| g.stored.contains(&seq)) {
                return Ok(false);
            }
            let before = g.doc.get_heads();
            if let (Some(seq), Some(data)) = (seq, data)
                && let Some(changes) = stored_changes(&data)
            {
                let (whole, new) = take_in(&mut g.doc, changes);
                if whole {
                    g.stored.push(seq);
                    g.chunks = g.stored.len();
                    g.stored_bytes += data.len();
                    let RoomDoc { doc, pending, .. } = &mut *g;
                    pending.prune(doc);
                    let changed = g.doc.get_heads() != before;
                    if changed {
                        g.generated.clear();
                        g.recent.add(new);
                    }
                    drop(g);
                    if changed {
                        room.notify_others(OTHER_INSTANCE);
                    }
                    return Ok(changed);
                }
            }
            let beside = self.store().beside(id, &g.stored).await?;
            let mut held: Vec<Seq> = Vec::new();
            let present: HashMap<Seq, usize> = beside.present.iter().copied().collect();
            // What this copy knew and the store still holds (another instance's compaction replaces
            // chunks: their places go, their changes are in its snapshot).
            held.extend(g.stored.iter().copied().filter(|s| present.contains_key(s)));
            // The changes taken in one by one, for the recent changes that make most sync messages cheap;
            // `None` once a snapshot was loaded whole.
            let mut arrived: Option<Vec<Change>> = Some(Vec::new());
            for (seq, data) in beside.unknown {
                let whole = match stored_changes(&data) {
                    Some(changes) => {
                        let (whole, new) = take_in(&mut g.doc, changes);
                        if let Some(arrived) = arrived.as_mut() {
                            arrived.extend(new);
                        }
                        whole
                    }
                    None => {
                        arrived = None;
                        g.doc.load_incremental(&data).is_ok()
                    }
                };
                if !whole {
                    // Unreadable here, or waiting for a change this copy lacks: not held, so no compaction
                    // here drops it, and the next catch-up (or full load) takes it in again.
                    tracing::warn!(document = %id, seq, "a stored chunk did not load whole");
                    continue;
                }
                held.push(seq);
            }
            mamori_shared::sync::forget_patches(&mut g.doc);
            // Sizes as the store holds them now, for the document's size limit.
            g.stored_bytes = held.iter().filter_map(|s| present.get(s)).sum();
            g.stored = held;
            g.chunks = g.stored.len();
            let RoomDoc { doc, pending, .. } = &mut *g;
            pending.prune(doc);
            let changed = g.doc.get_heads() != before;
            if changed {
                g.generated.clear();
                match arrived {
                    Some(changes) => g.recent.add(changes),
                    None => g.recent.clear(),
                }
            }
            changed
        };
        if changed {
            room.notify_others(OTHER_INSTANCE);
        }
        Ok(changed)
    }

    /// The documents loaded now.
    pub fn loaded_ids(&self) -> Vec<DocumentId> {
        self.rooms
            .lock()
            .expect("rooms lock")
            .keys()
            .copied()
            .collect()
    }

    /// Drops a room from memory (after a failed write), so the next open reloads what the store has.
    pub fn evict(&self, id: DocumentId) {
        self.rooms.lock().expect("rooms lock").remove(&id);
    }

    /// Drops every room that has had no subscriber for `idle`; returns how many. Their contents are all in
    /// the store already (writes are durable before they are acknowledged).
    pub fn unload_idle(&self, idle: Duration) -> usize {
        let now = Instant::now();
        let mut rooms = self.rooms.lock().expect("rooms lock");
        let before = rooms.len();
        rooms.retain(|_, room| room.idle_for(now).is_none_or(|t| t < idle));
        before - rooms.len()
    }

    /// Unloads idle rooms every half `idle`, for as long as the server runs.
    pub async fn unload_idle_forever(self: Arc<Rooms>, idle: Duration) {
        let mut tick = tokio::time::interval((idle / 2).max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let n = self.unload_idle(idle);
            if n > 0 {
                tracing::debug!(
                    unloaded = n,
                    loaded = self.loaded(),
                    "idle documents unloaded"
                );
            }
        }
    }
}

/// Applies those of `changes` that `doc` lacks; returns whether every one of `changes` then stands in it
/// (none waits for a dependency this copy lacks: only then may their chunk count as held, or a compaction
/// here would drop them), and the ones it took in (for the recent changes).
fn take_in(doc: &mut AutoCommit, changes: Vec<Change>) -> (bool, Vec<Change>) {
    let new: Vec<Change> = changes
        .into_iter()
        .filter(|c| doc.get_change_by_hash(&c.hash()).is_none())
        .collect();
    let wanted = new.len();
    let applied = doc.apply_changes(new.iter().cloned()).is_ok();
    mamori_shared::sync::forget_patches(doc);
    let taken: Vec<Change> = new
        .into_iter()
        .filter(|c| doc.get_change_by_hash(&c.hash()).is_some())
        .collect();
    (applied && taken.len() == wanted, taken)
}

/// The changes of a stored `changes` chunk (the raw changes of one message, one after another), or `None`
/// for a snapshot or anything else, which is loaded whole instead.
fn stored_changes(data: &[u8]) -> Option<Vec<Change>> {
    use mamori_shared::sync::chunks::{Checked, ChunkLimits, check};
    // Stored by an instance that checked it under its own limits: these only bound the parse.
    let limits = ChunkLimits {
        max_ops: u64::MAX,
        ops_floor: u64::MAX,
        ..ChunkLimits::default()
    };
    check(data, &mut limits.budget(data.len()))
        .ok()?
        .into_iter()
        .map(|c| match c {
            Checked::Change(change) => Some(*change),
            Checked::Document(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::SqlStore;
    use automerge::transaction::Transactable;

    /// A key that signed nothing: every seal is refused.
    struct NoSeals;
    impl mamori_shared::seal::Verifier for NoSeals {
        fn verifies(&self, _: &str, _: &str, _: &[u8]) -> bool {
            false
        }
    }

    /// The attack through the back door: handed-back changes that a 管理者 accepts get the same checks as
    /// a peer's, so a departed person cannot write under a migration actor (no one's) that way either.
    #[tokio::test]
    async fn a_merge_refuses_a_forged_migration_step_and_keeps_nothing() {
        use mamori_shared::model::{Facility, FacilityId, FacilityKind};
        let dir = tempfile::tempdir().unwrap();
        let rooms = Rooms::new(Arc::new(SqlStore::open(dir.path()).await.unwrap()));
        let id = DocumentId::generate();
        let mut index = mamori_shared::schema::index::create(&Facility {
            id: FacilityId::generate(),
            kind: FacilityKind::Pharmacy,
            name: "みなと薬局".into(),
            address: String::new(),
            has_vendor_contract: true,
        })
        .unwrap();
        rooms
            .merge(id, index.get_changes(&[]), &NoSeals)
            .await
            .unwrap();
        let stored = rooms.store().load(id).await.unwrap().unwrap();

        let mut step = [0u8; 16];
        step[..8].copy_from_slice(b"mamori-m");
        step[8..].copy_from_slice(&2u64.to_be_bytes());
        let mut forged = index.fork().with_actor(automerge::ActorId::from(&step[..]));
        forged
            .put(automerge::ROOT, "note", "written as the migration")
            .unwrap();
        forged.commit();
        let change = forged.get_last_local_change().unwrap().clone();
        let refused = rooms.merge(id, vec![change.clone()], &NoSeals).await;
        assert!(
            matches!(&refused, Err(MergeError::Refused(r)) if r.contains("migration")),
            "{refused:?}"
        );
        assert_eq!(rooms.store().load(id).await.unwrap().unwrap(), stored);
        // Nor does the room keep it in memory: the next open reads the store.
        let (inbox, _notes) = mpsc::channel(4);
        let room = rooms.open(id, false, 7, inbox).await.unwrap().unwrap();
        assert!(
            room.doc
                .lock()
                .await
                .doc
                .get_change_by_hash(&change.hash())
                .is_none()
        );
    }

    #[tokio::test]
    async fn an_idle_room_unloads_and_reloads_with_everything_stored() {
        let dir = tempfile::tempdir().unwrap();
        let rooms = Rooms::new(Arc::new(SqlStore::open(dir.path()).await.unwrap()));
        let id = DocumentId::generate();
        let (inbox, _notes) = mpsc::channel(4);
        let room = rooms
            .open(id, true, 1, inbox.clone())
            .await
            .unwrap()
            .unwrap();
        {
            let mut g = room.doc.lock().await;
            let before = g.doc.get_heads();
            g.doc.put(automerge::ROOT, "k", "v").unwrap();
            g.persist_since(id, &before, rooms.store()).await.unwrap();
        }
        assert_eq!(
            rooms.unload_idle(Duration::ZERO),
            0,
            "a subscribed room stays"
        );
        room.unsubscribe(1);
        assert_eq!(
            rooms.unload_idle(Duration::from_secs(60)),
            0,
            "not idle long enough"
        );
        assert_eq!(rooms.unload_idle(Duration::ZERO), 1);
        assert_eq!(rooms.loaded(), 0);
        let again = rooms.open(id, false, 2, inbox).await.unwrap().unwrap();
        let mut g = again.doc.lock().await;
        assert_eq!(g.doc.get_heads(), room.doc.lock().await.doc.get_heads());
        assert_eq!(g.chunks, 1);
    }

    /// The same back door, with the forged change waiting in the room for a dependency (as a peer's sync
    /// step leaves it): the merge that brings the dependency releases it, and it is checked like the rest.
    #[tokio::test]
    async fn a_merge_checks_what_it_releases_from_the_waiting_queue() {
        use mamori_shared::schema::checklist;
        let dir = tempfile::tempdir().unwrap();
        let rooms = Rooms::new(Arc::new(SqlStore::open(dir.path()).await.unwrap()));
        let id = DocumentId::generate();
        let facility = mamori_shared::model::FacilityId::generate();
        let mut base = checklist::create(&checklist::ChecklistMeta {
            facility_id: facility,
            form: mamori_shared::edition::FormKind::Medical,
            edition: "r7".into(),
            fiscal_year: mamori_shared::calendar::FiscalYear(2026),
            vendor_id: None,
            vendor_name: String::new(),
            created_at_ms: 1,
            copied_from: None,
            moved_from_edition: None,
        })
        .unwrap();
        rooms
            .merge(id, base.get_changes(&[]), &NoSeals)
            .await
            .unwrap();
        let stored = rooms.store().load(id).await.unwrap().unwrap();

        // C1 an honest note, C2 on top of it a seal no key signed.
        let mut device = base.fork();
        device.put(automerge::ROOT, "note", "honest").unwrap();
        device.commit();
        let c1 = device.get_last_local_change().unwrap().clone();
        let forged = mamori_shared::seal::Seal {
            text: format!("mamori-seal 1\nfacility {facility}\nchecklist {id}\nsealed 5\n"),
            key_id: "0000000000000000".into(),
            signature: vec![0; 64],
        };
        checklist::put_seal(&mut device, &forged).unwrap();
        device.commit();
        let c2 = device.get_last_local_change().unwrap().clone();
        let (inbox, _notes) = mpsc::channel(1);
        let room = rooms.open(id, false, 1, inbox).await.unwrap().unwrap();
        {
            let mut g = room.doc.lock().await;
            let heads = g.doc.get_heads();
            g.doc.apply_changes([c2]).unwrap();
            assert_eq!(g.doc.get_heads(), heads, "C2 waits for C1");
        }
        let refused = rooms.merge(id, vec![c1], &NoSeals).await;
        assert!(
            matches!(&refused, Err(MergeError::Refused(r)) if r.contains("seal")),
            "{refused:?}"
        );
        assert_eq!(rooms.store().load(id).await.unwrap().unwrap(), stored);
        assert_eq!(
            room.doc.lock().await.doc.get_heads(),
            base.get_heads(),
            "the room holds what the store holds"
        );
    }
}
