//! The client core against a minimal in-test server made of [`PeerSync`]: frames are passed by hand until
//! nothing is left to say.

use std::collections::BTreeMap;

use automerge::{ROOT, ReadDoc, transaction::Transactable};

use super::*;

type Docs = BTreeMap<DocumentId, AutoCommit>;

/// A toy server: answers join, syncs every document with one client.
struct Server {
    me: PeerId,
    docs: Docs,
    peer: PeerSync,
}

impl Server {
    fn handle(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        match Message::decode(frame, &Limits::default()).unwrap() {
            Message::Join { sender_id, .. } => vec![
                Message::Peer {
                    sender_id: self.me.clone(),
                    selected_protocol_version: "1".into(),
                    target_id: sender_id,
                    metadata: None,
                }
                .encode(),
            ],
            Message::Sync {
                document_id,
                sender_id,
                data,
                ..
            }
            | Message::Request {
                document_id,
                sender_id,
                data,
                ..
            } => {
                let doc = self.docs.create_empty(document_id);
                self.peer.receive(document_id, doc, &data).unwrap();
                let Some(data) = self.peer.generate(document_id, doc) else {
                    return vec![];
                };
                vec![
                    Message::Sync {
                        document_id,
                        sender_id: self.me.clone(),
                        target_id: sender_id,
                        data,
                    }
                    .encode(),
                ]
            }
            _ => vec![],
        }
    }
}

/// Passes frames both ways until both sides are quiet; returns the client's non-send effects.
fn run_until_quiet(
    client: &mut Client,
    docs: &mut impl Documents,
    server: &mut Server,
    first: Vec<Effect>,
) -> Vec<Effect> {
    let mut pending = first;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let mut to_server = Vec::new();
        for e in pending.drain(..) {
            match e {
                Effect::Send(f) => to_server.push(f),
                other => seen.push(other),
            }
        }
        if to_server.is_empty() {
            return seen;
        }
        for f in to_server {
            for reply in server.handle(&f) {
                pending.extend(client.handle(Event::Frame(&reply), docs));
            }
        }
    }
    panic!("sync did not settle");
}

fn doc_with(key: &str, value: &str) -> AutoCommit {
    let mut d = AutoCommit::new();
    d.put(ROOT, key, value).unwrap();
    d
}

#[test]
fn join_then_sync_every_document_both_ways() {
    let id = DocumentId::generate();
    let mut docs = Docs::default();
    docs.insert(id, doc_with("from", "client"));
    let mut server = Server {
        me: PeerId::new("server"),
        docs: Docs::default(),
        peer: PeerSync::default(),
    };
    let mut client = Client::new(PeerId::new("tab-1"), None, Limits::default());

    // Step 1: open, join, connect: the client offers what it has.
    let first = client.handle(Event::Opened, &mut docs);
    let seen = run_until_quiet(&mut client, &mut docs, &mut server, first);
    assert!(seen.contains(&Effect::Connected(PeerId::new("server"))));
    assert_eq!(
        server.docs[&id]
            .get(ROOT, "from")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .ok()
            .as_deref(),
        Some("client")
    );

    // Step 2: a change on the server reaches the client.
    let sdoc = server.docs.get_mut(&id).unwrap();
    sdoc.put(ROOT, "reply", "server").unwrap();
    let data = server.peer.generate(id, sdoc).unwrap();
    let frame = Message::Sync {
        document_id: id,
        sender_id: PeerId::new("server"),
        target_id: PeerId::new("tab-1"),
        data,
    }
    .encode();
    let effects = client.handle(Event::Frame(&frame), &mut docs);
    let seen = run_until_quiet(&mut client, &mut docs, &mut server, effects);
    assert!(seen.contains(&Effect::DocChanged(id)));
    assert_eq!(
        docs[&id]
            .get(ROOT, "reply")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .ok()
            .as_deref(),
        Some("server")
    );
    assert_eq!(
        docs.get_mut(&id).unwrap().get_heads(),
        server.docs.get_mut(&id).unwrap().get_heads()
    );
}

/// The app's view of its documents: some still being saved to the device, which the core must not offer.
#[derive(Default)]
struct Saving {
    docs: Docs,
    saving: std::collections::BTreeSet<DocumentId>,
}

