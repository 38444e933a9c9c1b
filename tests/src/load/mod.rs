//! The sync load generator: N automerge-repo protocol clients over real WebSockets on D documents, each
//! editing its document every P ms, measuring for every edit the time until each other client on that
//! document has applied it.
//!
//! Each client writes a counter under a key of its own; the generator keeps the time each value was written
//! (it is one process), so a receiver learns what arrived by reading the other clients' counters after a
//! frame changed its document: a few map reads, where asking Automerge for the changes since the previous
//! heads walks the document's whole history and made the generator the bottleneck.
//!
//! Signed in ([`Checklists`]), each client presents its facility's API token and edits as a person would: it
//! answers one checklist item of its own, the counter in the answer's note, so the server does all it does
//! for a real edit (actor claims, the schema check, the facility's quota, the access log).
//!
//! The clients are split over a few threads (two by default), each a one-thread runtime that owns whole
//! documents, so an edit and its deliveries are timed on one clock and no lock is shared. One thread was
//! enough for the work but not for the latency: at 80 % busy its own queue of ready sockets added tens of
//! milliseconds to what it measured (300 clients at 6,000 deliveries a second: p99 377 ms on one thread,
//! 42 ms on two). Each thread's CPU use is reported; a run where any thread was over 80 % busy is flagged
//! invalid, since its latencies are then partly the generator's.

pub mod checklists;
pub mod deployment;
pub mod proc;
pub mod servers;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use futures_util::{SinkExt, StreamExt};
use mamori_shared::answer::{Answer, Choice, Entry};
use mamori_shared::calendar::Date;
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::model::{DocumentId, ItemId, PeerId};
use mamori_shared::protocol::Limits;
use mamori_shared::schema::checklist;
use mamori_shared::sync::{Client, Effect, Event};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// One load: who edits what, how often, for how long.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub clients: usize,
    pub docs: usize,
    pub period: Duration,
    pub duration: Duration,
    /// Generator threads (at most one per document).
    pub threads: usize,
    /// Clients answering checklist items (signed in when the checklists come with tokens); `None` for the
    /// lightest load, where each client writes its counter under a key of its own at the document's root.
    pub checklists: Option<std::sync::Arc<Checklists>>,
    /// Which server each client connects to when there are several.
    pub placement: Placement,
}

/// Which of several servers a client connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// The `k`-th client on a document connects to server `k % n`: every document is open on every
    /// instance, so each change is applied by every instance (the worst case).
    #[default]
    Spread,
    /// Every client of facility `f` connects to server `f % n`, as a deployment that routes each facility
    /// to one instance does (per-facility host names behind a balancer hashing on the host): a document
    /// is open on one instance. Without checklists (no facilities) the same as [`Placement::Spread`].
    ByFacility,
}

/// The checklists clients answer, made beforehand ([`checklists`]): through the real API with tokens for
/// signed-in clients, or simply synced to an open server.
#[derive(Debug)]
pub struct Checklists {
    pub docs: Vec<ChecklistDoc>,
}

/// One checklist.
#[derive(Debug)]
pub struct ChecklistDoc {
    pub id: DocumentId,
    /// The checklist as the server already stores it: every client starts from these bytes, so all of
    /// them share its `answers` map.
    pub base: Vec<u8>,
    /// API tokens of the document's facility; the `k`-th client on the document uses token `k % len`. None
    /// on an open server.
    pub tokens: Vec<String>,
    /// Which facility of the set it belongs to (0, 1, …), for [`Placement::ByFacility`].
    pub facility: usize,
}

/// The fields of the answer a signed-in client writes, as `checklist::put_answer` writes them (its scalars,
/// and its `entry` map's), read once from an answer written that way.
struct AnswerTemplate {
    fields: Vec<(String, ScalarValue)>,
    entry: Vec<(String, ScalarValue)>,
}

