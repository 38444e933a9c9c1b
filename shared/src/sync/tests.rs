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
    docs: &mut Docs,
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
fn first_offer(device_doc: &mut AutoCommit, server_doc: &mut AutoCommit) -> Vec<u8> {
    let id = DocumentId::generate();
    let (mut server, mut device) = (PeerSync::default(), PeerSync::default());
    let hello = server.generate(id, server_doc).expect("the server opens");
    device.receive(id, device_doc, &hello).unwrap();
    device
        .generate(id, device_doc)
        .expect("the device offers its changes")
}

#[test]
fn new_changes_are_told_apart_from_known_ones_without_applying_anything() {
    let mut device = AutoCommit::new();
    for i in 0..3 {
        device.put(ROOT, format!("k{i}"), i).unwrap();
        device.commit();
    }
    // A server that has none of it: new (this offer is a whole document in one chunk).
    let mut empty = AutoCommit::new();
    let offer = first_offer(&mut device, &mut empty);
    assert!(PeerSync::brings_new_changes(&mut empty, &offer).unwrap());
    assert!(empty.get_heads().is_empty(), "nothing was applied");
    // A server that already has all of it: nothing new.
    let mut same = device.fork();
    let offer = first_offer(&mut device, &mut same);
    assert!(!PeerSync::brings_new_changes(&mut same, &offer).unwrap_or(false));
    // A server one change behind: new (a single change chunk).
    let mut behind = device.fork();
    device.put(ROOT, "late", true).unwrap();
    device.commit();
    let id = DocumentId::generate();
    let (mut s, mut d) = (PeerSync::default(), PeerSync::default());
    // Sync fully first so the device's next message carries just the one change.
    for _ in 0..4 {
        if let Some(m) = d.generate(id, &mut device) {
            if PeerSync::brings_new_changes(&mut behind, &m).unwrap() {
                assert!(behind.get_change_by_hash(&device.get_heads()[0]).is_none());
                return;
            }
            s.receive(id, &mut behind, &m).unwrap();
        }
        if let Some(m) = s.generate(id, &mut behind) {
            d.receive(id, &mut device, &m).unwrap();
        }
    }
    panic!("the device's new change was never seen as new");
}
