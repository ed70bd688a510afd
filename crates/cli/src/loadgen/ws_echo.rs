//! The WebSocket echo load: every connection sends binary messages of
//! [`Plan::size`] bytes to an echo server and times each until its echo
//! (same length) comes back, as a closed loop or at [`Plan::rate`].
//!
//! An echo server answers in order on each connection, so in a rate-driven
//! run the answers are matched to the sends first in, first out.
//!
//! ```text
//! connect ──► [clock starts] ──► send ─► echo ─► send ─► ... ──► [duration or max] ──► run ends
//!                                (closed loop; at a rate: send on every tick, echoes as they come)
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tether_ws::{MaybeTlsStream, Message, WebSocketConfig, WebSocketStream};

use super::{batched, micros, Counters, ErrorKind, Errors, Outcome, Plan, TaskReport};

/// A client WebSocket connection as `tether_ws::connect` opens it.
pub type Ws = WebSocketStream<MaybeTlsStream>;

/// How many connections are opened at once.
const CONNECT_BATCH: usize = 64;

/// Open connections to an echo server, ready to [`run`](EchoLoad::run).
#[derive(Debug)]
pub struct EchoLoad {
    sockets: Vec<Ws>,
    asked: usize,
    connect_errors: Errors,
}

/// Opens `connections` WebSocket connections to `url` (ws:// or wss://),
/// 64 at a time, with the default configuration; see
/// [`connect_with_config`].
pub async fn connect(url: &str, connections: usize, counters: &Arc<Counters>) -> EchoLoad {
    connect_with_config(url, connections, WebSocketConfig::default(), counters).await
}

/// Opens `connections` WebSocket connections to `url` with `config`.
/// Connections that fail are counted as [`ErrorKind::Connect`] errors of
/// the run; [`EchoLoad::len`] says how many are open.
pub async fn connect_with_config(
    url: &str,
    connections: usize,
    config: WebSocketConfig,
    counters: &Arc<Counters>,
) -> EchoLoad {
    let results = batched(connections, CONNECT_BATCH, |_| {
        let url = url.to_owned();
        let config = config.clone();
        let counters = counters.clone();
        async move {
            let request = url
                .parse()
                .map_err(|e| format!("{url}: {e}"))
                .and_then(|uri| {
                    tether_ws::handshake::client::ClientRequest::new(uri)
                        .map_err(|e| format!("{url}: {e}"))
                })?;
            let (ws, _) = tether_ws::connect_with_config(request, config)
                .await
                .map_err(|e| e.to_string())?;
            Counters::bump(&counters.connected);
            Ok::<Ws, String>(ws)
        }
    })
    .await;
    let mut load = EchoLoad {
        sockets: Vec::with_capacity(connections),
        asked: connections,
        connect_errors: Errors::default(),
    };
    for result in results {
        match result {
            Some(Ok(ws)) => load.sockets.push(ws),
            Some(Err(message)) => {
                Counters::bump(&counters.errors);
                load.connect_errors.add(ErrorKind::Connect, 1, || message);
            }
            None => {
                Counters::bump(&counters.errors);
                load.connect_errors
                    .add(ErrorKind::Connect, 1, || "connect task failed".into());
            }
        }
    }
    load
}

impl EchoLoad {
    /// Connections open.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// The errors of opening the connections.
    pub fn connect_errors(&self) -> &Errors {
        &self.connect_errors
    }