fn answer_template() -> &'static AnswerTemplate {
    static TEMPLATE: std::sync::OnceLock<AnswerTemplate> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut doc = AutoCommit::new();
        let answer = Answer {
            note: "0".into(),
            ..Answer::new(
                Choice::Yes,
                Date::new(2026, 11, 20).expect("a date"),
                Entry {
                    by: "負荷試験".into(),
                    ..Entry::default()
                },
            )
        };
        checklist::put_answer(&mut doc, &ItemId::from("1-①"), &answer).expect("an answer");
        let scalars = |obj: &automerge::ObjId| -> Vec<(String, ScalarValue)> {
            doc.map_range(obj, ..)
                .filter_map(|f| match automerge::Value::from(f.value) {
                    automerge::Value::Scalar(v) => Some((f.key.to_string(), v.into_owned())),
                    automerge::Value::Object(_) => None,
                })
                .collect()
        };
        let Ok(Some((_, answers))) = doc.get(ROOT, "answers") else {
            panic!("an answers map");
        };
        let Ok(Some((_, written))) = doc.get(&answers, "1-①") else {
            panic!("the answer");
        };
        let Ok(Some((_, entry))) = doc.get(&written, "entry") else {
            panic!("its entry");
        };
        AnswerTemplate {
            fields: scalars(&written),
            entry: scalars(&entry),
        }
    })
}

/// The items signed-in clients answer: the `k`-th client on a document answers item `k % len`.
fn load_items() -> &'static [ItemId] {
    static ITEMS: std::sync::OnceLock<Vec<ItemId>> = std::sync::OnceLock::new();
    ITEMS.get_or_init(|| {
        edition("r7")
            .expect("the r7 edition")
            .form_items(FormKind::Pharmacy)
            .into_iter()
            .map(|item| item.id.clone())
            .collect()
    })
}

/// What a load measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub edits: u64,
    pub deliveries: u64,
    pub lost: u64,
    pub failed_clients: usize,
    /// Delivery latencies in milliseconds, sorted.
    pub latencies: Vec<f64>,
    pub seconds: f64,
    /// Each generator thread's own CPU seconds while editing.
    pub generator_cpu: Vec<f64>,
}

impl Report {
    pub fn rate(&self) -> f64 {
        self.deliveries as f64 / self.seconds
    }

    pub fn percentile(&self, p: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return f64::NAN;
        }
        self.latencies[((n as f64 * p) as usize).min(n - 1)]
    }

    pub fn max(&self) -> f64 {
        self.latencies.last().copied().unwrap_or(f64::NAN)
    }

    /// The share of one core the busiest generator thread used while editing.
    pub fn generator_busy(&self) -> f64 {
        self.generator_cpu.iter().copied().fold(0.0, f64::max) / self.seconds
    }

    /// Whether the generator itself was the bottleneck (then the latencies are partly its, not the
    /// server's).
    pub fn generator_saturated(&self) -> bool {
        self.generator_busy() > 0.8
    }

    fn merge(mut self, other: Report) -> Report {
        self.edits += other.edits;
        self.deliveries += other.deliveries;
        self.lost += other.lost;
        self.failed_clients += other.failed_clients;
        self.latencies.extend(other.latencies);
        self.latencies.sort_by(|a, b| a.total_cmp(b));
        self.seconds = self.seconds.max(other.seconds);
        self.generator_cpu.extend(other.generator_cpu);
        self
    }

    pub fn summary(&self) -> String {
        format!(
            "{} edits, {} deliveries ({:.0}/s), lost {}{} | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | generator {} of a core{}",
            self.edits,
            self.deliveries,
            self.rate(),
            self.lost,
            if self.failed_clients > 0 {
                format!(", {} clients failed", self.failed_clients)
            } else {
                String::new()
            },
            self.percentile(0.5),
            self.percentile(0.99),
            self.max(),
            self.generator_cpu
                .iter()
                .map(|c| format!("{:.0}%", c / self.seconds * 100.0))
                .collect::<Vec<_>>()
                .join(" + "),
            if self.generator_saturated() {
                " (INVALID: a generator thread was over 80% busy)"
            } else {
                ""
            }
        )
    }
}

#[derive(Default)]
struct Tally {
    /// Edits made, per document index.
    edits: Vec<u64>,
    /// Deliveries seen, per document index.
    deliveries: Vec<u64>,
    latencies_us: Vec<u32>,
    failed: usize,
    /// When each client's edits were made, in microseconds from the start, by its key: edit `n` (the
    /// counter's value `n`) at index `n - 1`.
    written: HashMap<String, Vec<u32>>,
}

