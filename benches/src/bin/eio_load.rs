//! The Engine.IO load benchmark: tether's `EngineServer` against
//! engineioxide (socketioxide's Engine.IO server) and the Node `engine.io`
//! server, each an echo server in its own process (`bench-eio-server`,
//! `interop/node/eio_echo_server.mjs`), single-threaded, driven by one load
//! generator on 127.0.0.1.
//!
//! ```text
//! cargo build --release -p tether-benches --bins
//! (cd interop/node && npm ci)       # scripts/interop-setup.sh does it
//! target/release/bench-eio-load [--seconds 3] [--reps 1] [--impls tether,engineioxide,node] \
//!     [--transports websocket,polling] [--idle 10000] > eio.md
//! ```
//!
//! Cells: WebSocket sessions (1 and 64) each sending a text message of 16
//! or 1024 bytes and waiting for its echo before the next; long-polling
//! sessions (1 and 64) each doing `POST` of a 16-byte message then `GET` of
//! its echo on one keep-alive connection. Reported per cell: round trips
//! per second and the server's CPU time per round trip
//! (`/proc/<pid>/task/*/schedstat`). Then, for each server, a fresh process
//! gets `--idle` WebSocket sessions that stay idle, and another `--idle`
//! polling sessions (handshake only): the growth of its resident memory
//! (`VmRSS`) divided by the sessions.
//!
//! The generator speaks Engine.IO itself (tether-ws's client for the
//! WebSocket, HTTP/1.1 by hand for polling) and answers pings.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tether_benches::loadgen::{self, median, Ws};
use tether_benches::procstat;
use tether_ws::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;

const IMPLS: [&str; 3] = ["tether", "engineioxide", "node"];

struct Options {
    seconds: f64,
    reps: usize,
    impls: Vec<String>,
    idle: usize,
    transports: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 3.0,
        reps: 1,
        impls: IMPLS.iter().map(|s| (*s).to_owned()).collect(),
        idle: 10_000,
        transports: vec!["websocket".to_owned(), "polling".to_owned()],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--seconds", Some(v)) => o.seconds = v.parse().unwrap_or(3.0),
            ("--reps", Some(v)) => o.reps = v.parse().unwrap_or(1).max(1),
            ("--impls", Some(v)) => o.impls = v.split(',').map(str::to_owned).collect(),
            ("--idle", Some(v)) => o.idle = v.parse().unwrap_or(10_000),
            ("--transports", Some(v)) => o.transports = v.split(',').map(str::to_owned).collect(),
            (flag, _) => panic!("unknown or incomplete option {flag}"),
        }
    }
    o
}

async fn start_server(which: &str) -> (Child, u16) {
    let command = if which == "node" {
        loadgen::node("eio_echo_server.mjs")
    } else {
        let mut c = loadgen::sibling("bench-eio-server");
        c.arg(which);
        c
    };
    loadgen::start_server(command).await
}

async fn ws_session(port: u16) -> Ws {
    loadgen::engine_ws(port, "/engine.io/").await
}

/// Sends `4<payload>` and waits for its echo, answering pings; false if
/// the session ended.
async fn ws_round_trip(ws: &mut Ws, packet: &str) -> bool {
    if ws.send(Message::text(packet.to_owned())).await.is_err() {
        return false;
    }
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with('4') => return true,
            Some(Ok(Message::Text(t))) if &*t == "2" => {
                if ws.send(Message::text("3")).await.is_err() {
                    return false;
                }
            }
            Some(Ok(_)) => {}
            _ => return false,
        }
    }
}

/// One HTTP/1.1 request on a keep-alive connection; the status and body.
async fn http(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    method: &str,
    target: &str,
    body: &str,
) -> (u16, String) {
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                return (status, body);
            }
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

struct Polling {
    stream: TcpStream,
    buf: Vec<u8>,
    query: String,
    pong_due: bool,
}

