//! What a crafted sync message costs Mamori's server beside an honest message of the same size: the server
//! runs as its own process (`--open-sync`: the bounds apply before any role check, to everyone), each
//! message goes to a fresh document on a fresh connection, and the server's CPU time (from /proc) and peak
//! memory (VmHWM) are read around it. Figures, not pass/fail; targets printed beside them: the worst crafted
//! message at most twice an honest one of the same size, peak memory within 64 MB + 4x the frame size.
//!
//! `bash scripts/bench.sh attacks`

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use mamori_shared::model::DocumentId;
use mamori_shared::sync::Batch;
use mamori_shared::sync::chunks::{ChunkLimits, craft};
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::server::{ServerProcess, proc_status_kib, reset_peak};

const FRAME: usize = 8 * 1024 * 1024;

/// Realistic changes of about `size` bytes in all: ledger rows written field by field, 64 rows a change,
/// grouped into messages as a client sends them ([`Batch`]: a backlog goes over several messages).
fn honest(size: usize) -> Vec<Vec<Vec<u8>>> {
    let mut doc = AutoCommit::new();
    let rows = doc
        .put_object(ROOT, "rows", automerge::ObjType::Map)
        .unwrap();
    let mut i = 0;
    let mut written = 0;
    loop {
        let row = doc
            .put_object(&rows, format!("row-{i:06}"), automerge::ObjType::Map)
            .unwrap();
        for (k, v) in [
            ("管理番号", format!("PC-{i:05}")),
            ("機器名", format!("受付PC {i}")),
            ("OS", "Windows 11 Pro 23H2".to_string()),
            ("設置場所", format!("{}階 診察室{}", i % 5 + 1, i % 13)),
            (
                "IPアドレス",
                format!("192.168.{}.{}", i / 250 % 250, i % 250),
            ),
            ("保守業者", "みなとシステム株式会社".to_string()),
        ] {
            doc.put(&row, k, v).unwrap();
        }
        i += 1;
        if i % 64 == 0 {
            doc.commit();
            written += doc
                .get_last_local_change()
                .map_or(0, |c| c.raw_bytes().len());
            if written >= size {
                break;
            }
        }
    }
    let batch = Batch::default();
    let mut messages = vec![Vec::new()];
    let (mut ops, mut bytes) = (0, 0);
    for change in doc.get_changes(&[]) {
        let (o, b) = (change.len() as u64 + 1, change.raw_bytes().len());
        if ops + o > batch.max_ops || bytes + b > batch.max_bytes {
            messages.push(Vec::new());
            (ops, bytes) = (0, 0);
        }
        ops += o;
        bytes += b;
        messages
            .last_mut()
            .unwrap()
            .push(change.raw_bytes().to_vec());
    }
    messages
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// What handling one kind of message cost the server, per message.
struct Cost {
    /// CPU time (ms).
    cpu: f64,
    wall: Duration,
    /// The largest rise of resident memory while one message was handled, above what the server held
    /// just before it (MB): the message's own cost, apart from documents left loaded by earlier ones.
    rise_mb: u64,
    first: String,
}

/// The heads of the changes `chunks` hold (what an Automerge peer sends beside them), or none for chunks
/// that do not read within the limits.
fn heads_of(chunks: &[Vec<u8>]) -> Vec<automerge::ChangeHash> {
    let Ok(inbound) = mamori_shared::sync::ingest::parse(
        &sync_message(Vec::new(), chunks.to_vec()),
        &ChunkLimits {
            max_ops: u64::MAX,
            ..ChunkLimits::default()
        },
    ) else {
        return Vec::new();
    };
    let changes = inbound.changes();
    let depended: std::collections::HashSet<_> =
        changes.iter().flat_map(|c| c.deps().to_vec()).collect();
    changes
        .iter()
        .map(automerge::Change::hash)
        .filter(|h| !depended.contains(h))
        .collect()
}

/// Sends `messages` (each a list of chunks) in turn, `times` times, each time to a fresh document on a
/// fresh connection. CPU and wall time are for all of them; the rise is the largest for one message.
async fn cost(server: &ServerProcess, messages: &[Vec<Vec<u8>>], times: u32) -> Cost {
    let pid = server.pid();
    let mut cpu = 0;
    let mut wall = Duration::ZERO;
    let mut rise = 0;
    let mut first = String::new();
    let mut sent = Vec::new();
    let heads: Vec<_> = messages
        .iter()
        .map(|chunks| {
            sent.extend(chunks.iter().cloned());
            heads_of(&sent)
        })
        .collect();
    for _ in 0..times {
        let doc = DocumentId::generate();
        let mut a = Attacker::connect(&server.url, None, None).await;
        let _ = a.send(doc, sync_message(Vec::new(), Vec::new())).await;
        for (chunks, heads) in messages.iter().zip(&heads) {
            let before = cpu_ticks(pid);
            reset_peak(pid);
            let resident = proc_status_kib(pid, "VmRSS");
            let started = Instant::now();
            let answer = a
                .send(doc, sync_message(heads.clone(), chunks.to_vec()))
                .await;
            wall += started.elapsed();
            // The server's CPU time is counted in 10 ms ticks: let it settle.
            tokio::time::sleep(Duration::from_millis(20)).await;
            cpu += cpu_ticks(pid) - before;
            rise = rise.max(proc_status_kib(pid, "VmHWM").saturating_sub(resident) / 1024);
            let said = match answer {
                Answer::Sync(_) => "kept".into(),
                Answer::Error(e) => format!("refused: {}", e.split(": ").last().unwrap_or(&e)),
                other => format!("{other:?}"),
            };
            if first.is_empty() || !said.starts_with("kept") {
                first = said;
            }
        }
    }
    if messages.len() > 1 {
        first = format!("{first} ({} messages)", messages.len());
    }
    Cost {
        cpu: cpu as f64 * 10.0 / times as f64,
        wall: wall / times,
        rise_mb: rise,
        first,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let limits = ChunkLimits::default();
    println!(
        "== crafted sync messages beside honest ones (server process, --open-sync, 8 MiB frames)"
    );
    for size in [64 * 1024, 1024 * 1024, 6 * 1024 * 1024] {
        let server = ServerProcess::start_without_app(&["--open-sync"]).await;
        let pid = server.pid();
        let honest = honest(size);
        let wire: usize = honest.iter().flatten().map(Vec::len).sum();
        let budget_ops =
            (limits.ops_floor + limits.ops_per_kib * wire as u64 / 1024).min(limits.max_ops);
        let cases: Vec<(&str, Vec<Vec<Vec<u8>>>)> = vec![
            ("honest: ledger rows (changes of 64 rows)", honest.clone()),
            (
                "compressed change bomb (inflates to 1 GB)",
                vec![vec![craft::compressed_bomb(1 << 30)]],
            ),
            (
                "document with a DEFLATE'd column bomb (1 GB)",
                vec![vec![craft::document_column_bomb(1 << 30)]],
            ),
            (
                "run lengths declaring 10^8 operations",
                vec![vec![craft::run_length_bomb(100_000_000, &[1; 16])]],
            ),
            (
                "run lengths at the budget (the worst accepted)",
                vec![vec![craft::run_length_bomb_padded(
                    budget_ops - 8,
                    &[2; 16],
                    wire.saturating_sub(64),
                )]],
            ),
        ];
        let idle = proc_status_kib(pid, "VmHWM");
        println!(
            "-- messages of about {} KB (server resident before them: {} MB)",
            wire / 1024,
            idle / 1024
        );
        let mut honest_cpu = 0.0;
        let mut worst: f64 = 0.0;
        let mut worst_rise = 0;
        for (what, messages) in &cases {
            let bytes: usize = messages.iter().flatten().map(Vec::len).sum();
            let c = cost(&server, messages, 5).await;
            if what.starts_with("honest") {
                honest_cpu = c.cpu;
            } else {
                worst = worst.max(c.cpu);
            }
            worst_rise = worst_rise.max(c.rise_mb);
            println!(
                "{what:<48} {:>7} KB  server CPU {:>7.1} ms  wall {:>7.1} ms  peak rise {:>4} MB  {}",
                bytes / 1024,
                c.cpu,
                c.wall.as_secs_f64() * 1000.0,
                c.rise_mb,
                c.first
            );
        }
        println!(
            "worst crafted / honest: {:.2}x (target <= 2x); largest peak rise for one message {} MB (target <= {} MB); server resident now {} MB",
            worst / honest_cpu.max(10.0),
            worst_rise,
            64 + 4 * FRAME / (1024 * 1024),
            proc_status_kib(pid, "VmRSS") / 1024
        );
        if !reset_peak(pid) {
            println!(
                "(this kernel does not reset peak memory: rises are since the server started)"
            );
        }
    }
}