impl Documents for Saving {
    fn ids(&self) -> Vec<DocumentId> {
        self.docs.ids()
    }
    fn get_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        self.docs.get_mut(&id)
    }
    fn create_empty(&mut self, id: DocumentId) -> &mut AutoCommit {
        self.docs.create_empty(id)
    }
    fn may_offer(&mut self, id: DocumentId) -> bool {
        !self.saving.contains(&id)
    }
}

#[test]
fn a_document_is_offered_only_once_its_save_has_landed() {
    let (index, checklist) = (DocumentId::generate(), DocumentId::generate());
    let mut docs = Saving::default();
    docs.docs.insert(index, doc_with("facility", "さくら"));
    docs.docs.insert(checklist, doc_with("form", "institution"));
    docs.saving.insert(checklist);
    let mut server = Server {
        me: PeerId::new("server"),
        docs: Docs::default(),
        peer: PeerSync::default(),
    };
    let mut client = Client::new(PeerId::new("tab-4"), None, Limits::default());

    // Step 1: at connect, the saved index is offered and the checklist, still being saved, is not.
    let first = client.handle(Event::Opened, &mut docs);
    run_until_quiet(&mut client, &mut docs, &mut server, first);
    assert!(server.docs.contains_key(&index));
    assert!(!server.docs.contains_key(&checklist));

    // Step 2: the index lists the checklist, and is being saved; the server's answer about the index (a
    // change from elsewhere) does not carry the listing out before it is saved.
    docs.docs
        .get_mut(&index)
        .unwrap()
        .put(ROOT, "lists", "checklist")
        .unwrap();
    docs.saving.insert(index);
    let sdoc = server.docs.get_mut(&index).unwrap();
    sdoc.put(ROOT, "address", "東京").unwrap();
    let data = server.peer.generate(index, sdoc).unwrap();
    let frame = Message::Sync {
        document_id: index,
        sender_id: PeerId::new("server"),
        target_id: PeerId::new("tab-4"),
        data,
    }
    .encode();
    let effects = client.handle(Event::Frame(&frame), &mut docs);
    assert!(effects.contains(&Effect::DocChanged(index)));
    run_until_quiet(&mut client, &mut docs, &mut server, effects);
    assert!(server.docs[&index].get(ROOT, "lists").unwrap().is_none());

    // Step 3: the saves land (the checklist's first): each is offered when told, and both arrive.
    for id in [checklist, index] {
        docs.saving.remove(&id);
        let effects = client.handle(Event::LocalChange(id), &mut docs);
        run_until_quiet(&mut client, &mut docs, &mut server, effects);
    }
    assert!(server.docs[&index].get(ROOT, "lists").unwrap().is_some());
    assert_eq!(
        docs.docs.get_mut(&checklist).unwrap().get_heads(),
        server.docs.get_mut(&checklist).unwrap().get_heads()
    );
    assert_eq!(
        docs.docs.get_mut(&index).unwrap().get_heads(),
        server.docs.get_mut(&index).unwrap().get_heads()
    );
}

#[test]
fn a_wanted_document_arrives_from_the_server() {
    let id = DocumentId::generate();
    let mut server = Server {
        me: PeerId::new("server"),
        docs: Docs::default(),
        peer: PeerSync::default(),
    };
    server.docs.insert(id, doc_with("facility", "さくら"));
    let mut docs = Docs::default();
    let mut client = Client::new(PeerId::new("tab-2"), None, Limits::default());
    let first = client.handle(Event::Opened, &mut docs);
    run_until_quiet(&mut client, &mut docs, &mut server, first);
    let effects = client.handle(Event::Want(id), &mut docs);
    let seen = run_until_quiet(&mut client, &mut docs, &mut server, effects);
    assert!(seen.contains(&Effect::DocChanged(id)));
    assert_eq!(
        docs[&id]
            .get(ROOT, "facility")
            .unwrap()
            .unwrap()
            .0
            .into_string()
            .ok()
            .as_deref(),
        Some("さくら")
    );
}

