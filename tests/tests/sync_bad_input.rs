//! Bad input on the sync socket: each case gets a clear protocol error (or a closed socket for a frame over
//! the size limit), and nothing stored changes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::{Limits, Message};
use mamori_tests::TestServer;
use mamori_tests::sync_client::{Device, converge};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn open(server: &TestServer) -> Socket {
    let url = format!("{}/sync", server.url.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

fn join() -> Vec<u8> {
    Message::Join {
        sender_id: PeerId::new("attacker"),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    }
    .encode()
}

/// Reads until the server's `error` message (returned) or the socket closes (`None`).
async fn error_reply(socket: &mut Socket) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server answers")
        {
            Some(Ok(Ws::Binary(b))) => {
                if let Ok(Message::Error { message }) = Message::decode(&b, &Limits::default()) {
                    return Some(message);
                }
            }
            Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn closed_after_error(socket: &mut Socket) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(5), socket.next()).await,
        Ok(None | Some(Ok(Ws::Close(_))) | Some(Err(_)))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let server = TestServer::start().await;
    let id = DocumentId::generate();

    // Step 1: a real document with a known state.
    let mut a = Device::new("tablet");
    a.connect(&server.url).await;
    let mut doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "facility", "さくら")
        .unwrap();
    a.add(id, doc).await;
    while a.pump_once(Duration::from_millis(200)).await {}
    let heads = a.heads(id);

    // Step 2: a text frame.
    let mut s = open(&server).await;
    s.send(Ws::Text("hello".into())).await.unwrap();
    assert!(error_reply(&mut s).await.unwrap().contains("text frames"));
    assert!(closed_after_error(&mut s).await);

    // Step 3: garbage and a truncated frame.
    for frame in [vec![0xde, 0xad, 0xbe, 0xef], join()[..7].to_vec()] {
        let mut s = open(&server).await;
        s.send(Ws::Binary(frame.into())).await.unwrap();
        let e = error_reply(&mut s).await.unwrap();
        assert!(e.contains("CBOR") || e.contains("not valid"), "{e}");
    }

    // Step 4: a sync before join.
    let mut s = open(&server).await;
    let sync = Message::Sync {
        document_id: id,
        sender_id: PeerId::new("x"),
        target_id: PeerId::new("y"),
        data: vec![],
    };
    s.send(Ws::Binary(sync.encode().into())).await.unwrap();
    assert!(
        error_reply(&mut s)
            .await
            .unwrap()
            .contains("first message must be join")
    );

    // Step 5: a sync message whose data is not an Automerge sync message, about a real document.
    let mut s = open(&server).await;
    s.send(Ws::Binary(join().into())).await.unwrap();
    let _peer = s.next().await;
    let bad = Message::Sync {
        document_id: id,
        sender_id: PeerId::new("attacker"),
        target_id: PeerId::new("server"),
        data: vec![0x42, 1, 2, 3],
    };
    s.send(Ws::Binary(bad.encode().into())).await.unwrap();
    let e = error_reply(&mut s).await.unwrap();
    assert!(
        e.contains(&id.to_string()),
        "the error names the document: {e}"
    );

    // Step 6: an unknown message type.
    let mut s = open(&server).await;
    s.send(Ws::Binary(join().into())).await.unwrap();
    let _peer = s.next().await;
    s.send(Ws::Binary(
        Message::Advisory {
            kind: "drop-tables".into(),
        }
        .encode()
        .into(),
    ))
    .await
    .unwrap();
    assert!(
        error_reply(&mut s)
            .await
            .unwrap()
            .contains("unknown message type")
    );

    // Step 7: a frame over the size limit closes the socket.
    let mut s = open(&server).await;
    s.send(Ws::Binary(join().into())).await.unwrap();
    let _peer = s.next().await;
    let huge = Message::Sync {
        document_id: id,
        sender_id: PeerId::new("a"),
        target_id: PeerId::new("b"),
        data: vec![0; 9 * 1024 * 1024],
    };
    let _ = s.send(Ws::Binary(huge.encode().into())).await;
    assert!(
        error_reply(&mut s).await.is_none(),
        "an oversized frame is not processed"
    );

    // Step 8: a flood of messages is cut off.
    let mut s = open(&server).await;
    s.send(Ws::Binary(join().into())).await.unwrap();
    let _peer = s.next().await;
    let other = DocumentId::generate();
    let noise = Message::DocUnavailable {
        document_id: other,
        sender_id: PeerId::new("a"),
        target_id: PeerId::new("b"),
    }
    .encode();
    for _ in 0..3_000 {
        if s.send(Ws::Binary(noise.clone().into())).await.is_err() {
            break;
        }
    }
    assert!(
        error_reply(&mut s)
            .await
            .unwrap_or_default()
            .contains("messages a second")
    );

    // Step 9: the stored document is exactly as it was.
    let mut b = Device::new("check");
    b.connect(&server.url).await;
    b.want(id).await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(b.heads(id), heads);
}
