//! A native sync client for tests: the shared sans-IO core over a real WebSocket to the real server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use futures_util::{SinkExt, StreamExt};
use mamori_shared::model::{DocumentId, PeerId};
use mamori_shared::protocol::Limits;
use mamori_shared::sync::{Client, Effect, Event};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The documents a test device holds.
pub type Docs = BTreeMap<DocumentId, AutoCommit>;

/// A device: its documents survive disconnects (a tablet going offline and back).
pub struct Device {
    pub name: String,
    pub docs: Docs,
    core: Client,
    socket: Option<WebSocketStream<MaybeTlsStream<TcpStream>>>,
    pub unavailable: Vec<DocumentId>,
    pub errors: Vec<String>,
    /// Refusals from the server: (document, reason).
    pub refused: Vec<(DocumentId, String)>,
    /// This device's copies set aside after a refusal (document, saved bytes).
    pub set_aside: Vec<(DocumentId, Vec<u8>)>,
    /// The facility index it names as its place when connecting, as the app does (`sync::endpoint`).
    pub place: Option<DocumentId>,
}

impl Device {
    pub fn new(name: &str) -> Device {
        Device {
            name: name.into(),
            docs: Docs::default(),
            core: Client::new(PeerId::generate(name), None, Limits::default()),
            socket: None,
            unavailable: Vec::new(),
            errors: Vec::new(),
            refused: Vec::new(),
            set_aside: Vec::new(),
            place: None,
        }
    }

    /// Connects to `http://localhost:port` (its `/sync`) and waits for the handshake.
    pub async fn connect(&mut self, server_url: &str) {
        self.try_connect(server_url, None)
            .await
            .expect("the sync endpoint accepts a WebSocket");
    }

    /// Connects with a session cookie (`mamori_session=…`) when the server requires sign-in; the error is
    /// the refusal (status and message) if the upgrade is refused.
    pub async fn try_connect(
        &mut self,
        server_url: &str,
        cookie: Option<&str>,
    ) -> Result<(), String> {
        self.try_connect_with(server_url, cookie.map(|c| ("cookie", c.to_string())))
            .await
    }

    /// Connects presenting an API token (`Authorization: Bearer`), as an integration does.
    pub async fn try_connect_with_token(
        &mut self,
        server_url: &str,
        token: &str,
    ) -> Result<(), String> {
        self.try_connect_with(
            server_url,
            Some(("authorization", format!("Bearer {token}"))),
        )
        .await
    }