#[test]
fn garbage_from_the_server_is_reported_not_applied() {
    let mut docs = Docs::default();
    let mut client = Client::new(PeerId::new("tab-3"), None, Limits::default());
    client.handle(Event::Opened, &mut docs);
    let effects = client.handle(Event::Frame(&[0xde, 0xad]), &mut docs);
    assert!(matches!(effects.as_slice(), [Effect::Malformed(_)]));
    // A sync frame whose data is not an Automerge sync message.
    let id = DocumentId::generate();
    let peer = Message::Peer {
        sender_id: PeerId::new("s"),
        selected_protocol_version: "1".into(),
        target_id: PeerId::new("tab-3"),
        metadata: None,
    };
    client.handle(Event::Frame(&peer.encode()), &mut docs);
    let bad = Message::Sync {
        document_id: id,
        sender_id: PeerId::new("s"),
        target_id: PeerId::new("tab-3"),
        data: vec![1, 2, 3],
    };
    let effects = client.handle(Event::Frame(&bad.encode()), &mut docs);
    assert!(effects.iter().any(|e| matches!(e, Effect::Malformed(_))));
}

/// What a device would send the server about `doc` after the server's first message: its changes, as single
/// change chunks or (when they are most of the document) as one whole-document chunk.
pub(crate) fn first_offer(device_doc: &mut AutoCommit, server_doc: &mut AutoCommit) -> Vec<u8> {
    let id = DocumentId::generate();
    let (mut server, mut device) = (PeerSync::default(), PeerSync::default());
    let hello = server.generate(id, server_doc).expect("the server opens");
    device.receive(id, device_doc, &hello).unwrap();
    device
        .generate(id, device_doc)
        .expect("the device offers its changes")
}

/// A generator for the randomised test below (no dependency for one test).
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// How often each shortcut answered in a randomised run.
#[derive(Debug, Default)]
struct Counts {
    /// Nothing to say, from the state alone.
    silent: u32,
    /// Bare acknowledgements taken without Automerge.
    acknowledged: u32,
    /// Messages with changes applied without Automerge's receive.
    applied: u32,
    /// Messages made from the recent changes.
    from_recent: u32,
    /// Messages reused from the last one generated.
    reused: u32,
}

/// Checks what the recent-changes shortcut would say (where it answers) against Automerge's message and
/// state, as [`generate_message`] asks it: only once "nothing to say" has not answered.
fn check_recent(
    state: &sync::State,
    doc: &mut AutoCommit,
    recent: &Recent,
    full: &Option<sync::Message>,
    full_state: &sync::State,
    counts: &mut Counts,
) {
    let mut fast_state = state.clone();
    if let Some(answer) = recent::generate(&mut fast_state, doc, recent) {
        assert_eq!(
            answer.map(sync::Message::encode),
            full.clone().map(sync::Message::encode),
            "the message made from recent changes differs from Automerge's"
        );
        assert_eq!(
            fast_state, *full_state,
            "the state left by the recent-changes shortcut differs from Automerge's"
        );
        counts.from_recent += 1;
    }
}

/// Generates as [`PeerSync::generate_with`] does, checking every shortcut against Automerge's own answer.
fn checked_generate(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    recent: &Recent,
    counts: &mut Counts,
) -> Option<sync::Message> {
    let mut full_state = state.clone();
    let full = doc.sync().generate_sync_message(&mut full_state);
    if nothing_to_say(state, doc) {
        assert!(
            full.is_none(),
            "the shortcut said nothing where Automerge says {full:?}"
        );
        assert_eq!(
            *state, full_state,
            "Automerge changed the state while saying nothing"
        );
        counts.silent += 1;
        return None;
    }
    check_recent(state, doc, recent, &full, &full_state, counts);
    *state = full_state;
    full
}

/// Generates as [`PeerSync::generate_reusing`] does, checking the message and the state it leaves against
/// Automerge's own generation.
fn checked_generate_reusing(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    generated: &mut Generated,
    recent: &Recent,
    counts: &mut Counts,
) -> Option<sync::Message> {
    let mut full_state = state.clone();
    let full_message = doc.sync().generate_sync_message(&mut full_state);
    let full = full_message.clone().map(sync::Message::encode);
    let heads = doc.get_heads();
    if generated
        .from
        .as_ref()
        .is_some_and(|(from, h)| from == state && *h == heads)
    {
        counts.reused += 1;
    } else if !nothing_to_say(state, doc) {
        check_recent(state, doc, recent, &full_message, &full_state, counts);
    }
    let data = generate_reusing(state, doc, generated, recent);
    assert_eq!(data, full, "the reused message differs from Automerge's");
    assert_eq!(
        *state, full_state,
        "the state left differs from Automerge's"
    );
    data.map(|d| sync::Message::decode(&d).unwrap())
}

