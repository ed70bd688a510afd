//! The Socket.IO load benchmark: tether-socketio's server against
//! socketioxide and the Node `socket.io` server, each running the same
//! application in its own process (`bench-sio-server`,
//! `interop/node/sio_bench_server.mjs`), single-threaded, driven by one
//! single-threaded load generator on 127.0.0.1.
//!
//! ```text
//! cargo build --release -p tether-benches --bins
//! (cd interop/node && npm ci)       # scripts/interop-setup.sh does it
//! target/release/bench-sio-load [--seconds 3] [--reps 1] [--impls tether,socketioxide,node] \
//!     [--idle 10000] [--clients 1000] [--events 100] [--cells acks,fanout,idle] > sio.md
//! ```
//!
//! Cells, each on a fresh server process:
//!
//! * acks: 1 and 64 clients, each emitting `ack` with a 16-byte string and
//!   waiting for its acknowledgement before the next (closed loop), for
//!   `--seconds`: round trips per second and the server's CPU time per
//!   round trip (`/proc/<pid>/task/*/schedstat`);
//! * fan-out: `--clients` clients join one room (`join`, acknowledged),
//!   then another client emits `fanout` (room, `--events`): the server
//!   emits that many `msg` events to the room. One warm-up round, then
//!   rounds for `--seconds` (at most 1,000): the time from sending
//!   `fanout` until the last client has the last event, the deliveries
//!   (clients × events) per second over that time, and the server's CPU
//!   time per delivery. Each client checks its events arrive in order with
//!   none missing;
//! * idle: `--idle` clients connected to the namespace `/` over WebSocket
//!   (answering pings, sending nothing): the growth of the server's
//!   resident memory (`VmRSS`) divided by the clients.
//!
//! The default `--events` (100) stays under socketioxide's default
//! per-client buffer (128 packets); a larger burst makes it drop events
//! (and tether, past its 1,024, close the client), which the `lost` column
//! shows.
//!
//! The generator speaks Engine.IO v4 over WebSocket (tether-ws's client)
//! and Socket.IO v5 (tether-socketio's `Packet` and `PacketDecoder`)
//! itself, and answers pings.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tether_benches::loadgen::{self, median, Ws};
use tether_benches::procstat;
use tether_socketio::{EnginePacket, Packet, PacketDecoder, PacketType, Utf8Bytes};
use tether_ws::Message;
use tokio::process::Child;

const IMPLS: [&str; 3] = ["tether", "socketioxide", "node"];
/// The room the fan-out clients join.
const ROOM: &str = "bench";
/// How long one reply (CONNECT, an acknowledgement) may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one fan-out round may take.
const ROUND_TIMEOUT: Duration = Duration::from_secs(30);
/// Round trips per client in one ack cell, at most.
const MAX_ROUND_TRIPS: u64 = 5_000_000;
/// Measured fan-out rounds in one cell, at most.
const MAX_ROUNDS: usize = 1_000;

struct Options {
    seconds: f64,
    reps: usize,
    impls: Vec<String>,
    idle: usize,
    clients: usize,
    events: u32,
    cells: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 3.0,
        reps: 1,
        impls: IMPLS.iter().map(|s| (*s).to_owned()).collect(),
        idle: 10_000,
        clients: 1_000,
        events: 100,
        cells: vec!["acks".to_owned(), "fanout".to_owned(), "idle".to_owned()],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--seconds", Some(v)) => o.seconds = v.parse().unwrap_or(3.0),
            ("--reps", Some(v)) => o.reps = v.parse().unwrap_or(1).max(1),
            ("--impls", Some(v)) => o.impls = v.split(',').map(str::to_owned).collect(),
            ("--idle", Some(v)) => o.idle = v.parse().unwrap_or(10_000),
            ("--clients", Some(v)) => o.clients = v.parse().unwrap_or(1_000).max(1),
            ("--events", Some(v)) => o.events = v.parse().unwrap_or(100).clamp(1, 100_000),
            ("--cells", Some(v)) => o.cells = v.split(',').map(str::to_owned).collect(),
            (flag, _) => panic!("unknown or incomplete option {flag}"),
        }
    }
    o
}