    async fn try_connect_with(
        &mut self,
        server_url: &str,
        credential: Option<(&str, String)>,
    ) -> Result<(), String> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!(
            "{}{}",
            server_url.replace("http://", "ws://"),
            mamori_shared::sync::endpoint(self.place)
        );
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        if let Some((name, value)) = credential {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| e.to_string())?;
            request.headers_mut().insert(
                name,
                value.parse().map_err(|_| "bad credential".to_string())?,
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async_with_config(
            request,
            Some(crate::load::client_config()),
            false,
        )
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(r) => format!(
                "{} {}",
                r.status(),
                String::from_utf8_lossy(r.body().as_deref().unwrap_or_default())
            ),
            e => e.to_string(),
        })?;
        self.socket = Some(socket);
        let effects = self.core.handle(Event::Opened, &mut self.docs);
        self.perform(effects).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.core.is_connected() {
            if Instant::now() > deadline {
                return Err(format!("{}: no handshake", self.name));
            }
            self.pump_once(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Whether the socket is open.
    pub fn is_online(&self) -> bool {
        self.socket.is_some()
    }

    /// Goes offline (closes the socket); documents stay.
    pub async fn disconnect(&mut self) {
        if let Some(mut s) = self.socket.take() {
            let _ = s.close(None).await;
        }
        self.core.handle(Event::Closed, &mut self.docs);
    }

    /// Adds a document made on this device (possibly offline).
    pub async fn add(&mut self, id: DocumentId, doc: AutoCommit) {
        self.docs.insert(id, doc);
        self.changed(id).await;
    }

    /// Edits a document, then tells the core (sends if online).
    pub async fn edit(&mut self, id: DocumentId, f: impl FnOnce(&mut AutoCommit)) {
        f(self
            .docs
            .get_mut(&id)
            .expect("the device holds the document"));
        self.changed(id).await;
    }

    async fn changed(&mut self, id: DocumentId) {
        let effects = self.core.handle(Event::LocalChange(id), &mut self.docs);
        self.perform(effects).await;
    }

    /// Asks the server for a document this device does not hold yet.
    pub async fn want(&mut self, id: DocumentId) {
        let effects = self.core.handle(Event::Want(id), &mut self.docs);
        self.perform(effects).await;
    }

    async fn perform(&mut self, effects: Vec<Effect>) {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            match e {
                Effect::Refused { document, reason } => {
                    // Set this device's copy aside whole, then start again from the server's state.
                    if let Some(mut mine) = self.docs.insert(document, AutoCommit::new()) {
                        self.set_aside.push((document, mine.save()));
                    }
                    self.refused.push((document, reason));
                    queue.extend(self.core.reset(document, &mut self.docs));
                }
                Effect::Send(frame) => {
                    if let Some(s) = self.socket.as_mut() {
                        let _ = s.send(Ws::Binary(frame.into())).await;
                    }
                }
                Effect::Unavailable(id) => self.unavailable.push(id),
                Effect::ServerError(m) => self.errors.push(m),
                Effect::Malformed(e) => self.errors.push(e.to_string()),
                Effect::DocChanged(_) | Effect::Connected(_) => {}
            }
        }
    }

    /// Handles frames until none arrives for `quiet`.
    pub async fn pump_once(&mut self, quiet: Duration) -> bool {
        let Some(socket) = self.socket.as_mut() else {
            return false;
        };
        match tokio::time::timeout(quiet, socket.next()).await {
            Ok(Some(Ok(Ws::Binary(bytes)))) => {
                let effects = self.core.handle(Event::Frame(&bytes), &mut self.docs);
                self.perform(effects).await;
                true
            }
            Ok(Some(Ok(_))) => true,
            Ok(None) | Ok(Some(Err(_))) => {
                self.socket = None;
                self.core.handle(Event::Closed, &mut self.docs);
                false
            }
            Err(_) => false,
        }
    }

    /// Whether the server has told this device it holds all of this device's changes to `id`.
    pub fn server_has_all(&mut self, id: DocumentId) -> bool {
        let heads = self.heads(id);
        self.core.server_has(id, &heads)
    }

    /// The heads of a document on this device.
    pub fn heads(&mut self, id: DocumentId) -> Vec<automerge::ChangeHash> {
        self.docs
            .get_mut(&id)
            .map(|d| d.get_heads())
            .unwrap_or_default()
    }
}

/// Pumps every device until all hold `id` with the same heads (or panics after 10 s).
pub async fn converge(devices: &mut [&mut Device], id: DocumentId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for d in devices.iter_mut() {
            while d.pump_once(Duration::from_millis(20)).await {}
        }
        let heads: Vec<_> = devices.iter_mut().map(|d| d.heads(id)).collect();
        if !heads[0].is_empty() && heads.iter().all(|h| h == &heads[0]) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "devices did not converge: {heads:?}"
        );
    }
}

impl Device {
    /// Pumps until the server holds everything this device has of `id` (10 s at most).
    pub async fn synced(&mut self, id: DocumentId) {
        let start = Instant::now();
        while !self.server_has_all(id) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{}: {id} not synced (refused: {:?})",
                self.name,
                self.refused
            );
            self.pump_once(Duration::from_millis(20)).await;
        }
    }

    /// Asks for `id` and pumps until this device holds it with content (true), or was told it is unavailable
    /// (false); 10 s at most.
    pub async fn opened(&mut self, id: DocumentId) -> bool {
        self.want(id).await;
        let start = Instant::now();
        loop {
            if self.unavailable.contains(&id) {
                return false;
            }
            if self
                .docs
                .get_mut(&id)
                .is_some_and(|doc| !doc.get_heads().is_empty())
            {
                return true;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{}: no answer for {id} (online: {}, errors: {:?})",
                self.name,
                self.is_online(),
                self.errors
            );
            self.pump_once(Duration::from_millis(20)).await;
        }
    }
}