/// Receives as the server does (the message read once by [`ingest::parse`], its changes applied as parsed
/// through [`receive_with`]), checking every shortcut against what Automerge leaves, and keeps `recent` as
/// the server does.
fn checked_receive(
    state: &mut sync::State,
    doc: &mut AutoCommit,
    recent: &mut Recent,
    m: sync::Message,
    counts: &mut Counts,
) {
    let mut full_state = state.clone();
    let mut full_doc = doc.clone();
    full_doc
        .sync()
        .receive_sync_message(&mut full_state, m.clone())
        .unwrap();
    let encoded = m.encode();
    let inbound = ingest::parse(&encoded, &chunks::ChunkLimits::default()).unwrap();
    let new: Vec<automerge::Change> = inbound
        .changes()
        .iter()
        .filter(|c| doc.get_change_meta_by_hash(&c.hash()).is_none())
        .cloned()
        .collect();
    let mut bare = sync::Message::decode(&encoded).unwrap();
    bare.changes = sync::ChunkList::from(Vec::<Vec<u8>>::new());
    let incoming = if new.is_empty() {
        Incoming::Nothing
    } else {
        Incoming::Changes(new.clone())
    };
    let before = doc.get_heads();
    match receive_with(state, doc, bare, incoming).unwrap() {
        Taken::Automerge => {}
        Taken::Acknowledgement => counts.acknowledged += 1,
        Taken::Changes => counts.applied += 1,
    }
    assert_eq!(
        *state, full_state,
        "the sync state differs from Automerge's"
    );
    let after = doc.get_heads();
    assert_eq!(after, full_doc.get_heads());
    if after != before {
        let applied: Vec<automerge::Change> = new
            .into_iter()
            .filter(|c| doc.get_change_meta_by_hash(&c.hash()).is_some())
            .collect();
        let mut heads: BTreeSet<ChangeHash> = before.iter().copied().collect();
        heads.extend(applied.iter().map(|c| c.hash()));
        for c in &applied {
            for d in c.deps() {
                heads.remove(d);
            }
        }
        if heads.iter().eq(after.iter()) {
            recent.add(applied);
        } else {
            recent.clear();
        }
    }
}

/// The hub's side of every spoke: its sync states, its last generated message, its recent changes.
type HubSide<'a> = (&'a mut [sync::State], &'a mut Generated, &'a Recent);

/// The hub tells every spoke what it has, as the server does once a document has taken in changes.
fn tell_every_spoke(
    hub: &mut AutoCommit,
    (states, generated, recent): HubSide<'_>,
    to_spoke: &mut [std::collections::VecDeque<sync::Message>],
    counts: &mut Counts,
) {
    for (state, queue) in states.iter_mut().zip(to_spoke) {
        queue.extend(checked_generate_reusing(
            state, hub, generated, recent, counts,
        ));
    }
}

/// A local edit, recorded in the editing side's recent changes.
fn edit(doc: &mut AutoCommit, recent: &mut Recent, key: String, value: i64) {
    doc.put(ROOT, key, value).unwrap();
    doc.commit();
    recent.add(doc.get_last_local_change());
}