/// The WebSocket settings of every generated client: tungstenite's default 128 KiB read buffer is zeroed on
/// every read, which made the generator, not the server, the bottleneck.
pub fn client_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096)
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a protocol connection to `ws_url` and waits for the server's `peer` answer.
pub async fn connect(ws_url: &str, name: String) -> Result<(Socket, Client), String> {
    connect_as(ws_url, name, None).await
}

/// [`connect`] presenting an API token (`Authorization: Bearer`), as an integration signs in.
pub async fn connect_as(
    ws_url: &str,
    name: String,
    token: Option<&str>,
) -> Result<(Socket, Client), String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| "a token that is not a header value".to_string())?;
        request.headers_mut().insert("authorization", value);
    }
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(client_config()), false)
            .await
            .map_err(|e| format!("connect: {e}"))?;
    let mut core = Client::new(PeerId::generate(&name), None, Limits::default());
    let mut none = BTreeMap::<DocumentId, AutoCommit>::new();
    for e in core.handle(Event::Opened, &mut none) {
        if let Effect::Send(f) = e {
            socket
                .send(Ws::Binary(f.into()))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    while !core.is_connected() {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Ws::Binary(b)))) => {
                core.handle(Event::Frame(&b), &mut none);
            }
            Ok(Some(Ok(_))) => {}
            other => return Err(format!("no handshake: {other:?}")),
        }
    }
    Ok((socket, core))
}

/// Runs a scenario against the servers at `ws_urls` (full WebSocket URLs; which client connects to which
/// is the scenario's [`Placement`]): document `d` and its clients go to thread `d % threads`.
pub async fn run(ws_urls: &[String], s: &Scenario) -> Report {
    assert!(!ws_urls.is_empty(), "a server to load");
    let threads = s.threads.clamp(1, s.docs.max(1));
    let docs: Vec<DocumentId> = match &s.checklists {
        Some(signed) => {
            assert_eq!(
                signed.docs.len(),
                s.docs,
                "one registered checklist a document"
            );
            signed.docs.iter().map(|d| d.id).collect()
        }
        None => (0..s.docs).map(|_| DocumentId::generate()).collect(),
    };
    let ready = std::sync::Arc::new(std::sync::Barrier::new(threads));
    // Signed in, every run answers the same items again: its notes carry this run's tag, so what earlier
    // runs wrote is never counted as arriving now.
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let parts: Vec<_> = (0..threads)
        .map(|t| {
            let part = Part {
                docs: docs.iter().copied().skip(t).step_by(threads).collect(),
                // Client i edits document i % docs; here that document's index within this part.
                clients: (0..s.clients)
                    .filter(|i| (i % s.docs) % threads == t)
                    .map(|i| (i, (i % s.docs) / threads))
                    .collect(),
            };
            let (urls, s, ready, tag) = (ws_urls.to_vec(), s.clone(), ready.clone(), tag.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a generator runtime");
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, run_part(&urls, &s, part, &ready, &tag))
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        parts
            .into_iter()
            .map(|p| p.join().expect("a generator thread"))
            .reduce(Report::merge)
            .unwrap_or_default()
    })
    .await
    .expect("the generator threads")
}

/// One generator thread's share: its documents and its clients (index, and document within `docs`).
struct Part {
    docs: Vec<DocumentId>,
    clients: Vec<(usize, usize)>,
}

/// Where client `i` connects and with what: its server, and its facility's token when signed in.
fn client_login<'a>(
    ws_urls: &'a [String],
    s: &'a Scenario,
    i: usize,
) -> (&'a str, Option<&'a str>) {
    let k = i / s.docs.max(1);
    let doc = s.checklists.as_ref().map(|made| &made.docs[i % s.docs]);
    let token =
        doc.and_then(|d| (!d.tokens.is_empty()).then(|| d.tokens[k % d.tokens.len()].as_str()));
    let server = match (s.placement, doc) {
        (Placement::ByFacility, Some(d)) => d.facility,
        _ => k,
    };
    (ws_urls[server % ws_urls.len()].as_str(), token)
}