async fn start_server(which: &str) -> (Child, u16) {
    let command = if which == "node" {
        loadgen::node("sio_bench_server.mjs")
    } else {
        let mut c = loadgen::sibling("bench-sio-server");
        c.args(["--impl", which, "--port", "0"]);
        c
    };
    loadgen::start_server(command).await
}

/// A Socket.IO client on the main namespace, over an Engine.IO WebSocket.
struct Client {
    ws: Ws,
    decoder: PacketDecoder,
    next_ack: u64,
}

impl Client {
    /// Connects to `/` and waits for the server's CONNECT.
    async fn connect(port: u16) -> Client {
        let ws = loadgen::engine_ws(port, "/socket.io/").await;
        let mut client = Client {
            ws,
            decoder: PacketDecoder::new(),
            next_ack: 0,
        };
        let connect = Packet::connect(tether_socketio::MAIN_NAMESPACE).expect("CONNECT");
        assert!(client.send(&connect).await, "send CONNECT");
        let connected = tokio::time::timeout(REPLY_TIMEOUT, async {
            loop {
                match client.recv().await {
                    Some(p) if p.packet_type() == PacketType::Connect => return true,
                    Some(_) => {}
                    None => return false,
                }
            }
        })
        .await;
        assert_eq!(connected, Ok(true), "no CONNECT from the server");
        client
    }

    /// Sends one Socket.IO packet as an Engine.IO message; false if the
    /// session ended.
    async fn send(&mut self, packet: &Packet) -> bool {
        let mut text = String::with_capacity(1 + packet.text_len());
        text.push('4');
        packet.write_text(&mut text);
        self.ws.send(Message::text(text)).await.is_ok()
    }

    /// The next Socket.IO packet, answering pings on the way; `None` once
    /// the session ended or the server sent something undecodable.
    async fn recv(&mut self) -> Option<Packet> {
        loop {
            let decoded = match self.ws.next().await? {
                Ok(Message::Text(text)) => match EnginePacket::decode_text(text).ok()? {
                    EnginePacket::Message(text) => self.decoder.decode_text(text).ok()?,
                    EnginePacket::Ping(_) => {
                        let pong = Message::text(Utf8Bytes::from_static("3"));
                        if self.ws.send(pong).await.is_err() {
                            return None;
                        }
                        None
                    }
                    EnginePacket::Close => return None,
                    _ => None,
                },
                Ok(Message::Binary(data)) => self.decoder.decode_binary(data).ok()?,
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => None,
            };
            if decoded.is_some() {
                return decoded;
            }
        }
    }

    /// Emits `event` with `args` asking for an acknowledgement and waits
    /// for it (other packets are dropped), within [`REPLY_TIMEOUT`].
    async fn call<A: serde::Serialize + ?Sized>(
        &mut self,
        event: &str,
        args: &A,
    ) -> Option<Packet> {
        let id = self.next_ack;
        self.next_ack += 1;
        let packet =
            Packet::event_with_ack(tether_socketio::MAIN_NAMESPACE, event, args, id).ok()?;
        if !self.send(&packet).await {
            return None;
        }
        tokio::time::timeout(REPLY_TIMEOUT, async {
            loop {
                let p = self.recv().await?;
                if p.is_ack() && p.ack_id() == Some(id) {
                    return Some(p);
                }
            }
        })
        .await
        .ok()?
    }
}

/// One measurement: messages per second, the server's CPU µs per message,
/// and the load generator's CPU use (% of one core) over the same time.
#[derive(Clone, Copy, Default)]
struct Sample {
    rate: f64,
    cpu_us: f64,
    generator_pct: f64,
}

/// CPU time of the server and of this generator, to measure an interval.
struct Clocks {
    server: u32,
    wall: Instant,
    server_ns: u64,
    generator_ns: u64,
}

impl Clocks {
    fn start(server: u32) -> Clocks {
        Clocks {
            server,
            wall: Instant::now(),
            server_ns: procstat::cpu_ns(server),
            generator_ns: procstat::cpu_ns(std::process::id()),
        }
    }