#[test]
fn the_sync_shortcuts_agree_with_automerge_under_random_interleavings() {
    // A hub and three spokes, editing at random; messages wait in per-direction queues (a WebSocket keeps
    // order) and are delivered in a random interleaving.
    const SPOKES: usize = 3;
    for seed in 1..=6u64 {
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Seeds 4 to 6 edit in turns, as people mostly do: every message is delivered before the next edit,
        // so most messages concern the last change alone.
        let busy = seed <= 3;
        let mut hub = AutoCommit::new();
        let mut hub_recent = Recent::default();
        let mut spokes: Vec<AutoCommit> = (0..SPOKES).map(|_| AutoCommit::new()).collect();
        let mut spoke_recent: Vec<Recent> = vec![Recent::default(); SPOKES];
        let mut hub_states: Vec<sync::State> = vec![sync::State::new(); SPOKES];
        let mut spoke_states: Vec<sync::State> = vec![sync::State::new(); SPOKES];
        // to_spoke[i], to_hub[i]: messages in flight.
        let mut to_spoke: Vec<std::collections::VecDeque<sync::Message>> =
            vec![Default::default(); SPOKES];
        let mut to_hub: Vec<std::collections::VecDeque<sync::Message>> =
            vec![Default::default(); SPOKES];
        let mut counts = Counts::default();
        let mut generated = Generated::default();
        let mut step = |rng: &mut XorShift, quiet: bool, counts: &mut Counts| -> bool {
            let i = rng.below(SPOKES as u64) as usize;
            let choices = match (quiet, busy) {
                (true, _) => 2,
                (false, true) => 4,
                (false, false) => 12,
            };
            let choice = rng.below(choices);
            // A delivery: to the hub first (choice 0 and, in turns, most choices), else to the spoke.
            if matches!(choice, 0 | 4..=11)
                && let Some(m) = to_hub[i].pop_front()
            {
                // As the server does: the last generated message is forgotten when changes come in; the
                // hub answers the sender and tells every spoke.
                if !m.changes.is_empty() {
                    generated.clear();
                }
                checked_receive(&mut hub_states[i], &mut hub, &mut hub_recent, m, counts);
                let hub_side = (&mut hub_states[..], &mut generated, &hub_recent);
                tell_every_spoke(&mut hub, hub_side, &mut to_spoke, counts);
                return true;
            }
            match choice {
                0 | 1 | 4..=11 => {
                    if let Some(m) = to_spoke[i].pop_front() {
                        let (doc, recent) = (&mut spokes[i], &mut spoke_recent[i]);
                        checked_receive(&mut spoke_states[i], doc, recent, m, counts);
                        if let Some(m) = checked_generate(&mut spoke_states[i], doc, recent, counts)
                        {
                            to_hub[i].push_back(m);
                        }
                        return true;
                    }
                }
                2 => {
                    let (doc, recent) = (&mut spokes[i], &mut spoke_recent[i]);
                    edit(
                        doc,
                        recent,
                        format!("k{}", rng.below(4)),
                        rng.below(1000) as i64,
                    );
                    if let Some(m) = checked_generate(&mut spoke_states[i], doc, recent, counts) {
                        to_hub[i].push_back(m);
                    }
                    return true;
                }
                _ => {
                    edit(
                        &mut hub,
                        &mut hub_recent,
                        "hub".into(),
                        rng.below(1000) as i64,
                    );
                    generated.clear();
                    let hub_side = (&mut hub_states[..], &mut generated, &hub_recent);
                    tell_every_spoke(&mut hub, hub_side, &mut to_spoke, counts);
                    return true;
                }
            }
            false
        };
        for _ in 0..250 {
            step(&mut rng, false, &mut counts);
            let mut idle = 0;
            while !busy && idle < 40 {
                if step(&mut rng, true, &mut counts) {
                    idle = 0;
                } else {
                    idle += 1;
                }
            }
        }
        // Then only deliveries, until every queue is empty: everyone must end with the same document.
        let mut idle = 0;
        while idle < 200 {
            if step(&mut rng, true, &mut counts) {
                idle = 0;
            } else {
                idle += 1;
            }
        }
        assert!(
            to_hub.iter().chain(&to_spoke).all(|q| q.is_empty()),
            "seed {seed}: sync did not settle"
        );
        for s in &mut spokes {
            assert_eq!(
                s.get_heads(),
                hub.get_heads(),
                "seed {seed}: a spoke did not converge"
            );
        }
        let Counts {
            silent,
            acknowledged,
            applied,
            from_recent,
            reused,
        } = counts;
        assert!(
            !busy || silent > 50,
            "seed {seed}: nothing to say only {silent} times"
        );
        assert!(
            acknowledged > 50,
            "seed {seed}: only {acknowledged} bare acknowledgements"
        );
        assert!(
            applied > 10,
            "seed {seed}: changes were applied directly only {applied} times"
        );
        assert!(
            busy || from_recent > 20,
            "seed {seed}: only {from_recent} messages were made from recent changes"
        );
        assert!(
            reused > 5,
            "seed {seed}: a generated message was reused only {reused} times"
        );
    }
}

