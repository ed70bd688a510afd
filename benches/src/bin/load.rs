//! The echo load benchmark: tether's echo server against echo servers built
//! on tokio-tungstenite, fastwebsockets and tokio-websockets
//! (`bench-echo-server`), each a separate process on a single-threaded
//! runtime, driven by one load generator on 127.0.0.1.
//!
//! ```text
//! cargo build --release -p tether-benches --bins
//! target/release/bench-load [--seconds 3] [--reps 1] [--impls tether,fastwebsockets] \
//!     [--conns 1,64,512] [--sizes 16,1024,16384] > load.md
//! ```
//!
//! For every implementation, connection count C and message size S: C
//! connections each send a binary message of S bytes, wait for its echo,
//! and send the next, for the given time (and at most 10 million round
//! trips). Reported: round trips per second, p50 and p99 round-trip
//! latency, and the server's CPU time per message (from
//! `/proc/<pid>/task/*/schedstat`, nanoseconds on CPU, divided by the round
//! trips). Then, for each implementation, a fresh server process gets 512
//! connections that complete the handshake and stay idle for a second: its
//! peak RSS (`VmHWM`) then, and before any connection.
//!
//! The load generator is tether-cli's WebSocket echo load
//! (`tether_cli::loadgen::ws_echo`, what `tether load ws://...` runs) on
//! tether's client, on its own single-threaded runtime; on a 2-core machine the server and the generator each have a
//! core. Round trips per second can be bound by the generator; CPU time per
//! message is the server's own.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tether_benches::procstat;
use tether_cli::loadgen::{ws_echo, Counters, Latencies, Plan};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

const IMPLS: [&str; 4] = [
    "tether",
    "tokio-tungstenite",
    "fastwebsockets",
    "tokio-websockets",
];
const MAX_ROUND_TRIPS: u64 = 10_000_000;

struct Options {
    seconds: f64,
    reps: usize,
    impls: Vec<String>,
    conns: Vec<usize>,
    sizes: Vec<usize>,
    idle: usize,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 3.0,
        reps: 1,
        impls: IMPLS.iter().map(|s| (*s).to_owned()).collect(),
        conns: vec![1, 64, 512],
        sizes: vec![16, 1024, 16384],
        idle: 512,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = |v: &str| v.split(',').map(str::to_owned).collect::<Vec<_>>();
    let nums = |v: &str| {
        v.split(',')
            .filter_map(|n| n.parse().ok())
            .collect::<Vec<usize>>()
    };
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--seconds", Some(v)) => o.seconds = v.parse().unwrap_or(3.0),
            ("--reps", Some(v)) => o.reps = v.parse().unwrap_or(1).max(1),
            ("--impls", Some(v)) => o.impls = list(v),
            ("--conns", Some(v)) => o.conns = nums(v),
            ("--sizes", Some(v)) => o.sizes = nums(v),
            ("--idle", Some(v)) => o.idle = v.parse().unwrap_or(512),
            (flag, _) => panic!("unknown or incomplete option {flag}"),
        }
    }
    o
}

fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.with_file_name("bench-echo-server")
}

async fn start_server(which: &str) -> (Child, u16) {
    let mut child = Command::new(server_binary())
        .arg(which)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect(
            "bench-echo-server (build it with `cargo build --release -p tether-benches --bins`)",
        );
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = lines.next_line().await.expect("read").expect("a line");
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .expect("listening <port>");
    (child, port)
}

struct Run {
    round_trips: u64,
    elapsed: Duration,
    latencies: Latencies,
    cpu_ns: u64,
}

/// `n` connections to the echo server at `port` (tether-cli's load
/// generator opens them).
async fn connect_all(port: u16, n: usize) -> ws_echo::EchoLoad {
    let counters = Arc::new(Counters::default());
    let conns = ws_echo::connect(&format!("ws://127.0.0.1:{port}/"), n, &counters).await;
    if let Some((_, _, first)) = conns.connect_errors().iter().next() {
        panic!("connect: {first}");
    }
    conns
}