    /// `messages` over the time since `start`, or until `end` if given
    /// (the CPU times are read now either way).
    fn sample(&self, messages: u64, end: Option<Instant>) -> Sample {
        let server = procstat::cpu_ns(self.server).saturating_sub(self.server_ns);
        let generator = procstat::cpu_ns(std::process::id()).saturating_sub(self.generator_ns);
        let wall = end
            .unwrap_or_else(Instant::now)
            .saturating_duration_since(self.wall);
        let secs = wall.as_secs_f64();
        if messages == 0 || secs == 0.0 {
            return Sample::default();
        }
        Sample {
            rate: messages as f64 / secs,
            cpu_us: server as f64 / messages as f64 / 1000.0,
            generator_pct: generator as f64 / 1e9 / self.wall.elapsed().as_secs_f64() * 100.0,
        }
    }
}

/// The ack cell: `clients` closed loops of `ack` for `seconds`.
async fn ack_cell(port: u16, pid: u32, clients: usize, seconds: f64) -> Sample {
    let payload = "x".repeat(16);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients + 1));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let payload = payload.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(port).await;
            // Every client connected: the clock starts for all at once.
            barrier.wait().await;
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            let mut count = 0u64;
            while Instant::now() < deadline && count < MAX_ROUND_TRIPS {
                let Some(ack) = client.call("ack", &(payload.as_str(),)).await else {
                    break;
                };
                match ack.ack_args::<(&str,)>() {
                    Ok((echoed,)) if echoed == payload => count += 1,
                    other => panic!("ack answered with {other:?}"),
                }
            }
            count
        }));
    }
    barrier.wait().await;
    let clocks = Clocks::start(pid);
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client task");
    }
    clocks.sample(total, None)
}

/// A fan-out cell's rounds.
#[derive(Default)]
struct Fanout {
    /// Per measured round: deliveries per second from sending `fanout` to
    /// the last event at the last client, server CPU per delivery,
    /// generator CPU.
    rounds: Vec<Sample>,
    /// Per measured round: that time, ms.
    last_ms: Vec<f64>,
    /// Events that had not arrived when their round ended (a gap in a
    /// client's sequence, or a round that timed out).
    lost: u64,
}

/// What a fan-out client reports at the end of each round: when it got
/// the round's last event and how many of the round's events it got.
type RoundEnd = (Instant, u32);

/// A fan-out client: answers pings, counts the `msg` events and reports
/// each round's end (its last event).
async fn receiver(
    mut client: Client,
    events: u32,
    rounds: tokio::sync::mpsc::UnboundedSender<RoundEnd>,
) {
    let mut got = 0u32;
    while let Some(p) = client.recv().await {
        if p.event_name().as_ref().and_then(|n| n.as_str()) != Some("msg") {
            continue;
        }
        let Ok((i,)) = p.args::<(u32,)>() else {
            continue;
        };
        got += 1;
        if i + 1 == events {
            if rounds.send((Instant::now(), got)).is_err() {
                return;
            }
            got = 0;
        }
    }
}

