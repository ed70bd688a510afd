//! The Socket.IO loads, over [`crate::sio_client`].
//!
//! * [`Mode::Ack`]: every connection emits [`SioTarget::event`] with one
//!   string argument of [`Plan::size`] bytes asking for an ack, and times
//!   each until its ack (whatever its arguments) comes back; a closed loop
//!   or at [`Plan::rate`].
//! * [`Mode::Broadcast`]: the connections are receivers; each emits
//!   [`SioTarget::join_event`] with `[room]` and waits for its ack. One
//!   more connection, the sender (joined too; what it receives is not
//!   counted), then emits [`SioTarget::event`] with
//!   `[room, data]`, and the server is expected to emit an event of the
//!   same name to the room with `data` among its arguments (as
//!   tether-socketio's `chat_server` example does with `join` and `chat`).
//!   `data` is a string of [`Plan::size`] bytes starting with
//!   `tl:<seq>:<ns>:` (the send time, in nanoseconds since the run
//!   started), so each delivery is timed from its send. A closed loop
//!   sends the next message once every receiver has the last one; with a
//!   rate, the sender emits at [`Plan::rate`]. Deliveries missing when the
//!   run ends (after waiting up to [`Plan::reply_timeout`] for them) are
//!   [`ErrorKind::Lost`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{batched, micros, Counters, ErrorKind, Errors, Latencies, Outcome, Plan, TaskReport};
use crate::sio_client::{Client, Incoming, Options};

/// How many connections are opened at once.
const CONNECT_BATCH: usize = 64;
/// The prefix of a broadcast message's data.
const MARK: &str = "tl:";

/// Which Socket.IO load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Emits with acks, each connection timing its own round trips.
    Ack,
    /// One sender's emits fanned out by the server to the connections in
    /// a room.
    Broadcast,
}

/// The server and the application's event names.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SioTarget {
    /// How to connect (URL, namespace, auth).
    pub options: Options,
    /// The event emitted (acked in [`Mode::Ack`], fanned out in
    /// [`Mode::Broadcast`]).
    pub event: String,
    /// The event that joins a room (acked), in [`Mode::Broadcast`].
    pub join_event: String,
    /// The room, in [`Mode::Broadcast`].
    pub room: String,
}

impl SioTarget {
    /// A target with `event`, `join` and the room `tether-load`.
    pub fn new(options: Options, event: impl Into<String>) -> SioTarget {
        SioTarget {
            options,
            event: event.into(),
            join_event: "join".to_owned(),
            room: "tether-load".to_owned(),
        }
    }

    /// Sets [`SioTarget::join_event`].
    pub fn with_join_event(mut self, event: impl Into<String>) -> SioTarget {
        self.join_event = event.into();
        self
    }

    /// Sets [`SioTarget::room`].
    pub fn with_room(mut self, room: impl Into<String>) -> SioTarget {
        self.room = room.into();
        self
    }
}

/// Opens `n` clients, [`CONNECT_BATCH`] at a time, each joined to the
/// room if `join`; failures are counted in `errors`.
async fn open_clients(
    target: &SioTarget,
    n: usize,
    join: bool,
    counters: &Arc<Counters>,
    errors: &mut Errors,
    timeout: Duration,
) -> Vec<Client> {
    let results = batched(n, CONNECT_BATCH, |_| {
        let target = target.clone();
        let counters = counters.clone();
        async move {
            let mut client = Client::connect(&target.options)
                .await
                .map_err(|e| (ErrorKind::Connect, e.to_string()))?;
            if join {
                join_room(&mut client, &target, timeout)
                    .await
                    .map_err(|e| (ErrorKind::Join, e))?;
            }
            Counters::bump(&counters.connected);
            Ok::<Client, (ErrorKind, String)>(client)
        }
    })
    .await;
    let mut clients = Vec::with_capacity(n);
    for result in results {
        let (kind, message) = match result {
            Some(Ok(client)) => {
                clients.push(client);
                continue;
            }
            Some(Err(e)) => e,
            None => (ErrorKind::Connect, "connect task failed".to_owned()),
        };
        Counters::bump(&counters.errors);
        errors.add(kind, 1, || message);
    }
    clients
}

async fn join_room(
    client: &mut Client,
    target: &SioTarget,
    timeout: Duration,
) -> Result<(), String> {
    let id = client
        .emit_with_ack(&target.join_event, &(target.room.as_str(),))
        .await
        .map_err(|e| e.to_string())?;
    let waited = tokio::time::timeout(timeout, async {
        loop {
            match client.next().await {
                Incoming::Ack(p) if p.ack_id() == Some(id) => return Ok(()),
                Incoming::Disconnected(reason) => return Err(format!("disconnected: {reason}")),
                _ => {}
            }
        }
    })
    .await;
    match waited {
        Ok(r) => r,
        Err(_) => Err(format!(
            "no ack for {:?} within {timeout:?}",
            target.join_event
        )),
    }
}

