//! A raw sync peer for attacks: it speaks the protocol's frames by hand (join, then any `sync` message the
//! test crafts) over its own WebSocket, signed in with a session cookie or an API token, and reports what
//! the server answered.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::{Limits, Message};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub use mamori_shared::sync::chunks::craft::sync_message;

use crate::load::Socket;

/// How the server answered a crafted message.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `mamori-refused`: the changes were not kept (the reason).
    Refused(String),
    /// An `error` message: the connection closes (the reason).
    Error(String),
    /// A sync message back (the changes were taken, or there was nothing to take).
    Sync(Vec<u8>),
    /// `doc-unavailable`.
    Unavailable,
    /// The socket closed without a word.
    Closed,
}

pub struct Attacker {
    socket: Socket,
    me: PeerId,
    server: PeerId,
}

impl Attacker {
    /// Connects to `server_url`'s `/sync` with an API token (`Authorization: Bearer`) or a session cookie.
    pub async fn connect(server_url: &str, token: Option<&str>, cookie: Option<&str>) -> Attacker {
        Attacker::try_connect(server_url, token, cookie)
            .await
            .expect("the sync endpoint accepts the attacker")
    }

    /// [`Attacker::connect`], or the refusal of the upgrade (its status first).
    pub async fn try_connect(
        server_url: &str,
        token: Option<&str>,
        cookie: Option<&str>,
    ) -> Result<Attacker, String> {
        let url = format!("{}/sync", server_url.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
        }
        let config = crate::load::client_config()
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(response) => {
                        response.status().to_string()
                    }
                    other => other.to_string(),
                })?;
        let me = PeerId::generate("attacker");
        let join = Message::Join {
            sender_id: me.clone(),
            supported_protocol_versions: vec!["1".into()],
            metadata: None,
        };
        socket.send(Ws::Binary(join.encode().into())).await.unwrap();
        let server = loop {
            let frame = socket.next().await.expect("an answer to join").unwrap();
            if let Ws::Binary(b) = frame
                && let Ok(Message::Peer { sender_id, .. }) = Message::decode(&b, &Limits::default())
            {
                break sender_id;
            }
        };
        Ok(Attacker { socket, me, server })
    }

    /// Sends `data` as the sync message for `doc` and returns the server's first answer about it.
    pub async fn send(&mut self, doc: DocumentId, data: Vec<u8>) -> Answer {
        let frame = Message::Sync {
            document_id: doc,
            sender_id: self.me.clone(),
            target_id: self.server.clone(),
            data,
        }
        .encode();
        if self.socket.send(Ws::Binary(frame.into())).await.is_err() {
            return Answer::Closed;
        }
        self.answer().await
    }

    /// The server's next answer.
    pub async fn answer(&mut self) -> Answer {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .expect("the server answers within a minute");
            match next {
                Some(Ok(Ws::Binary(b))) => match Message::decode(&b, &Limits::default()) {
                    Ok(Message::Refused { reason, .. }) => return Answer::Refused(reason),
                    Ok(Message::Error { message }) => return Answer::Error(message),
                    Ok(Message::Sync { data, .. }) => return Answer::Sync(data),
                    Ok(Message::DocUnavailable { .. }) => return Answer::Unavailable,
                    _ => {}
                },
                Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => return Answer::Closed,
                Some(Ok(_)) => {}
            }
        }
    }
}
