use super::*;

fn limits() -> Limits {
    Limits::default()
}

fn all_messages() -> Vec<Message> {
    let doc = DocumentId::generate();
    let (a, b) = (PeerId::new("tablet-1"), PeerId::new("server"));
    vec![
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            metadata: Some(PeerMetadata {
                storage_id: Some("s-1".into()),
                is_ephemeral: false,
            }),
        },
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            metadata: None,
        },
        Message::Peer {
            sender_id: b.clone(),
            selected_protocol_version: "1".into(),
            target_id: a.clone(),
            metadata: None,
        },
        Message::Leave {
            sender_id: a.clone(),
        },
        Message::Request {
            document_id: doc,
            sender_id: a.clone(),
            target_id: b.clone(),
            data: vec![1, 2, 3],
        },
        Message::Sync {
            document_id: doc,
            sender_id: a.clone(),
            target_id: b.clone(),
            data: vec![0x42; 300],
        },
        Message::DocUnavailable {
            document_id: doc,
            sender_id: b.clone(),
            target_id: a.clone(),
        },
        Message::Error {
            message: "bad".into(),
        },
    ]
}

#[test]
fn every_message_round_trips() {
    for m in all_messages() {
        assert_eq!(Message::decode(&m.encode(), &limits()).unwrap(), m);
    }
}

/// A `sync` frame as the JavaScript reference client writes it (cbor-x): a 5-entry map in its own key order.
#[test]
fn decodes_a_frame_in_another_key_order_with_unknown_fields() {
    let doc = DocumentId::generate();
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(6).unwrap();
    e.str("senderId").unwrap().str("js-peer").unwrap();
    e.str("targetId").unwrap().str("server").unwrap();
    e.str("futureField")
        .unwrap()
        .array(2)
        .unwrap()
        .u8(1)
        .unwrap()
        .str("x")
        .unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    e.str("documentId").unwrap().str(&doc.to_string()).unwrap();
    e.str("data").unwrap().bytes(&[9, 9]).unwrap();
    let m = Message::decode(&e.into_writer(), &limits()).unwrap();
    assert_eq!(m.document_id(), Some(doc));
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let good = all_messages()[5].encode();
    // Every truncation of a valid frame.
    for cut in 0..good.len() {
        assert!(
            Message::decode(&good[..cut], &limits()).is_err(),
            "truncated at {cut}"
        );
    }
    // Garbage, a non-map, an unknown type, a bad document id, trailing bytes.
    assert!(Message::decode(&[0xff, 0x00, 0x13], &limits()).is_err());
    assert!(Message::decode(&minicbor::to_vec(42u8).unwrap(), &limits()).is_err());
    let unknown = Message::Advisory {
        kind: "launch-missiles".into(),
    }
    .encode();
    assert_eq!(
        Message::decode(&unknown, &limits()),
        Err(ProtocolError::UnknownType("launch-missiles".into()))
    );
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    e.str("documentId").unwrap().str("not-a-doc").unwrap();
    e.str("senderId").unwrap().str("a").unwrap();
    e.str("targetId").unwrap().str("b").unwrap();
    e.str("data").unwrap().bytes(&[]).unwrap();
    assert_eq!(
        Message::decode(&e.into_writer(), &limits()),
        Err(ProtocolError::BadDocumentId("not-a-doc".into()))
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        Message::decode(&trailing, &limits()),
        Err(ProtocolError::Malformed(_))
    ));
    // A sync without data.
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(1).unwrap().str("type").unwrap().str("sync").unwrap();
    assert!(matches!(
        Message::decode(&e.into_writer(), &limits()),
        Err(ProtocolError::MissingField(_))
    ));
}

#[test]
fn oversized_frames_are_refused_before_parsing() {
    let big = Message::Sync {
        document_id: DocumentId::generate(),
        sender_id: PeerId::new("a"),
        target_id: PeerId::new("b"),
        data: vec![0; 2048],
    }
    .encode();
    let small = Limits {
        max_message_bytes: 1024,
    };
    assert!(matches!(
        Message::decode(&big, &small),
        Err(ProtocolError::TooLarge { .. })
    ));
}

#[test]
fn advisory_messages_are_accepted_and_ignored() {
    for kind in [
        "ephemeral",
        "remote-heads-changed",
        "remote-subscription-change",
    ] {
        let m = Message::Advisory { kind: kind.into() };
        assert_eq!(Message::decode(&m.encode(), &limits()).unwrap(), m);
    }
}

#[test]
fn a_peer_id_too_long_is_refused_and_an_error_text_is_cut() {
    let join = Message::Join {
        sender_id: PeerId::new("x".repeat(MAX_PEER_ID_BYTES + 1)),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    assert!(matches!(
        Message::decode(&join.encode(), &limits()),
        Err(ProtocolError::Malformed(m)) if m.contains("senderId")
    ));
    let error = Message::Error {
        message: "長".repeat(1_000_000),
    };
    match Message::decode(&error.encode(), &limits()) {
        Ok(Message::Error { message }) => {
            assert_eq!(message.chars().count(), MAX_ERROR_TEXT_CHARS + 1);
            assert!(message.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}
