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
use mamori_shared::sync::chunks::{ChunkLimits, craft};
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::server::proc_status_kib;

const FRAME: usize = 8 * 1024 * 1024;

/// A realistic change of about `size` bytes: ledger rows written field by field.
fn honest(size: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    let rows = doc
        .put_object(ROOT, "rows", automerge::ObjType::Map)
        .unwrap();
    let mut i = 0;
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
            let mut probe = doc.fork();
            if probe
                .get_changes(&[])
                .iter()
                .map(|c| c.raw_bytes().len())
                .sum::<usize>()
                >= size
            {
                break;
            }
        }
    }
    doc.commit();
    doc.get_changes(&[])
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect()
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

struct Server {
    child: std::process::Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(binary: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(binary)
        .args([
            "--open-sync",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--assets",
            "/nonexistent",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server binary");
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server {
        child,
        url: format!("http://localhost:{port}"),
        _data: data,
    }
}

/// Sends `chunks` `times` times, each to a fresh document on a fresh connection; returns the server's CPU
/// time per message (ms), the wall time per message, and the first answer.
async fn cost(server: &Server, chunks: &[Vec<u8>], times: u32) -> (f64, Duration, String) {
    let pid = server.child.id();
    let mut cpu = 0;
    let mut wall = Duration::ZERO;
    let mut first = String::new();
    for _ in 0..times {
        let doc = DocumentId::generate();
        let mut a = Attacker::connect(&server.url, None, None).await;
        let _ = a.send(doc, sync_message(Vec::new(), Vec::new())).await;
        let before = cpu_ticks(pid);
        let started = Instant::now();
        let answer = a.send(doc, sync_message(Vec::new(), chunks.to_vec())).await;
        wall += started.elapsed();
        // The server's CPU time is counted in 10 ms ticks: let it settle.
        tokio::time::sleep(Duration::from_millis(20)).await;
        cpu += cpu_ticks(pid) - before;
        if first.is_empty() {
            first = match answer {
                Answer::Sync(_) => "kept".into(),
                Answer::Error(e) => format!("refused: {}", e.split(": ").last().unwrap_or(&e)),
                other => format!("{other:?}"),
            };
        }
    }
    (cpu as f64 * 10.0 / times as f64, wall / times, first)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let binary = std::env::args()
        .nth(1)
        .expect("usage: attacks <path to mamori-server>");
    let limits = ChunkLimits::default();
    println!(
        "== crafted sync messages beside honest ones (server process, --open-sync, 8 MiB frames)"
    );
    for size in [64 * 1024, 1024 * 1024] {
        let server = start(std::path::Path::new(&binary)).await;
        let pid = server.child.id();
        let honest = honest(size);
        let wire = honest.len();
        let budget_ops = limits.ops_floor + limits.ops_per_kib * wire as u64 / 1024;
        let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
            (
                "honest: ledger rows (changes of 64 rows)",
                vec![honest.clone()],
            ),
            (
                "compressed change bomb (inflates to 1 GB)",
                vec![craft::compressed_bomb(1 << 30)],
            ),
            (
                "document with a DEFLATE'd column bomb (1 GB)",
                vec![craft::document_column_bomb(1 << 30)],
            ),
            (
                "run lengths declaring 10^8 operations",
                vec![craft::run_length_bomb(100_000_000, &[1; 16])],
            ),
            (
                "run lengths at the budget (the worst accepted)",
                vec![craft::run_length_bomb_padded(
                    budget_ops - 8,
                    &[2; 16],
                    wire.saturating_sub(64),
                )],
            ),
        ];
        let idle = proc_status_kib(pid, "VmHWM");
        println!(
            "-- messages of about {} KB (server peak before them: {} MB)",
            wire / 1024,
            idle / 1024
        );
        let mut honest_cpu = 0.0;
        let mut worst: f64 = 0.0;
        for (what, chunks) in &cases {
            let bytes: usize = chunks.iter().map(Vec::len).sum();
            let (cpu, wall, answer) = cost(&server, chunks, 5).await;
            let peak = proc_status_kib(pid, "VmHWM") / 1024;
            if what.starts_with("honest") {
                honest_cpu = cpu;
            } else {
                worst = worst.max(cpu);
            }
            println!(
                "{what:<48} {:>7} KB  server CPU {cpu:>7.1} ms  wall {:>7.1} ms  peak so far {peak:>4} MB  {answer}",
                bytes / 1024,
                wall.as_secs_f64() * 1000.0
            );
        }
        let peak = proc_status_kib(pid, "VmHWM");
        println!(
            "worst crafted / honest: {:.2}x (target <= 2x); server peak {} MB (target <= {} MB)",
            worst / honest_cpu.max(10.0),
            peak / 1024,
            64 + 4 * FRAME / (1024 * 1024)
        );
    }
}
