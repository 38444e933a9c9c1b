//! Load generator (first step of the sync-under-load issue): N WebSocket clients speaking the automerge-repo
//! protocol across D documents, each editing its document every P ms for S seconds. For every edit it measures
//! the time until each other client on that document has it, and prints deliveries per second, p50/p99/max
//! latency, lost deliveries, its own CPU use and, given the server's pid, the server's CPU time and peak memory.
//!
//! `cargo run --profile server -p mamori-tests --bin load -- --url http://localhost:8080 --clients 300 --docs 60`

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use clap::Parser;
use mamori_shared::model::DocumentId;
use mamori_tests::sync_client::Device;
use tokio::sync::Mutex;

#[derive(Parser, Debug)]
struct Args {
    /// The server (`http://localhost:PORT`).
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 300)]
    clients: usize,
    #[arg(long, default_value_t = 60)]
    docs: usize,
    /// Milliseconds between one client's edits.
    #[arg(long, default_value_t = 1000)]
    period_ms: u64,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// The server's process id, to read its CPU time and peak memory from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// CPU seconds (user + system) of a process, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

fn peak_rss_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:")
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Edit stamps: key `c<client>` = "<seq>:<micros since start>".
fn stamp(seq: u64, start: Instant) -> String {
    format!("{seq}:{}", start.elapsed().as_micros())
}

fn parse(v: &str) -> Option<(u64, u128)> {
    let (s, t) = v.split_once(':')?;
    Some((s.parse().ok()?, t.parse().ok()?))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let start = Instant::now();
    let docs: Vec<DocumentId> = (0..args.docs).map(|_| DocumentId::generate()).collect();
    let latencies = Arc::new(Mutex::new(Vec::<f64>::with_capacity(1 << 16)));
    let sent = Arc::new(AtomicU64::new(0));
    let cpu0 = cpu_seconds("self");
    let server_cpu0 = args.server_pid.map(|p| cpu_seconds(&p.to_string()));

    // One task per client; client i edits document i % D.
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let (url, doc) = (args.url.clone(), docs[i % args.docs]);
        let (latencies, sent) = (latencies.clone(), sent.clone());
        let (period, seconds) = (Duration::from_millis(args.period_ms), args.seconds);
        tasks.push(tokio::spawn(async move {
            let mut d = Device::new(&format!("load-{i}"));
            d.connect(&url).await;
            d.add(doc, AutoCommit::new()).await;
            let me = format!("c{i}");
            let mut seen: HashMap<String, u64> = HashMap::new();
            let mut seq = 0;
            let mut next = Instant::now() + period.mul_f64((i % 100) as f64 / 100.0);
            let end = start + Duration::from_secs(seconds);
            let drain_until = end + Duration::from_secs(3);
            while Instant::now() < drain_until {
                if Instant::now() >= next && Instant::now() < end {
                    seq += 1;
                    let value = stamp(seq, start);
                    d.edit(doc, |x| x.put(ROOT, me.as_str(), value).unwrap())
                        .await;
                    sent.fetch_add(1, Ordering::Relaxed);
                    next += period;
                }
                let wait = next
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(20));
                if d.pump_once(wait.max(Duration::from_millis(1))).await {
                    // Record every other client's edits that are new to this client.
                    let now = start.elapsed().as_micros();
                    let mut found = Vec::new();
                    let copy = &d.docs[&doc];
                    for key in copy.keys(ROOT) {
                        if key == me {
                            continue;
                        }
                        if let Some((v, _)) = copy.get(ROOT, key.as_str()).ok().flatten()
                            && let Some((s, t)) = v.into_string().ok().as_deref().and_then(parse)
                            && seen.get(&key).is_none_or(|old| *old < s)
                        {
                            // Intermediate edits overwritten before arrival count as delivered with this one.
                            let skipped = s - seen.get(&key).copied().unwrap_or(0);
                            found.push(((now - t) as f64 / 1000.0, skipped));
                            seen.insert(key, s);
                        }
                    }
                    let mut lat = latencies.lock().await;
                    for (ms, n) in found {
                        for _ in 0..n {
                            lat.push(ms);
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }

    let elapsed = start.elapsed().as_secs_f64();
    let mut lat = latencies.lock().await.clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    let per_doc = args.clients as f64 / args.docs as f64;
    let expected = (sent.load(Ordering::Relaxed) as f64 * (per_doc - 1.0)).round() as u64;
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let cpu = cpu_seconds("self") - cpu0;
    println!(
        "clients {} docs {} period {} ms for {} s",
        args.clients, args.docs, args.period_ms, args.seconds
    );
    println!(
        "edits {} deliveries {} ({:.0}/s) lost {} | latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        sent.load(Ordering::Relaxed),
        lat.len(),
        lat.len() as f64 / args.seconds as f64,
        expected.saturating_sub(lat.len() as u64),
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    let busy = cpu / elapsed;
    println!(
        "generator CPU {cpu:.1} s ({:.0}% of one core){}",
        busy * 100.0,
        if busy > 0.9 {
            " — INVALID: the generator saturated a core"
        } else {
            ""
        }
    );
    if let (Some(pid), Some(c0)) = (args.server_pid, server_cpu0) {
        let pid = pid.to_string();
        println!(
            "server CPU {:.1} s, peak memory {} MB",
            cpu_seconds(&pid) - c0,
            peak_rss_kb(&pid) / 1024
        );
    }
}