    /// Runs `plan` on every open connection (each its own task) and waits
    /// for all to stop: at [`Plan::duration`], after its share of
    /// [`Plan::max_messages`], or at its first error (the connection is
    /// then dropped). Connections still open afterwards can run again or
    /// be [closed](EchoLoad::close). The outcome's errors include those of
    /// opening the connections.
    pub async fn run(&mut self, plan: &Plan, counters: &Arc<Counters>) -> Outcome {
        let payload = Bytes::from(vec![0x5Au8; plan.size]);
        let per_connection = plan.per_connection_max(self.sockets.len());
        let connected = self.sockets.len();
        let start = Instant::now();
        counters.start();
        let deadline = start + plan.duration;
        let tasks: Vec<_> = self
            .sockets
            .drain(..)
            .map(|ws| {
                let job = Job {
                    payload: payload.clone(),
                    plan: plan.clone(),
                    deadline,
                    max: per_connection,
                    counters: counters.clone(),
                };
                tokio::spawn(job.run(ws))
            })
            .collect();
        let mut outcome = Outcome {
            connections: self.asked,
            connected,
            size: plan.size,
            ..Outcome::default()
        };
        outcome.errors = self.connect_errors.clone();
        let mut samples = Vec::new();
        for task in tasks {
            match task.await {
                Ok((ws, report)) => {
                    if let Some(ws) = ws {
                        self.sockets.push(ws);
                    }
                    outcome.sent += report.sent;
                    outcome.received += report.received;
                    samples.extend(report.latencies_us);
                    outcome.errors.merge(report.errors);
                }
                Err(e) => outcome
                    .errors
                    .add(ErrorKind::Receive, 1, || format!("load task failed: {e}")),
            }
        }
        outcome.elapsed = start.elapsed();
        outcome.expected = outcome.sent;
        outcome.latencies = super::Latencies::from_samples(samples);
        outcome
    }

    /// Closes every open connection with a Close handshake, all at once,
    /// each bounded by `timeout`.
    pub async fn close(self, timeout: Duration) {
        let closes = self.sockets.into_iter().map(|mut ws| async move {
            let _ = tokio::time::timeout(timeout, ws.close()).await;
        });
        futures::future::join_all(closes).await;
    }
}

/// What one connection does in a run.
struct Job {
    payload: Bytes,
    plan: Plan,
    deadline: Instant,
    max: u64,
    counters: Arc<Counters>,
}

/// What came back.
enum Reply {
    Data(Message),
    Closed(String),
    Failed(String),
}

/// The next data message (pings and pongs skipped: tether-ws answers
/// pings itself).
async fn next_data(ws: &mut Ws) -> Reply {
    loop {
        match ws.next().await {
            Some(Ok(m @ (Message::Binary(_) | Message::Text(_)))) => return Reply::Data(m),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => {
                return Reply::Closed(match frame {
                    Some(f) => format!("closed by the server: {} {}", u16::from(f.code), f.reason),
                    None => "closed by the server".to_owned(),
                })
            }
            Some(Err(e)) => return Reply::Failed(e.to_string()),
            None => return Reply::Closed("the connection ended".to_owned()),
        }
    }
}

impl Job {
    async fn run(self, ws: Ws) -> (Option<Ws>, TaskReport) {
        match self.plan.interval() {
            None => self.closed_loop(ws).await,
            Some(interval) => self.at_rate(ws, interval).await,
        }
    }

    /// Checks an echo; `Err` for one that does not match.
    fn check(&self, reply: &Message) -> Result<(), String> {
        match reply {
            Message::Binary(b) if b.len() == self.payload.len() => Ok(()),
            Message::Binary(b) => Err(format!(
                "a binary echo of {} bytes for {} sent",
                b.len(),
                self.payload.len()
            )),
            other => Err(format!("a {:?} message instead of the echo", kind(other))),
        }
    }

    async fn send(&self, ws: &mut Ws, report: &mut TaskReport) -> bool {
        let message = Message::Binary(self.payload.clone());
        match tokio::time::timeout(self.plan.reply_timeout, ws.send(message)).await {
            Ok(Ok(())) => {
                report.sent += 1;
                Counters::bump(&self.counters.sent);
                true
            }
            Ok(Err(e)) => {
                report.error(&self.counters, ErrorKind::Send, e.to_string());
                false
            }
            Err(_) => {
                report.error(
                    &self.counters,
                    ErrorKind::Timeout,
                    "the server did not take a message in time".into(),
                );
                false
            }
        }
    }