/// The echo load itself is tether-cli's (`tether load ws://...`): a closed
/// loop per connection, with its latency samples and percentiles.
async fn load(pid: u32, port: u16, conns: usize, size: usize, seconds: f64) -> Run {
    let mut sockets = connect_all(port, conns).await;
    let counters = Arc::new(Counters::default());
    let plan = Plan::new(Duration::from_secs_f64(seconds))
        .with_size(size)
        .with_max_messages(MAX_ROUND_TRIPS);
    let cpu_before = procstat::cpu_ns(pid);
    let outcome = sockets.run(&plan, &counters).await;
    let cpu = procstat::cpu_ns(pid).saturating_sub(cpu_before);
    if let Some((kind, n, first)) = outcome.errors.iter().next() {
        panic!("{n} {kind} error(s), the first: {first}");
    }
    Run {
        round_trips: outcome.received,
        elapsed: outcome.elapsed,
        latencies: outcome.latencies,
        cpu_ns: cpu,
    }
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        println!("### Echo load: round trips, latency, server CPU per message\n");
        println!(
            "{} s per cell, {} repetition(s) with the servers taking turns cell by cell (medians shown); binary messages; one load generator (tether's client).\n",
            o.seconds, o.reps
        );
        // Every server runs for the whole measurement, and the servers take
        // turns cell by cell in each repetition, so that drift in the
        // machine's speed hits them alike.
        let mut servers = Vec::new();
        for which in &o.impls {
            let (child, port) = start_server(which).await;
            servers.push((which.clone(), child, port));
        }
        type Cell = (String, usize, usize);
        let mut results: std::collections::BTreeMap<Cell, Vec<(f64, f64, u32, u32)>> =
            Default::default();
        for _ in 0..o.reps {
            for &conns in &o.conns {
                for &size in &o.sizes {
                    for (which, child, port) in &servers {
                        let pid = child.id().expect("pid");
                        let run = load(pid, *port, conns, size, o.seconds).await;
                        let rate = run.round_trips as f64 / run.elapsed.as_secs_f64();
                        let cpu_per = run.cpu_ns as f64 / run.round_trips.max(1) as f64 / 1000.0;
                        results.entry((which.clone(), conns, size)).or_default().push((
                            rate,
                            cpu_per,
                            run.latencies.percentile(0.5),
                            run.latencies.percentile(0.99),
                        ));
                        // Let the server drop the closed connections.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        }
        drop(servers);
        let median = |mut v: Vec<f64>| -> f64 {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!("| server | connections | size | round trips/s | p50 µs | p99 µs | server CPU µs/msg |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let mut cpu: Vec<(Cell, f64)> = Vec::new();
        for which in &o.impls {
            for &conns in &o.conns {
                for &size in &o.sizes {
                    let Some(runs) = results.get(&(which.clone(), conns, size)) else {
                        continue;
                    };
                    let rate = median(runs.iter().map(|r| r.0).collect());
                    let cpu_per = median(runs.iter().map(|r| r.1).collect());
                    let p50 = median(runs.iter().map(|r| f64::from(r.2)).collect());
                    let p99 = median(runs.iter().map(|r| f64::from(r.3)).collect());
                    cpu.push(((which.clone(), conns, size), cpu_per));
                    println!("| {which} | {conns} | {size} | {rate:.0} | {p50:.0} | {p99:.0} | {cpu_per:.2} |");
                }
            }
        }
        let cpu_at_64_16: Vec<(String, f64)> = cpu
            .iter()
            .filter(|((_, c, s), _)| *c == 64 && *s == 16)
            .map(|((w, _, _), v)| (w.clone(), *v))
            .collect();
        // tether's CPU per message against the best peer's, cell by cell.
        let mut per_cell: Vec<(usize, usize, f64, String)> = Vec::new();
        for &conns in &o.conns {
            for &size in &o.sizes {
                let of = |w: &str| cpu.iter().find(|((n, c, s), _)| n == w && *c == conns && *s == size).map(|(_, v)| *v);
                let Some(t) = of("tether") else { continue };
                let best = o
                    .impls
                    .iter()
                    .filter(|w| *w != "tether")
                    .filter_map(|w| of(w).map(|v| (v, w.clone())))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((b, name)) = best {
                    per_cell.push((conns, size, t / b, name));
                }
            }
        }
        if !per_cell.is_empty() {
            println!("\n#### tether's server CPU per message ÷ the best peer's\n");
            println!("| connections | size | best peer | ratio | at or below |\n|---:|---:|---|---:|---|");
            for (conns, size, r, name) in &per_cell {
                println!("| {conns} | {size} | {name} | {r:.2}× | {} |", if *r <= 1.0 { "yes" } else { "**no**" });
            }
        }

        println!("\n### Peak RSS of each server with {} idle connections\n", o.idle);
        println!("| server | peak RSS before connections | peak RSS with {} idle connections | per connection |", o.idle);
        println!("|---|---:|---:|---:|");
        let mut rss: Vec<(String, u64)> = Vec::new();
        for which in &o.impls {
            let (child, port) = start_server(which).await;
            let pid = child.id().expect("pid");
            tokio::time::sleep(Duration::from_millis(200)).await;
            let before = procstat::status_kib(pid, "VmHWM:");
            let conns = connect_all(port, o.idle).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let after = procstat::status_kib(pid, "VmHWM:");
            drop(conns);
            drop(child);
            let per = (after.saturating_sub(before)) as f64 * 1024.0 / o.idle.max(1) as f64;
            println!("| {which} | {before} KiB | {after} KiB | {per:.0} B |");
            rss.push((which.clone(), after));
        }

        println!("\n### Targets\n");
        println!("| target | measured | met |\n|---|---:|---|");
        let ratio = |values: &[(String, f64)]| -> Option<f64> {
            let tether = values.iter().find(|(n, _)| n == "tether")?.1;
            let best = values.iter().filter(|(n, _)| n != "tether").map(|(_, v)| *v).fold(f64::INFINITY, f64::min);
            best.is_finite().then_some(tether / best)
        };
        match ratio(&cpu_at_64_16) {
            Some(r) => println!(
                "| server CPU per message at 64 connections, 16 B ≤ 0.7× the best peer's (issue 4) | {r:.2}× | {} |",
                if r <= 0.7 { "yes" } else { "**no**" }
            ),
            None => println!("| server CPU per message at 64 connections, 16 B | – | not measured |"),
        }
        let worst = per_cell.iter().map(|c| c.2).fold(0.0f64, f64::max);
        if !per_cell.is_empty() {
            println!(
                "| server CPU per message in every echo cell at or below the best peer's (issue 10) | worst {worst:.2}× | {} |",
                if worst <= 1.0 { "yes" } else { "**no**" }
            );
        }
        let rss_f: Vec<(String, f64)> = rss.iter().map(|(n, v)| (n.clone(), *v as f64)).collect();
        match ratio(&rss_f) {
            Some(r) => println!(
                "| peak RSS with {} idle connections below every peer's | {r:.2}× the lowest peer | {} |",
                o.idle,
                if r < 1.0 { "yes" } else { "**no**" }
            ),
            None => println!("| peak RSS with idle connections | – | not measured |"),
        }
    });
}
