//! `tether load URL`: a load generator for WebSocket echo servers and
//! Socket.IO servers, on `tether_cli::loadgen`, with a live progress bar
//! on stderr and a summary on stdout (a table, or JSON).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use tether_cli::loadgen::{self, sio, ws_echo, Counters, Outcome, Plan};
use tether_cli::sio_client::Options;

/// Which Socket.IO load.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every connection emits EVENT with one string of SIZE bytes asking
    /// for an ack, and times it until the ack.
    Ack,
    /// The connections join ROOM (JOIN_EVENT, acked); one more connection
    /// (joined too) emits EVENT [ROOM, DATA]; the server is to send EVENT
    /// with DATA to the room; each delivery to the connections is timed
    /// from its emit.
    Broadcast,
}

/// The arguments of `tether load`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct Args {
    /// The server: ws:// or wss:// for a WebSocket echo server; http:// or
    /// https:// for a Socket.IO server (a path is the namespace).
    pub(crate) url: String,

    /// How many connections (for --mode broadcast: receivers; the sender
    /// is one more).
    #[arg(long, short = 'c', default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) connections: u32,

    /// Payload bytes per message (WebSocket: a binary message of that
    /// size; Socket.IO: a string argument of that length).
    #[arg(long, short = 's', value_name = "BYTES", default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=16 << 20))]
    pub(crate) size: u32,

    /// Messages per second per connection (for --mode broadcast, of the
    /// sender); 0 is a closed loop: send, wait for the answer, send the
    /// next.
    #[arg(long, short = 'r', value_name = "MSGS_PER_SEC", default_value_t = 0.0, value_parser = parse_rate)]
    pub(crate) rate: f64,

    /// Seconds to send for, once every connection is open.
    #[arg(long, short = 'd', value_name = "SECS", default_value_t = 10.0, value_parser = parse_secs)]
    pub(crate) duration: f64,

    /// The most messages sent in the run, all connections together (for
    /// --mode broadcast, deliveries); sending stops there even before
    /// --duration.
    #[arg(long, value_name = "N", default_value_t = loadgen::DEFAULT_MAX_MESSAGES, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub(crate) max_messages: u64,

    /// Seconds an answer (echo, ack, delivery) may take; past it the
    /// connection counts a timeout and stops. Also the bound on opening
    /// each connection.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_secs)]
    pub(crate) timeout: f64,

    /// The most messages in flight per connection with --rate (sending
    /// waits for answers past it).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) window: u32,

    /// Print the summary as one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,

    /// Socket.IO: the load.
    #[arg(long, value_enum, default_value_t = Mode::Ack, help_heading = "Socket.IO")]
    pub(crate) mode: Mode,

    /// Socket.IO: the event emitted [default: echo for --mode ack, chat for
    /// --mode broadcast].
    #[arg(long, value_name = "NAME", help_heading = "Socket.IO")]
    pub(crate) event: Option<String>,

    /// Socket.IO: the event that joins the room (--mode broadcast).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "join",
        help_heading = "Socket.IO"
    )]
    pub(crate) join_event: String,

    /// Socket.IO: the room (--mode broadcast).
    #[arg(long, default_value = "tether-load", help_heading = "Socket.IO")]
    pub(crate) room: String,

    /// Socket.IO: the namespace (default: the URL's path, else "/").
    #[arg(long, help_heading = "Socket.IO")]
    pub(crate) namespace: Option<String>,

    /// Socket.IO: the auth object sent with CONNECT, as JSON.
    #[arg(long, value_name = "JSON", value_parser = parse_auth, help_heading = "Socket.IO")]
    pub(crate) auth: Option<Value>,

    /// Socket.IO: the Engine.IO path on the server.
    #[arg(long, default_value = "/socket.io/", help_heading = "Socket.IO")]
    pub(crate) path: String,
}

const AFTER_HELP: &str = "\
The clock starts once every connection is open; connections send for
--duration (or until --max-messages), then wait at most --timeout for the
answers still on their way. A progress bar is drawn on stderr when stderr
is a terminal. The summary goes to stdout: throughput (answers or
deliveries per second), latency percentiles (p50, p90, p99, max; round
trip for echo and ack, emit to delivery for broadcast) and errors by kind
(connect, join, send, receive, timeout, closed, unexpected, lost).