/// A polling handshake on a keep-alive connection; the session id.
async fn polling_handshake(stream: &mut TcpStream, buf: &mut Vec<u8>) -> String {
    let (status, body) = http(
        stream,
        buf,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        "",
    )
    .await;
    assert_eq!(status, 200, "handshake");
    let json: serde_json::Value =
        serde_json::from_str(body.trim_start_matches('0')).expect("open packet");
    json["sid"].as_str().expect("sid").to_owned()
}

async fn polling_session(port: u16) -> Polling {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let sid = polling_handshake(&mut stream, &mut buf).await;
    Polling {
        stream,
        buf,
        query: format!("/engine.io/?EIO=4&transport=polling&sid={sid}"),
        pong_due: false,
    }
}

async fn polling_round_trip(p: &mut Polling, packet: &str) -> bool {
    let body = if std::mem::take(&mut p.pong_due) {
        format!("3\x1e{packet}")
    } else {
        packet.to_owned()
    };
    let (status, _) = http(&mut p.stream, &mut p.buf, "POST", &p.query, &body).await;
    if status != 200 {
        return false;
    }
    loop {
        let (status, body) = http(&mut p.stream, &mut p.buf, "GET", &p.query, "").await;
        if status != 200 {
            return false;
        }
        let mut echoed = false;
        for packet in body.split('\x1e') {
            match packet.as_bytes().first() {
                Some(b'4') => echoed = true,
                Some(b'2') => p.pong_due = true,
                _ => {}
            }
        }
        if echoed {
            return true;
        }
    }
}

#[derive(Clone, Copy)]
enum Cell {
    WebSocket { sessions: usize, size: usize },
    Polling { sessions: usize, size: usize },
}

impl Cell {
    fn name(self) -> String {
        match self {
            Cell::WebSocket { sessions, size } => format!("| WebSocket | {sessions} | {size} |"),
            Cell::Polling { sessions, size } => format!("| polling | {sessions} | {size} |"),
        }
    }
}

async fn run_cell(port: u16, pid: u32, cell: Cell, seconds: f64) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (sessions, size, ws) = match cell {
        Cell::WebSocket { sessions, size } => (sessions, size, true),
        Cell::Polling { sessions, size } => (sessions, size, false),
    };
    let packet = format!("4{}", "x".repeat(size));
    let mut tasks = Vec::new();
    let start_barrier = std::sync::Arc::new(tokio::sync::Barrier::new(sessions + 1));
    for _ in 0..sessions {
        let packet = packet.clone();
        let barrier = start_barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut count = 0u64;
            if ws {
                let mut s = ws_session(port).await;
                barrier.wait().await;
                while Instant::now() < deadline && count < 5_000_000 {
                    if !ws_round_trip(&mut s, &packet).await {
                        break;
                    }
                    count += 1;
                }
            } else {
                let mut s = polling_session(port).await;
                barrier.wait().await;
                while Instant::now() < deadline && count < 5_000_000 {
                    if !polling_round_trip(&mut s, &packet).await {
                        break;
                    }
                    count += 1;
                }
            }
            count
        }));
    }
    start_barrier.wait().await;
    let cpu0 = procstat::cpu_ns(pid);
    let t0 = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("session task");
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = procstat::cpu_ns(pid).saturating_sub(cpu0);
    let per_sec = total as f64 / elapsed;
    let cpu_us = if total == 0 {
        0.0
    } else {
        cpu as f64 / total as f64 / 1000.0
    };
    (per_sec, cpu_us)
}