/// Runs a Socket.IO load of `mode` with `connections` clients (and, for a
/// broadcast, one sender more), then disconnects them all. Clients that
/// could not connect (or join) are [`ErrorKind::Connect`]
/// ([`ErrorKind::Join`]) errors of the outcome; a broadcast whose sender
/// could not connect sends nothing.
pub async fn run(
    target: &SioTarget,
    mode: Mode,
    connections: usize,
    plan: &Plan,
    counters: &Arc<Counters>,
) -> Outcome {
    match mode {
        Mode::Ack => run_acks(target, connections, plan, counters).await,
        Mode::Broadcast => run_broadcast(target, connections, plan, counters).await,
    }
}

async fn disconnect_all(clients: Vec<Client>) {
    let leaving = clients
        .into_iter()
        .map(|c| c.disconnect(Duration::from_secs(2)));
    futures::future::join_all(leaving).await;
}

// ----- acks -----

async fn run_acks(
    target: &SioTarget,
    connections: usize,
    plan: &Plan,
    counters: &Arc<Counters>,
) -> Outcome {
    let mut outcome = Outcome {
        connections,
        size: plan.size,
        ..Outcome::default()
    };
    let clients = open_clients(
        target,
        connections,
        false,
        counters,
        &mut outcome.errors,
        plan.reply_timeout,
    )
    .await;
    outcome.connected = clients.len();
    let data: Arc<str> = "x".repeat(plan.size).into();
    let per_connection = plan.per_connection_max(clients.len());
    let start = Instant::now();
    counters.start();
    let deadline = start + plan.duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let job = AckJob {
                event: target.event.clone(),
                data: data.clone(),
                plan: plan.clone(),
                deadline,
                max: per_connection,
                counters: counters.clone(),
            };
            tokio::spawn(job.run(client))
        })
        .collect();
    let mut samples = Vec::new();
    let mut open = Vec::new();
    for task in tasks {
        match task.await {
            Ok((client, report)) => {
                open.extend(client);
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
    outcome.latencies = Latencies::from_samples(samples);
    disconnect_all(open).await;
    outcome
}

struct AckJob {
    event: String,
    data: Arc<str>,
    plan: Plan,
    deadline: Instant,
    max: u64,
    counters: Arc<Counters>,
}

impl AckJob {
    async fn emit(&self, client: &mut Client, report: &mut TaskReport) -> Option<u64> {
        let emitted = tokio::time::timeout(
            self.plan.reply_timeout,
            client.emit_with_ack(&self.event, &(&*self.data,)),
        )
        .await;
        match emitted {
            Ok(Ok(id)) => {
                report.sent += 1;
                Counters::bump(&self.counters.sent);
                Some(id)
            }
            Ok(Err(e)) => {
                report.error(&self.counters, ErrorKind::Send, e.to_string());
                None
            }
            Err(_) => {
                report.error(
                    &self.counters,
                    ErrorKind::Timeout,
                    "the server did not take an emit in time".into(),
                );
                None
            }
        }
    }

    fn answered(&self, report: &mut TaskReport, sent: Instant) {
        report.latencies_us.push(micros(sent.elapsed()));
        report.received += 1;
        Counters::bump(&self.counters.received);
    }

    async fn run(self, mut client: Client) -> (Option<Client>, TaskReport) {
        let mut report = TaskReport::default();
        let mut in_flight: HashMap<u64, Instant> = HashMap::new();
        let mut ticker = self.plan.interval().map(|i| {
            let mut t = tokio::time::interval(i);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            t
        });
        let closed_loop = ticker.is_none();
        let stop = tokio::time::sleep_until(self.deadline.into());
        tokio::pin!(stop);
        let mut sending = true;
        // The oldest send still waiting for its ack.
        let mut oldest: Option<Instant> = None;
        loop {
            if sending && closed_loop && in_flight.is_empty() {
                if Instant::now() >= self.deadline || report.sent >= self.max {
                    sending = false;
                } else {
                    let sent = Instant::now();
                    let Some(id) = self.emit(&mut client, &mut report).await else {
                        return (None, report);
                    };
                    in_flight.insert(id, sent);
                    oldest = Some(sent);
                }
            }
            if !sending && in_flight.is_empty() {
                return (Some(client), report);
            }
            let reply_deadline =
                oldest.map(|t| tokio::time::Instant::from_std(t + self.plan.reply_timeout));
            let can_tick = sending && !closed_loop && in_flight.len() < self.plan.window;
            let heartbeat = client.heartbeat_deadline();
            tokio::select! {
                biased;
                message = client.recv_message() => {
                    match client.handle(message).await {
                        Some(Incoming::Ack(p)) => {
                            if let Some(sent) = p.ack_id().and_then(|id| in_flight.remove(&id)) {
                                self.answered(&mut report, sent);
                                if oldest == Some(sent) {
                                    oldest = in_flight.values().min().copied();
                                }
                            }
                        }
                        Some(Incoming::Disconnected(reason)) => {
                            report.error(&self.counters, ErrorKind::Closed, format!("disconnected: {reason}"));
                            return (None, report);
                        }
                        _ => {}
                    }
                }
                _ = tokio::time::sleep_until(heartbeat) => {
                    client.expire();
                    report.error(&self.counters, ErrorKind::Closed, "disconnected: ping timeout".into());
                    return (None, report);
                }
                _ = tokio::time::sleep_until(reply_deadline.unwrap_or_else(tokio::time::Instant::now)),
                    if reply_deadline.is_some() => {
                    report.error(
                        &self.counters,
                        ErrorKind::Timeout,
                        format!("no ack within {:?}", self.plan.reply_timeout),
                    );
                    return (None, report);
                }
                _ = &mut stop, if sending && !closed_loop => sending = false,
                _ = async { ticker.as_mut().map(|t| t.tick()).expect("a ticker").await }, if can_tick => {
                    if report.sent >= self.max {
                        sending = false;
                        continue;
                    }
                    let sent = Instant::now();
                    let Some(id) = self.emit(&mut client, &mut report).await else {
                        return (None, report);
                    };
                    in_flight.insert(id, sent);
                    oldest.get_or_insert(sent);
                }
            }
        }
    }
}

// ----- broadcast -----

/// The sequence number and send time (ns since the run started) in a
/// delivered event's text, if it carries a broadcast message.
fn marked(json: &str) -> Option<(u64, u64)> {
    let at = json.find(MARK)?;
    let rest = json.get(at + MARK.len()..)?;
    let mut parts = rest.splitn(3, ':');
    let seq = parts.next()?.parse().ok()?;
    let ns = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((seq, ns))
}

/// A broadcast message of `size` bytes (at least its mark).
fn broadcast_data(seq: u64, ns: u64, size: usize) -> String {
    let mut data = format!("{MARK}{seq}:{ns}:");
    if data.len() < size {
        data.extend(std::iter::repeat_n('x', size - data.len()));
    }
    data
}

/// A receiver: answers pings, times each delivery of `event`, counts
/// them into `delivered`; ends when told (`stop`) or disconnected.
async fn receiver(
    mut client: Client,
    event: String,
    start: Instant,
    delivered: Arc<watch::Sender<u64>>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) -> (Option<Client>, TaskReport) {
    let mut report = TaskReport::default();
    loop {
        let heartbeat = client.heartbeat_deadline();
        tokio::select! {
            biased;
            _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => return (Some(client), report),
            message = client.recv_message() => {
                match client.handle(message).await {
                    Some(Incoming::Event(p)) => {
                        let name = p.event_name();
                        if name.as_ref().and_then(|n| n.as_str()) != Some(event.as_str()) {
                            continue;
                        }
                        let Some((_, ns)) = p.payload().and_then(|pl| marked(pl.json())) else {
                            continue;
                        };
                        let now = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        report.latencies_us.push(micros(Duration::from_nanos(now.saturating_sub(ns))));
                        report.received += 1;
                        Counters::bump(&counters.received);
                        delivered.send_modify(|d| *d += 1);
                    }
                    Some(Incoming::Disconnected(reason)) => {
                        report.error(&counters, ErrorKind::Closed, format!("disconnected: {reason}"));
                        return (None, report);
                    }
                    _ => {}
                }
            }
            _ = tokio::time::sleep_until(heartbeat) => {
                client.expire();
                report.error(&counters, ErrorKind::Closed, "disconnected: ping timeout".into());
                return (None, report);
            }
        }
    }
}

fn receivers_len(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

async fn run_broadcast(
    target: &SioTarget,
    connections: usize,
    plan: &Plan,
    counters: &Arc<Counters>,
) -> Outcome {
    let mut outcome = Outcome {
        connections,
        size: plan.size,
        ..Outcome::default()
    };
    let receivers = open_clients(
        target,
        connections,
        true,
        counters,
        &mut outcome.errors,
        plan.reply_timeout,
    )
    .await;
    // The sender joins too (a server may let only members talk to a
    // room); what it gets back is not counted.
    let sender = open_clients(
        target,
        1,
        true,
        counters,
        &mut outcome.errors,
        plan.reply_timeout,
    )
    .await
    .pop();
    outcome.connected = receivers.len();
    let Some(mut sender) = sender else {
        disconnect_all(receivers).await;
        return outcome;
    };
    let n = receivers.len() as u64;
    let (delivered_tx, mut delivered) = watch::channel(0u64);
    let delivered_tx = Arc::new(delivered_tx);
    let (stop_tx, stop_rx) = watch::channel(false);
    let start = Instant::now();
    counters.start();
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|c| {
            tokio::spawn(receiver(
                c,
                target.event.clone(),
                start,
                delivered_tx.clone(),
                counters.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    let deadline = start + plan.duration;
    let mut report = TaskReport::default();
    let mut ticker = plan.interval().map(|i| {
        let mut t = tokio::time::interval(i);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        t
    });
    // Each message is delivered n times: the cap counts deliveries.
    let max = plan.per_connection_max(receivers_len(n));
    let mut sender_ok = true;
    'send: while Instant::now() < deadline && report.sent < max && n > 0 {
        // Closed loop: wait until every receiver has the last message.
        // At a rate: wait for the next tick. Either way, keep reading the
        // sender's socket (pings).
        let target_count = report.sent * n;
        // At a rate, only the deadline; closed, also the reply timeout.
        let wait_until = tokio::time::Instant::from_std(match ticker {
            Some(_) => deadline,
            None => (Instant::now() + plan.reply_timeout).min(deadline),
        });
        loop {
            tokio::select! {
                biased;
                message = sender.recv_message() => {
                    if let Some(Incoming::Disconnected(reason)) = sender.handle(message).await {
                        report.error(counters, ErrorKind::Closed, format!("sender disconnected: {reason}"));
                        sender_ok = false;
                        break 'send;
                    }
                }
                ready = async { delivered.wait_for(|d| *d >= target_count).await.is_ok() }, if ticker.is_none() => {
                    if !ready {
                        break 'send;
                    }
                    break;
                }
                _ = async { ticker.as_mut().map(|t| t.tick()).expect("a ticker").await }, if ticker.is_some() => break,
                // The deadline, or (closed loop) deliveries stalled past
                // the reply timeout: stop sending.
                _ = tokio::time::sleep_until(wait_until) => break 'send,
            }
        }
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let data = broadcast_data(report.sent, ns, plan.size);
        let emitted = tokio::time::timeout(
            plan.reply_timeout,
            sender.emit(&target.event, &(target.room.as_str(), data.as_str())),
        )
        .await;
        match emitted {
            Ok(Ok(())) => {
                report.sent += 1;
                Counters::bump(&counters.sent);
            }
            Ok(Err(e)) => {
                report.error(counters, ErrorKind::Send, e.to_string());
                sender_ok = false;
                break;
            }
            Err(_) => {
                report.error(
                    counters,
                    ErrorKind::Timeout,
                    "the server did not take an emit in time".into(),
                );
                sender_ok = false;
                break;
            }
        }
    }
    // Wait (bounded) for the deliveries still on their way.
    let expected = report.sent * n;
    let drain_until = tokio::time::Instant::now() + plan.reply_timeout;
    loop {
        tokio::select! {
            biased;
            _ = async { delivered.wait_for(|d| *d >= expected).await.map(|_| ()) } => break,
            message = sender.recv_message(), if sender_ok => {
                if let Some(Incoming::Disconnected(_)) = sender.handle(message).await {
                    sender_ok = false;
                }
            }
            _ = tokio::time::sleep_until(drain_until) => break,
        }
    }
    outcome.elapsed = start.elapsed();
    let _ = stop_tx.send(true);
    let mut samples = Vec::new();
    let mut open = Vec::new();
    for task in tasks {
        match task.await {
            Ok((client, r)) => {
                open.extend(client);
                outcome.received += r.received;
                samples.extend(r.latencies_us);
                outcome.errors.merge(r.errors);
            }
            Err(e) => outcome.errors.add(ErrorKind::Receive, 1, || {
                format!("receiver task failed: {e}")
            }),
        }
    }
    outcome.sent = report.sent;
    outcome.expected = expected;
    outcome.errors.merge(report.errors);
    let lost = expected.saturating_sub(outcome.received);
    outcome.errors.add(ErrorKind::Lost, lost, || {
        format!("{lost} of {expected} deliveries had not arrived")
    });
    outcome.latencies = Latencies::from_samples(samples);
    if sender_ok {
        open.push(sender);
    }
    disconnect_all(open).await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip() {
        let d = broadcast_data(12, 3456, 40);
        assert_eq!(d.len(), 40);
        assert_eq!(
            marked(&format!(r#"["chat","sid",{d:?}]"#)),
            Some((12, 3456))
        );
        assert_eq!(broadcast_data(1, 2, 0), "tl:1:2:");
        assert_eq!(marked(r#"["chat","tl:1"]"#), None);
        assert_eq!(marked(r#"["chat","hello"]"#), None);
    }
}