WebSocket (ws://, wss://): binary messages of --size bytes to an echo
server; each echo must have the same length.

Socket.IO (http://, https://), over the Engine.IO WebSocket transport:
  --mode ack        EVENT (default echo) with one string argument, acked.
  --mode broadcast  receivers emit JOIN_EVENT [ROOM] (acked); the sender
                    (joined too, its deliveries not counted) emits EVENT
                    (default chat) [ROOM, DATA], DATA a string
                    of --size bytes starting tl:SEQ:NANOS:, which the server
                    must pass to the room in an EVENT event (as tether
                    serve's chat and tether-socketio's chat_server example
                    do). Deliveries not there by the end are 'lost'.

--json prints one object: url, kind, mode, connections, connected, size,
rate, duration_s, elapsed_s, sent, received, expected, throughput_per_s,
bytes_per_s, latency_us {p50, p90, p99, max, mean, samples}, errors
{total, by_kind {KIND: {count, first}}}.

The exit status is 1 if no connection could be opened, else 0 (errors are
in the summary).

Examples:
  tether load ws://127.0.0.1:8080/ws -c 64 -s 1024 -d 5
  tether load http://127.0.0.1:8080 --mode broadcast -c 100 -r 50 -d 10 --json";

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err("expected a number of seconds above 0 (at most 86400)".to_owned()),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=1_000_000.0).contains(&v) => Ok(v),
        _ => Err("expected messages per second from 0 (closed loop) to 1000000".to_owned()),
    }
}

fn parse_auth(s: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(s) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("the auth must be a JSON object".to_owned()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// What is being loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    SocketIo(Mode),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Echo => "WebSocket echo",
            Kind::SocketIo(Mode::Ack) => "Socket.IO acks",
            Kind::SocketIo(Mode::Broadcast) => "Socket.IO broadcast",
        }
    }

    fn mode(self) -> &'static str {
        match self {
            Kind::Echo => "echo",
            Kind::SocketIo(Mode::Ack) => "ack",
            Kind::SocketIo(Mode::Broadcast) => "broadcast",
        }
    }
}

pub(crate) async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let scheme = args
        .url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = match scheme.as_str() {
        "ws" | "wss" => Kind::Echo,
        "http" | "https" => Kind::SocketIo(args.mode),
        _ => {
            return Err(format!(
                "{}: the URL must start with ws://, wss:// (WebSocket echo), http:// or https:// (Socket.IO)",
                args.url
            )
            .into())
        }
    };
    let plan = Plan::new(Duration::from_secs_f64(args.duration))
        .with_rate(args.rate)
        .with_size(args.size as usize)
        .with_max_messages(args.max_messages)
        .with_reply_timeout(Duration::from_secs_f64(args.timeout))
        .with_window(args.window as usize);
    let connections = args.connections as usize;
    let counters = Arc::new(Counters::default());
    let progress = Progress::start(&counters, &plan, connections, kind);

    let outcome = match kind {
        Kind::Echo => {
            let mut config = tether_ws::WebSocketConfig::default();
            config.handshake = config.handshake.with_timeout(plan.reply_timeout);
            let mut sockets =
                ws_echo::connect_with_config(&args.url, connections, config, &counters).await;
            let outcome = sockets.run(&plan, &counters).await;
            sockets.close(Duration::from_secs(2)).await;
            outcome
        }
        Kind::SocketIo(mode) => {
            let options = Options::new(&args.url)
                .with_namespace(args.namespace.clone())
                .with_auth(args.auth.clone())
                .with_path(&args.path)
                .with_timeout(Duration::from_secs_f64(args.timeout));
            options.endpoint()?;
            let event = args.event.clone().unwrap_or_else(|| {
                match mode {
                    Mode::Ack => "echo",
                    Mode::Broadcast => "chat",
                }
                .to_owned()
            });
            let target = sio::SioTarget::new(options, event)
                .with_join_event(&args.join_event)
                .with_room(&args.room);
            let mode = match mode {
                Mode::Ack => sio::Mode::Ack,
                Mode::Broadcast => sio::Mode::Broadcast,
            };
            sio::run(&target, mode, connections, &plan, &counters).await
        }
    };
    progress.finish();

    if args.json {
        println!("{}", summary_json(&args, kind, &plan, &outcome));
    } else {
        print!("{}", summary_table(&args, kind, &plan, &outcome));
    }
    if outcome.connected == 0 {
        let first = outcome
            .errors
            .iter()
            .next()
            .map(|(_, _, m)| m.to_owned())
            .unwrap_or_default();
        return Err(format!("no connection could be opened: {first}").into());
    }
    Ok(())
}