    fn answered(&self, report: &mut TaskReport, sent: Instant) {
        report.latencies_us.push(micros(sent.elapsed()));
        report.received += 1;
        Counters::bump(&self.counters.received);
    }

    /// Send, wait for the echo, send the next.
    async fn closed_loop(self, mut ws: Ws) -> (Option<Ws>, TaskReport) {
        let mut report = TaskReport::default();
        while Instant::now() < self.deadline && report.sent < self.max {
            let sent = Instant::now();
            if !self.send(&mut ws, &mut report).await {
                return (None, report);
            }
            match tokio::time::timeout(self.plan.reply_timeout, next_data(&mut ws)).await {
                Ok(Reply::Data(m)) => match self.check(&m) {
                    Ok(()) => self.answered(&mut report, sent),
                    Err(e) => {
                        report.error(&self.counters, ErrorKind::Unexpected, e);
                        return (None, report);
                    }
                },
                Ok(Reply::Closed(e)) => {
                    report.error(&self.counters, ErrorKind::Closed, e);
                    return (None, report);
                }
                Ok(Reply::Failed(e)) => {
                    report.error(&self.counters, ErrorKind::Receive, e);
                    return (None, report);
                }
                Err(_) => {
                    report.error(
                        &self.counters,
                        ErrorKind::Timeout,
                        timeout_message(&self.plan),
                    );
                    return (None, report);
                }
            }
        }
        (Some(ws), report)
    }

    /// Send on every tick (at most [`Plan::window`] in flight), match the
    /// echoes in order; after the deadline, wait for those in flight.
    async fn at_rate(self, mut ws: Ws, interval: Duration) -> (Option<Ws>, TaskReport) {
        let mut report = TaskReport::default();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let stop = tokio::time::sleep_until(self.deadline.into());
        tokio::pin!(stop);
        let mut in_flight: VecDeque<Instant> = VecDeque::new();
        let mut sending = true;
        loop {
            if !sending && in_flight.is_empty() {
                return (Some(ws), report);
            }
            let reply_deadline = in_flight
                .front()
                .map(|t| tokio::time::Instant::from_std(*t + self.plan.reply_timeout));
            tokio::select! {
                biased;
                reply = ws.next() => {
                    let failure = match reply {
                        Some(Ok(m @ (Message::Binary(_) | Message::Text(_)))) => {
                            match (self.check(&m), in_flight.pop_front()) {
                                (Ok(()), Some(sent)) => {
                                    self.answered(&mut report, sent);
                                    None
                                }
                                (Ok(()), None) => Some((ErrorKind::Unexpected, "an echo of nothing sent".to_owned())),
                                (Err(e), _) => Some((ErrorKind::Unexpected, e)),
                            }
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
                        Some(Ok(Message::Close(_))) | None => {
                            Some((ErrorKind::Closed, "closed by the server".to_owned()))
                        }
                        Some(Err(e)) => Some((ErrorKind::Receive, e.to_string())),
                    };
                    if let Some((kind, message)) = failure {
                        report.error(&self.counters, kind, message);
                        return (None, report);
                    }
                }
                _ = tokio::time::sleep_until(reply_deadline.unwrap_or_else(tokio::time::Instant::now)),
                    if reply_deadline.is_some() => {
                    report.error(&self.counters, ErrorKind::Timeout, timeout_message(&self.plan));
                    return (None, report);
                }
                _ = &mut stop, if sending => sending = false,
                _ = ticker.tick(), if sending && in_flight.len() < self.plan.window => {
                    if report.sent >= self.max {
                        sending = false;
                        continue;
                    }
                    let sent = Instant::now();
                    if !self.send(&mut ws, &mut report).await {
                        return (None, report);
                    }
                    in_flight.push_back(sent);
                }
            }
        }
    }
}

fn timeout_message(plan: &Plan) -> String {
    format!("no answer within {:?}", plan.reply_timeout)
}

fn kind(m: &Message) -> &'static str {
    match m {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        Message::Ping(_) => "ping",
        Message::Pong(_) => "pong",
        Message::Close(_) => "close",
    }
}