async fn run_part(
    ws_urls: &[String],
    s: &Scenario,
    part: Part,
    ready: &std::sync::Barrier,
    tag: &str,
) -> Report {
    let docs = part.docs;
    let tally = Rc::new(RefCell::new(Tally {
        edits: vec![0; docs.len()],
        deliveries: vec![0; docs.len()],
        latencies_us: Vec::with_capacity(1 << 18),
        failed: 0,
        written: HashMap::new(),
    }));
    // Connect everyone first, a few at a time, so the handshakes are not measured as sync latency.
    // Fifty handshakes at a time in all (the reference server drops some beyond that).
    let mut connected = Vec::with_capacity(part.clients.len());
    for batch in part.clients.chunks((50 / s.threads.max(1)).max(1)) {
        let opened = futures_util::future::join_all(batch.iter().map(|(i, _)| {
            let (url, token) = client_login(ws_urls, s, *i);
            connect_as(url, format!("load-{i}"), token)
        }))
        .await;
        connected.extend(opened);
    }
    // Each client announces its document (a `sync` with nothing in it yet), so the server has it subscribed
    // before anyone edits.
    let placeholder = Instant::now();
    let mut clients = Vec::with_capacity(part.clients.len());
    for (&(i, d), conn) in part.clients.iter().zip(connected) {
        let (socket, core) = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("load client {i} could not connect: {e}");
                tally.borrow_mut().failed += 1;
                continue;
            }
        };
        // Signed in: the registered checklist as stored, and an item of its own to answer.
        let (start_doc, item) = match &s.checklists {
            Some(signed) => (
                AutoCommit::load(&signed.docs[i % s.docs].base).expect("the checklist loads"),
                Some(load_items()[(i / s.docs) % load_items().len()].clone()),
            ),
            None => (AutoCommit::new(), None),
        };
        let mut c = LoadClient {
            doc_index: d,
            doc: docs[d],
            socket,
            core,
            docs: BTreeMap::from([(docs[d], start_doc)]),
            item,
            tag: tag.to_string(),
            start: placeholder,
            tally: tally.clone(),
            seen: HashMap::new(),
        };
        let effects = c.core.handle(Event::LocalChange(c.doc), &mut c.docs);
        if c.perform(effects).await.is_ok() {
            clients.push((i, c));
        } else {
            tally.borrow_mut().failed += 1;
        }
    }
    // Every thread has connected (a blocking wait: nothing else runs on this thread meanwhile).
    ready.wait();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = proc::cpu_seconds("thread-self");
    let start = Instant::now();
    let edit_until = start + s.duration;
    let drain_until = edit_until + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for (i, mut c) in clients {
        c.start = start;
        // Spread the clients' first edits over one period, deterministically.
        let offset = s.period.mul_f64(((i * 7919) % 1000) as f64 / 1000.0);
        tasks.push(tokio::task::spawn_local(c.run(
            start + offset,
            s.period,
            edit_until,
            drain_until,
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
    let cpu = proc::cpu_seconds("thread-self") - cpu0;
    let t = tally.borrow();
    let per_doc: Vec<u64> = (0..docs.len())
        .map(|d| part.clients.iter().filter(|(_, cd)| *cd == d).count() as u64)
        .collect();
    let expected: u64 = (0..docs.len())
        .map(|d| t.edits[d] * per_doc[d].saturating_sub(1))
        .sum();
    let delivered: u64 = t.deliveries.iter().sum();
    let mut latencies: Vec<f64> = t
        .latencies_us
        .iter()
        .map(|us| *us as f64 / 1000.0)
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    Report {
        edits: t.edits.iter().sum(),
        deliveries: delivered,
        lost: expected.saturating_sub(delivered),
        failed_clients: t.failed,
        latencies,
        seconds: s.duration.as_secs_f64(),
        generator_cpu: vec![cpu],
    }
}

struct LoadClient {
    doc_index: usize,
    doc: DocumentId,
    /// The checklist item this client answers when signed in.
    item: Option<ItemId>,
    /// This run's tag, before the counter in a signed-in client's note.
    tag: String,
    socket: Socket,
    core: Client,
    docs: BTreeMap<DocumentId, AutoCommit>,
    start: Instant,
    tally: Rc<RefCell<Tally>>,
    /// The last counter value seen from each other client on the document, by its key.
    seen: HashMap<String, u64>,
}

impl LoadClient {
    async fn run(
        mut self,
        first_edit: Instant,
        period: Duration,
        edit_until: Instant,
        drain_until: Instant,
    ) {
        let me = self.doc_mut().get_actor().clone();
        // A key of its own: Automerge drops a put that writes the value a key already has, which would make
        // clients with the same sequence number on one key silently skip edits. Signed in, the key is the
        // item this client alone answers.
        let key = match &self.item {
            Some(item) => item.as_str().to_string(),
            None => format!("c{me}"),
        };
        // The tally is shared by every document of this thread: its keys name the document too.
        let tally_key = format!("{}/{key}", self.doc_index);
        let mut next = first_edit;
        let mut seq: u64 = 0;
        loop {
            let editing = next < edit_until;
            tokio::select! {
                frame = self.socket.next() => match frame {
                    Some(Ok(Ws::Binary(bytes))) => {
                        let effects = self.core.handle(Event::Frame(&bytes), &mut self.docs);
                        let changed = effects.iter().any(|e| matches!(e, Effect::DocChanged(_)));
                        if self.perform(effects).await.is_err() {
                            break;
                        }
                        if changed {
                            self.record_arrivals(&key);
                        }
                    }
                    Some(Ok(_)) => {}
                    other => {
                        eprintln!("a load client lost its connection: {other:?}");
                        self.tally.borrow_mut().failed += 1;
                        break;
                    }
                },
                () = tokio::time::sleep_until(next.into()), if editing => {
                    seq += 1;
                    let now = micros(self.start.elapsed());
                    self.write(&key, seq);
                    {
                        let mut tally = self.tally.borrow_mut();
                        tally.edits[self.doc_index] += 1;
                        tally.written.entry(tally_key.clone()).or_default().push(now);
                    }
                    let effects = self.core.handle(Event::LocalChange(self.doc), &mut self.docs);
                    if self.perform(effects).await.is_err() {
                        break;
                    }
                    next += period;
                }
                () = tokio::time::sleep_until(drain_until.into()) => break,
            }
        }
        let _ = self.socket.close(None).await;
    }

    fn doc_mut(&mut self) -> &mut AutoCommit {
        self.docs.get_mut(&self.doc).expect("the client's document")
    }

    /// Edit number `seq`: the counter under this client's key, or, signed in, its item answered anew with
    /// the counter as the answer's note (a whole new answer, as the app writes one).
    fn write(&mut self, key: &str, seq: u64) {
        let item = self.item.clone();
        let note = format!("{}/{seq}", self.tag);
        let doc = self.doc_mut();
        match item {
            Some(item) => {
                // The operations `put_answer` makes for a new answer, written without autosurgeon reading
                // the fresh map first: the same change for the server, a quarter of the generator's work.
                let answers = match doc.get(ROOT, "answers") {
                    Ok(Some((_, id))) => id,
                    _ => panic!("the checklist has its answers map"),
                };
                let answer = doc
                    .put_object(&answers, item.as_str(), ObjType::Map)
                    .expect("an answer");
                let template = answer_template();
                for (field, value) in &template.fields {
                    let value = if field == "note" {
                        ScalarValue::Str(note.as_str().into())
                    } else {
                        value.clone()
                    };
                    doc.put(&answer, field.as_str(), value).expect("a field");
                }
                let entry = doc
                    .put_object(&answer, "entry", ObjType::Map)
                    .expect("an entry");
                for (field, value) in &template.entry {
                    doc.put(&entry, field.as_str(), value.clone())
                        .expect("a field");
                }
            }
            None => {
                doc.put(ROOT, key, seq).expect("put");
            }
        }
        doc.commit();
    }

    /// Every other client's counter as this copy of the document holds it: `(key, value)`.
    fn counters(&self) -> Vec<(String, u64)> {
        let doc = self.docs.get(&self.doc).expect("the client's document");
        if self.item.is_none() {
            return doc
                .map_range(ROOT, ..)
                .filter_map(|item| {
                    let value = automerge::Value::from(item.value).as_u64()?;
                    Some((item.key.to_string(), value))
                })
                .collect();
        }
        let Ok(Some((_, answers))) = doc.get(ROOT, "answers") else {
            return Vec::new();
        };
        doc.map_range(&answers, ..)
            .filter_map(|item| {
                let (value, _) = doc.get(item.id(), "note").ok()??;
                let note = value.into_string().ok()?;
                let counter = note.strip_prefix(self.tag.as_str())?.strip_prefix('/')?;
                Some((item.key.to_string(), counter.parse().ok()?))
            })
            .collect()
    }

    /// Counts the other clients' edits this frame brought, with their delivery latency: every counter that
    /// moved from `n` to `m` brought edits `n + 1 ..= m` (one client's changes arrive in order).
    fn record_arrivals(&mut self, mine: &str) {
        let now = micros(self.start.elapsed());
        let counters = self.counters();
        let mut tally = self.tally.borrow_mut();
        let tally = &mut *tally;
        for (key, now_at) in counters {
            if key == mine {
                continue;
            }
            let seen = self.seen.entry(key.clone()).or_insert(0);
            if now_at <= *seen {
                continue;
            }
            let written = tally
                .written
                .get(&format!("{}/{key}", self.doc_index))
                .map(Vec::as_slice)
                .unwrap_or_default();
            for n in *seen + 1..=now_at {
                let at = written.get(n as usize - 1).copied().unwrap_or(now);
                tally.latencies_us.push(now.saturating_sub(at));
                if slow_ones_shown() && now.saturating_sub(at) > 50_000 {
                    eprintln!(
                        "slow delivery: written at {:.3} s, {} ms",
                        at as f64 / 1e6,
                        now.saturating_sub(at) / 1000
                    );
                }
            }
            tally.deliveries[self.doc_index] += now_at - *seen;
            *seen = now_at;
        }
    }

    async fn perform(&mut self, effects: Vec<Effect>) -> Result<(), ()> {
        for e in effects {
            match e {
                Effect::Send(frame) => {
                    self.socket
                        .send(Ws::Binary(frame.into()))
                        .await
                        .map_err(|_| ())?;
                }
                Effect::ServerError(m) => {
                    eprintln!("server error: {m}");
                    return Err(());
                }
                Effect::Refused { reason, .. } => {
                    eprintln!("changes refused: {reason}");
                    return Err(());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `LOAD_SLOW=1` prints every delivery over 50 ms with when its edit was made, to find stalls.
fn slow_ones_shown() -> bool {
    static SHOWN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SHOWN.get_or_init(|| std::env::var_os("LOAD_SLOW").is_some())
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// Opens `n` connections that complete the handshake and then only answer pings; returns them so the caller
/// decides how long they stay. Used to measure memory per idle connection.
pub async fn idle_connections(ws_url: &str, n: usize) -> Vec<Socket> {
    let mut all = Vec::with_capacity(n);
    for batch in (0..n).collect::<Vec<_>>().chunks(50) {
        let opened = futures_util::future::join_all(
            batch.iter().map(|i| connect(ws_url, format!("idle-{i}"))),
        )
        .await;
        all.extend(opened.into_iter().filter_map(|c| c.ok()).map(|(s, _)| s));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator's answer is what the app writes: the same fields and values, read back the same.
    #[test]
    fn the_generators_answer_is_the_apps() {
        let template = answer_template();
        assert!(template.fields.iter().any(|(f, _)| f == "choice"));
        assert!(template.entry.iter().any(|(f, _)| f == "by"));
        let mut doc = AutoCommit::new();
        let answers = doc.put_object(ROOT, "answers", ObjType::Map).unwrap();
        let answer = doc.put_object(&answers, "1-①", ObjType::Map).unwrap();
        for (field, value) in &template.fields {
            doc.put(&answer, field.as_str(), value.clone()).unwrap();
        }
        let entry = doc.put_object(&answer, "entry", ObjType::Map).unwrap();
        for (field, value) in &template.entry {
            doc.put(&entry, field.as_str(), value.clone()).unwrap();
        }
        let mut app = AutoCommit::new();
        let written = Answer {
            note: "0".into(),
            ..Answer::new(
                Choice::Yes,
                Date::new(2026, 11, 20).unwrap(),
                Entry {
                    by: "負荷試験".into(),
                    ..Entry::default()
                },
            )
        };
        checklist::put_answer(&mut app, &ItemId::from("1-①"), &written).unwrap();
        let read = |d: &AutoCommit| -> Answer {
            checklist::answers(d).unwrap()[&ItemId::from("1-①")]
                .current
                .clone()
        };
        assert_eq!(read(&doc), read(&app));
        assert_eq!(read(&doc), written);
    }
}