/// The progress bar on stderr (hidden when stderr is not a terminal),
/// redrawn from the counters ten times a second.
struct Progress {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    fn start(counters: &Arc<Counters>, plan: &Plan, connections: usize, kind: Kind) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let millis = u64::try_from(plan.duration.as_millis()).unwrap_or(u64::MAX);
        let bar = ProgressBar::with_draw_target(Some(millis), target);
        let style = ProgressStyle::with_template("{spinner} [{bar:20}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        let counters = counters.clone();
        let shown = bar.clone();
        let expected = match kind {
            Kind::SocketIo(Mode::Broadcast) => connections + 1,
            _ => connections,
        };
        let task = tokio::spawn(async move {
            let mut started: Option<tokio::time::Instant> = None;
            // The last second of (time, received), for the current rate.
            let mut recent: std::collections::VecDeque<(tokio::time::Instant, u64)> =
                std::collections::VecDeque::with_capacity(11);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            // Bounded by the run: the task is aborted when it ends.
            loop {
                tick.tick().await;
                let connected = Counters::get(&counters.connected);
                let errors = Counters::get(&counters.errors);
                if !counters.is_started() {
                    shown.set_message(format!("connecting {connected}/{expected}  err {errors}"));
                    shown.tick();
                    continue;
                }
                let now = tokio::time::Instant::now();
                let since = *started.get_or_insert(now);
                let elapsed = since.elapsed();
                shown.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
                let received = Counters::get(&counters.received);
                recent.push_back((now, received));
                if recent.len() > 11 {
                    recent.pop_front();
                }
                let rate = match recent.front() {
                    Some(&(then, before)) if now > then => {
                        (received - before) as f64 / (now - then).as_secs_f64()
                    }
                    _ => 0.0,
                };
                shown.set_message(format!(
                    "{:.1}s sent {} recv {} {rate:.0}/s err {errors}",
                    elapsed.as_secs_f64(),
                    Counters::get(&counters.sent),
                    received,
                ));
            }
        });
        Progress { bar, task }
    }

    fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

fn rate_text(plan: &Plan) -> String {
    if plan.is_closed_loop() {
        "closed loop".to_owned()
    } else {
        format!("{} msg/s per connection", plan.rate)
    }
}

/// A latency in µs, readable.
fn latency_text(us: u32) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.2} ms", f64::from(us) / 1e3)
    } else {
        format!("{:.2} s", f64::from(us) / 1e6)
    }
}

fn bytes_text(per_second: f64) -> String {
    if per_second < 1e3 {
        format!("{per_second:.0} B/s")
    } else if per_second < 1e6 {
        format!("{:.1} kB/s", per_second / 1e3)
    } else {
        format!("{:.1} MB/s", per_second / 1e6)
    }
}

fn summary_table(args: &Args, kind: Kind, plan: &Plan, o: &Outcome) -> String {
    let l = &o.latencies;
    let mut rows: Vec<(&str, String)> = vec![
        ("target", format!("{} ({})", args.url, kind.name())),
        (
            "load",
            format!(
                "{} B messages, {}, {} s",
                plan.size,
                rate_text(plan),
                plan.duration.as_secs_f64()
            ),
        ),
        (
            "connections",
            format!("{} open of {}", o.connected, o.connections),
        ),
        ("elapsed", format!("{:.3} s", o.elapsed.as_secs_f64())),
        ("sent", o.sent.to_string()),
        (
            "received",
            format!("{} of {} expected", o.received, o.expected),
        ),
        (
            "throughput",
            format!(
                "{:.0} msg/s, {}",
                o.throughput(),
                bytes_text(o.bytes_per_second())
            ),
        ),
        (
            "latency",
            if l.is_empty() {
                "no samples".to_owned()
            } else {
                format!(
                    "p50 {}  p90 {}  p99 {}  max {}  ({} samples)",
                    latency_text(l.percentile(0.5)),
                    latency_text(l.percentile(0.9)),
                    latency_text(l.percentile(0.99)),
                    latency_text(l.max()),
                    l.len()
                )
            },
        ),
        ("errors", o.error_count().to_string()),
    ];
    for (kind, count, first) in o.errors.iter() {
        rows.push(("", format!("{kind}: {count} (first: {first})")));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in rows {
        out.push_str(&format!("{key:width$}  {value}\n"));
    }
    out
}

fn summary_json(args: &Args, kind: Kind, plan: &Plan, o: &Outcome) -> Value {
    let l = &o.latencies;
    let mut by_kind = serde_json::Map::new();
    for (k, count, first) in o.errors.iter() {
        by_kind.insert(
            k.name().to_owned(),
            json!({ "count": count, "first": first }),
        );
    }
    json!({
        "url": args.url,
        "kind": kind.name(),
        "mode": kind.mode(),
        "connections": o.connections,
        "connected": o.connected,
        "size": plan.size,
        "rate": plan.rate,
        "duration_s": plan.duration.as_secs_f64(),
        "elapsed_s": o.elapsed.as_secs_f64(),
        "sent": o.sent,
        "received": o.received,
        "expected": o.expected,
        "throughput_per_s": o.throughput(),
        "bytes_per_s": o.bytes_per_second(),
        "latency_us": {
            "p50": l.percentile(0.5),
            "p90": l.percentile(0.9),
            "p99": l.percentile(0.99),
            "max": l.max(),
            "mean": l.mean(),
            "samples": l.len(),
        },
        "errors": { "total": o.error_count(), "by_kind": by_kind },
    })
}