#[test]
fn a_generated_message_is_not_reused_once_the_document_has_moved_on() {
    let mut doc = doc_with("k", "1");
    let mut generated = Generated::default();
    let (mut first, mut second) = (sync::State::new(), sync::State::new());
    let (recent, mut counts) = (Recent::default(), Counts::default());
    checked_generate_reusing(&mut first, &mut doc, &mut generated, &recent, &mut counts);
    // A change the caller forgot to report: the heads differ, so the second peer gets its own message.
    doc.put(ROOT, "k", "2").unwrap();
    doc.commit();
    checked_generate_reusing(&mut second, &mut doc, &mut generated, &recent, &mut counts);
    assert_eq!(counts.reused, 0);
    // In the same state on the same document, the third peer is given the second one's message.
    let mut third = sync::State::new();
    checked_generate_reusing(&mut third, &mut doc, &mut generated, &recent, &mut counts);
    assert_eq!(counts.reused, 1);
}

/// `changes` commits of `ops` operations each, under a fresh key prefix.
fn commit_many(doc: &mut AutoCommit, prefix: &str, changes: usize, ops: usize) {
    for c in 0..changes {
        for o in 0..ops {
            doc.put(ROOT, format!("{prefix}-{c}-{o}"), o as i64)
                .unwrap();
        }
        doc.commit();
    }
}

/// Syncs `sender` (batching) into `receiver` until both are quiet; every message the sender sends must be
/// one the server's reader accepts under `cap` operations. Returns how many messages carried changes.
fn sync_batched(sender: &mut AutoCommit, receiver: &mut AutoCommit, cap: u64) -> usize {
    let id = DocumentId::generate();
    let batch = Batch {
        max_ops: cap,
        ..Batch::default()
    };
    let limits = chunks::ChunkLimits {
        max_ops: cap,
        ops_per_kib: 1 << 20,
        ..chunks::ChunkLimits::default()
    };
    let (mut out, mut back) = (PeerSync::batching(batch), PeerSync::default());
    let mut carrying = 0;
    for _ in 0..200 {
        let to_receiver = out.generate(id, sender);
        if let Some(data) = &to_receiver {
            let inbound = ingest::parse(data, &limits)
                .unwrap_or_else(|e| panic!("the server would refuse a batch: {e}"));
            carrying += usize::from(!inbound.changes().is_empty());
            back.receive(id, receiver, data).unwrap();
        }
        let to_sender = back.generate(id, receiver);
        if let Some(data) = &to_sender {
            out.receive(id, sender, data).unwrap();
        }
        if to_receiver.is_none() && to_sender.is_none() {
            assert_eq!(sender.get_heads(), receiver.get_heads(), "not in sync");
            return carrying;
        }
    }
    panic!("a batched sync did not settle");
}

#[test]
fn a_backlog_over_the_cap_goes_over_several_messages_each_accepted() {
    // A first upload: Automerge would send the whole document, 30 changes of 300 operations, at once.
    let mut device = AutoCommit::new();
    commit_many(&mut device, "a", 30, 300);
    let mut server = AutoCommit::new();
    let messages = sync_batched(&mut device, &mut server, 1_000);
    assert!(messages >= 9, "{messages} messages for 9,030 operations");

    // A backlog under a third of the document's changes: sent as changes, in batches.
    let mut device = AutoCommit::new();
    commit_many(&mut device, "b", 120, 1);
    let mut server = AutoCommit::new();
    sync_batched(&mut device, &mut server, 1_000);
    commit_many(&mut device, "c", 20, 150);
    let messages = sync_batched(&mut device, &mut server, 1_000);
    assert!(messages >= 3, "{messages} messages for 3,020 operations");

    // Over a third after all: the whole document again, cut into changes.
    commit_many(&mut device, "d", 200, 20);
    sync_batched(&mut device, &mut server, 1_000);
}

#[test]
fn a_small_message_is_left_as_automerge_makes_it() {
    let mut device = AutoCommit::new();
    commit_many(&mut device, "a", 3, 10);
    let id = DocumentId::generate();
    let (mut batched, mut plain) = (PeerSync::batching(Batch::default()), PeerSync::default());
    let mut copy = device.fork();
    assert_eq!(
        batched.generate(id, &mut device),
        plain.generate(id, &mut copy)
    );
}

#[test]
fn the_endpoint_names_the_place_only_as_a_query() {
    assert_eq!(endpoint(None), "/sync");
    let index = DocumentId::generate();
    let url = endpoint(Some(index));
    assert_eq!(url, format!("/sync?place={index}"));
    // A balancer reads it as an ordinary query argument: nothing in the id needs escaping.
    assert!(
        url.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/?=-_".contains(&b)),
        "{url}"
    );
}