/// The fan-out cell: `clients` clients in [`ROOM`], rounds of one
/// `fanout` of `events` for `seconds` after a warm-up round.
async fn fanout_cell(port: u16, pid: u32, clients: usize, events: u32, seconds: f64) -> Fanout {
    let members = loadgen::batched(clients, 64, |_| async move {
        let mut client = Client::connect(port).await;
        assert!(
            client.call("join", &(ROOM,)).await.is_some(),
            "join not acknowledged"
        );
        client
    })
    .await;
    let mut controller = Client::connect(port).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let receivers: Vec<_> = members
        .into_iter()
        .map(|c| tokio::spawn(receiver(c, events, tx.clone())))
        .collect();
    drop(tx);
    let mut result = Fanout::default();
    let per_round = clients as u64 * u64::from(events);
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    // Round 0 warms up and is not counted.
    for round in 0..=MAX_ROUNDS {
        if round > 0 && Instant::now() >= end {
            break;
        }
        let clocks = Clocks::start(pid);
        if controller.call("fanout", &(ROOM, events)).await.is_none() {
            eprintln!("fanout not acknowledged");
            result.lost += per_round;
            break;
        }
        let mut last = clocks.wall;
        let mut delivered = 0u64;
        let mut ended = 0;
        let round_deadline = tokio::time::Instant::now() + ROUND_TIMEOUT;
        while ended < clients {
            match tokio::time::timeout_at(round_deadline, rx.recv()).await {
                Ok(Some((at, got))) => {
                    last = last.max(at);
                    delivered += u64::from(got);
                    ended += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        let sample = clocks.sample(delivered, Some(last));
        result.lost += per_round - delivered.min(per_round);
        if ended < clients {
            eprintln!("round {round}: {ended} of {clients} clients had the last event");
            break;
        }
        if round > 0 {
            result.rounds.push(sample);
            result
                .last_ms
                .push((last - clocks.wall).as_secs_f64() * 1000.0);
        }
    }
    for r in receivers {
        r.abort();
    }
    result
}

/// Bytes of server `VmRSS` growth per idle client connected to `/`.
async fn idle(which: &str, n: usize) -> f64 {
    let (child, port) = start_server(which).await;
    let pid = child.id().expect("pid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = procstat::status_kib(pid, "VmRSS:");
    let clients = loadgen::batched(n, 64, |_| Client::connect(port)).await;
    // Held by tasks that answer pings, so that no heartbeat closes them.
    let holders: Vec<_> = clients
        .into_iter()
        .map(|mut c| tokio::spawn(async move { while c.recv().await.is_some() {} }))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let grown = procstat::status_kib(pid, "VmRSS:").saturating_sub(before) * 1024;
    for h in holders {
        h.abort();
    }
    drop(child);
    grown as f64 / n.max(1) as f64
}

/// Medians of each field over samples.
fn medians(samples: &[Sample]) -> Sample {
    let field = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
    Sample {
        rate: field(|s| s.rate),
        cpu_us: field(|s| s.cpu_us),
        generator_pct: field(|s| s.generator_pct),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "-".to_owned()
    }
}

const ACK_CLIENTS: [usize; 2] = [1, 64];

/// Everything measured, per server (in `--impls` order).
struct Results {
    /// Per ack cell (as [`ACK_CLIENTS`]), one sample per repetition.
    acks: Vec<[Vec<Sample>; ACK_CLIENTS.len()]>,
    /// Per repetition: the medians over its rounds, and the median time
    /// to the last event.
    fanout: Vec<Vec<(Sample, f64)>>,
    /// Measured rounds and lost events over all repetitions.
    fanout_totals: Vec<(usize, u64)>,
    idle: Vec<f64>,
}

async fn measure(o: &Options) -> Results {
    let n = o.impls.len();
    let mut r = Results {
        acks: (0..n).map(|_| Default::default()).collect(),
        fanout: vec![Vec::new(); n],
        fanout_totals: vec![(0, 0); n],
        idle: vec![0.0; n],
    };
    let wants = |cell: &str| o.cells.iter().any(|c| c == cell);
    for _ in 0..o.reps {
        if wants("acks") {
            for (c, &clients) in ACK_CLIENTS.iter().enumerate() {
                for (i, which) in o.impls.iter().enumerate() {
                    let (child, port) = start_server(which).await;
                    let pid = child.id().expect("pid");
                    let s = ack_cell(port, pid, clients, o.seconds).await;
                    drop(child);
                    eprintln!(
                        "{which} acks, {clients} clients: {:.0}/s, {:.2} µs, generator {:.0} %",
                        s.rate, s.cpu_us, s.generator_pct
                    );
                    r.acks[i][c].push(s);
                }
            }
        }
        if wants("fanout") {
            for (i, which) in o.impls.iter().enumerate() {
                let (child, port) = start_server(which).await;
                let pid = child.id().expect("pid");
                let f = fanout_cell(port, pid, o.clients, o.events, o.seconds).await;
                drop(child);
                let s = medians(&f.rounds);
                let last = median(f.last_ms.clone());
                eprintln!(
                    "{which} fan-out {}×{}: {:.0}/s, last after {last:.1} ms, {:.3} µs/delivery, generator {:.0} %, {} rounds, {} lost",
                    o.clients, o.events, s.rate, s.cpu_us, s.generator_pct, f.rounds.len(), f.lost
                );
                r.fanout[i].push((s, last));
                r.fanout_totals[i].0 += f.rounds.len();
                r.fanout_totals[i].1 += f.lost;
            }
        }
    }
    if wants("idle") {
        for (i, which) in o.impls.iter().enumerate() {
            r.idle[i] = idle(which, o.idle).await;
            eprintln!("{which} idle: {:.0} B per client", r.idle[i]);
        }
    }
    r
}

fn report(o: &Options, r: &Results) {
    let wants = |cell: &str| o.cells.iter().any(|c| c == cell);
    let acks: Vec<[Sample; ACK_CLIENTS.len()]> = r
        .acks
        .iter()
        .map(|cells| std::array::from_fn(|c| medians(&cells[c])))
        .collect();
    let fanout: Vec<(Sample, f64)> = r
        .fanout
        .iter()
        .map(|reps| {
            let samples: Vec<Sample> = reps.iter().map(|(s, _)| *s).collect();
            (
                medians(&samples),
                median(reps.iter().map(|(_, l)| *l).collect()),
            )
        })
        .collect();
    if wants("acks") {
        println!("### Socket.IO acks: round trips per second and server CPU per round trip\n");
        println!(
            "{} s per cell, {} repetition(s), medians; `ack` with a 16-byte string, acknowledged with it, one in flight per client; WebSocket; a fresh server process per cell; one load generator (its CPU use in % of one core).\n",
            o.seconds, o.reps
        );
        println!("| clients | server | round trips/s | server CPU µs/round trip | generator CPU |");
        println!("|---:|---|---:|---:|---:|");
        for (c, clients) in ACK_CLIENTS.iter().enumerate() {
            for (i, which) in o.impls.iter().enumerate() {
                let s = acks[i][c];
                println!(
                    "| {clients} | {which} | {:.0} | {:.2} | {:.0} % |",
                    s.rate, s.cpu_us, s.generator_pct
                );
            }
        }
    }
    if wants("fanout") {
        println!("\n### Socket.IO broadcast fan-out\n");
        println!(
            "{} clients in one room; one `fanout` makes the server emit {} `msg` events to the room; one warm-up round, then rounds for {} s; medians over the rounds, then over {} repetition(s); a fresh server process per repetition. Deliveries per second and CPU per delivery over the time from sending `fanout` until the last client has the last event.\n",
            o.clients, o.events, o.seconds, o.reps
        );
        println!("| clients | events | server | deliveries/s | last client has the last event | server CPU µs/delivery | generator CPU | rounds | lost |");
        println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        for (i, which) in o.impls.iter().enumerate() {
            let (s, last) = fanout[i];
            let (rounds, lost) = r.fanout_totals[i];
            println!(
                "| {} | {} | {which} | {:.0} | {last:.1} ms | {:.3} | {:.0} % | {rounds} | {lost} |",
                o.clients, o.events, s.rate, s.cpu_us, s.generator_pct
            );
        }
    }
    if wants("idle") {
        println!(
            "\n### Bytes per idle client ({} clients on `/` over WebSocket, growth of the server's VmRSS)\n",
            o.idle
        );
        println!("| server | bytes per idle client |");
        println!("|---|---:|");
        for (which, bytes) in o.impls.iter().zip(&r.idle) {
            println!("| {which} | {bytes:.0} B |");
        }
    }
    let t = o.impls.iter().position(|i| i == "tether");
    let x = o.impls.iter().position(|i| i == "socketioxide");
    let (Some(t), Some(x)) = (t, x) else {
        return;
    };
    println!("\n#### tether ÷ socketioxide\n");
    println!(
        "| cell | throughput ratio | server CPU per message ratio | bytes per idle client ratio |"
    );
    println!("|---|---:|---:|---:|");
    if wants("acks") {
        for (c, clients) in ACK_CLIENTS.iter().enumerate() {
            let (a, b) = (acks[t][c], acks[x][c]);
            println!(
                "| acks, {clients} client(s) | {} | {} | |",
                ratio(a.rate, b.rate),
                ratio(a.cpu_us, b.cpu_us)
            );
        }
    }
    if wants("fanout") {
        let (a, b) = (fanout[t].0, fanout[x].0);
        println!(
            "| fan-out, {} clients × {} events | {} | {} | |",
            o.clients,
            o.events,
            ratio(a.rate, b.rate),
            ratio(a.cpu_us, b.cpu_us)
        );
    }
    if wants("idle") {
        println!(
            "| idle, {} clients | | | {} |",
            o.idle,
            ratio(r.idle[t], r.idle[x])
        );
    }
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results = runtime.block_on(measure(&o));
    report(&o, &results);
}