async fn idle(which: &str, n: usize) -> (f64, f64) {
    // WebSocket sessions.
    let (child, port) = start_server(which).await;
    let pid = child.id().expect("pid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = procstat::status_kib(pid, "VmRSS:");
    let held = loadgen::batched(n, 64, |_| ws_session(port)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ws_per =
        (procstat::status_kib(pid, "VmRSS:").saturating_sub(before) * 1024) as f64 / n as f64;
    drop(held);
    drop(child);
    // Polling sessions: the handshake only, then nothing.
    let (child, port) = start_server(which).await;
    let pid = child.id().expect("pid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = procstat::status_kib(pid, "VmRSS:");
    let mut tasks = Vec::new();
    for t in 0..8 {
        let count = n / 8 + usize::from(t < n % 8);
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            let mut buf = Vec::new();
            for _ in 0..count {
                polling_handshake(&mut stream, &mut buf).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("handshakes");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let polling_per =
        (procstat::status_kib(pid, "VmRSS:").saturating_sub(before) * 1024) as f64 / n as f64;
    drop(child);
    (ws_per, polling_per)
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let all = [
            Cell::WebSocket { sessions: 1, size: 16 },
            Cell::WebSocket { sessions: 64, size: 16 },
            Cell::WebSocket { sessions: 1, size: 1024 },
            Cell::WebSocket { sessions: 64, size: 1024 },
            Cell::Polling { sessions: 1, size: 16 },
            Cell::Polling { sessions: 64, size: 16 },
        ];
        let cells: Vec<Cell> = all
            .into_iter()
            .filter(|c| {
                let name = match c {
                    Cell::WebSocket { .. } => "websocket",
                    Cell::Polling { .. } => "polling",
                };
                o.transports.iter().any(|t| t == name)
            })
            .collect();
        let mut results: Vec<Vec<(Vec<f64>, Vec<f64>)>> = vec![vec![(Vec::new(), Vec::new()); cells.len()]; o.impls.len()];
        for _ in 0..o.reps {
            for (c, cell) in cells.iter().enumerate() {
                for (i, which) in o.impls.iter().enumerate() {
                    let (child, port) = start_server(which).await;
                    let pid = child.id().expect("pid");
                    let (rate, cpu) = run_cell(port, pid, *cell, o.seconds).await;
                    results[i][c].0.push(rate);
                    results[i][c].1.push(cpu);
                    drop(child);
                    eprintln!("{which} {} {rate:.0}/s {cpu:.2} µs", cell.name());
                }
            }
        }
        println!("### Engine.IO echo: round trips per second and server CPU per round trip\n");
        println!(
            "{} s per cell, {} repetition(s), medians; text messages; a fresh server process per cell; one load generator.\n",
            o.seconds, o.reps
        );
        println!("| transport | sessions | bytes | server | round trips/s | server CPU µs/round trip |");
        println!("|---|---:|---:|---|---:|---:|");
        for (c, cell) in cells.iter().enumerate() {
            for (i, which) in o.impls.iter().enumerate() {
                let (rates, cpus) = &results[i][c];
                println!("{} {which} | {:.0} | {:.2} |", cell.name(), median(rates.clone()), median(cpus.clone()));
            }
        }
        if let Some(x) = o.impls.iter().position(|i| i == "engineioxide") {
            if let Some(t) = o.impls.iter().position(|i| i == "tether") {
                println!("\n#### tether ÷ engineioxide\n");
                println!("| transport | sessions | bytes | throughput ratio | CPU per round trip ratio |");
                println!("|---|---:|---:|---:|---:|");
                for (c, cell) in cells.iter().enumerate() {
                    let r = median(results[t][c].0.clone()) / median(results[x][c].0.clone());
                    let cpu = median(results[t][c].1.clone()) / median(results[x][c].1.clone());
                    println!("{} {r:.2}× | {cpu:.2}× |", cell.name());
                }
            }
        }
        println!("\n### Bytes per idle session ({} sessions, growth of the server's VmRSS)\n", o.idle);
        println!("| server | WebSocket | polling |");
        println!("|---|---:|---:|");
        for which in &o.impls {
            let (ws, polling) = idle(which, o.idle).await;
            println!("| {which} | {ws:.0} B | {polling:.0} B |");
        }
    });
}
