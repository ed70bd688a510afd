//! The load generator core: what a run is asked to do ([`Plan`]), what it
//! counts while it runs ([`Counters`]), and what it found ([`Outcome`]:
//! counts, [`Latencies`] with percentiles, [`Errors`] by kind).
//!
//! Two loads build on it: [`ws_echo`] (WebSocket echo round trips) and
//! [`sio`] (Socket.IO emits with acks, or broadcasts to a room). Both are
//! either a closed loop (each connection sends, waits for the answer,
//! sends the next) or open at a fixed rate per connection, with at most
//! [`Plan::window`] messages in flight per connection, and both stop
//! sending at [`Plan::duration`] or after [`Plan::max_messages`] messages,
//! whichever comes first. Every wait for an answer is bounded by
//! [`Plan::reply_timeout`], so a run ends at most that long after its
//! duration.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub mod sio;
pub mod ws_echo;

/// The default cap on the messages of one run, all connections together
/// (bench-load's historical bound).
pub const DEFAULT_MAX_MESSAGES: u64 = 10_000_000;

/// What a load run does.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// How long connections send (the clock starts once every connection
    /// is open). Default: 10 s.
    pub duration: Duration,
    /// Messages per second per connection (for a broadcast, of the one
    /// sender); `0.0` is a closed loop: send, wait for the answer, send the
    /// next. Default: 0.
    pub rate: f64,
    /// The payload size in bytes. Default: 16.
    pub size: usize,
    /// The most messages sent in the whole run, all connections together
    /// (each connection sends at most its share). Default:
    /// [`DEFAULT_MAX_MESSAGES`]; it bounds the memory of the latency
    /// samples (4 bytes each).
    pub max_messages: u64,
    /// How long an answer may take before the connection counts a
    /// `timeout` error and stops. Default: 10 s.
    pub reply_timeout: Duration,
    /// The most messages in flight on one connection in a rate-driven run
    /// (past it, sending waits for answers). Default: 1,024.
    pub window: usize,
}

impl Plan {
    /// A closed-loop plan of 16-byte messages for `duration`, with the
    /// other defaults.
    pub fn new(duration: Duration) -> Plan {
        Plan {
            duration,
            rate: 0.0,
            size: 16,
            max_messages: DEFAULT_MAX_MESSAGES,
            reply_timeout: Duration::from_secs(10),
            window: 1024,
        }
    }

    /// Sets [`Plan::rate`] (negative or non-finite values mean 0, a
    /// closed loop).
    pub fn with_rate(mut self, rate: f64) -> Plan {
        self.rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            0.0
        };
        self
    }

    /// Sets [`Plan::size`].
    pub fn with_size(mut self, size: usize) -> Plan {
        self.size = size;
        self
    }

    /// Sets [`Plan::max_messages`] (at least 1).
    pub fn with_max_messages(mut self, max: u64) -> Plan {
        self.max_messages = max.max(1);
        self
    }

    /// Sets [`Plan::reply_timeout`].
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Plan {
        self.reply_timeout = timeout;
        self
    }

    /// Sets [`Plan::window`] (at least 1).
    pub fn with_window(mut self, window: usize) -> Plan {
        self.window = window.max(1);
        self
    }

    /// Whether this is a closed loop (no rate).
    pub fn is_closed_loop(&self) -> bool {
        self.rate <= 0.0
    }

    /// The share of [`Plan::max_messages`] of each of `connections`
    /// senders (at least 1).
    pub fn per_connection_max(&self, connections: usize) -> u64 {
        (self.max_messages / connections.max(1) as u64).max(1)
    }

    /// The time between two sends of one connection at [`Plan::rate`]
    /// (`None` for a closed loop).
    pub fn interval(&self) -> Option<Duration> {
        if self.is_closed_loop() {
            None
        } else {
            Some(Duration::from_secs_f64(1.0 / self.rate).max(Duration::from_nanos(1)))
        }
    }
}

/// Live counts of a run, shared with whatever displays progress (all
/// relaxed atomics: a display reads them while the connections add).
#[derive(Debug, Default)]
pub struct Counters {
    /// Set when the clock starts (every connection open).
    pub started: AtomicBool,
    /// Connections open.
    pub connected: AtomicU64,
    /// Messages sent.
    pub sent: AtomicU64,
    /// Answers (echoes, acks) or deliveries (broadcast) received.
    pub received: AtomicU64,
    /// Errors so far.
    pub errors: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The current value of `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Marks the clock as started.
    pub fn start(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// Whether the clock has started.
    pub fn is_started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }
}

/// Latency samples of a run in microseconds, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Latencies {
    sorted_us: Vec<u32>,
}

impl Latencies {
    /// Latencies from unsorted samples (µs).
    pub fn from_samples(mut samples_us: Vec<u32>) -> Latencies {
        samples_us.sort_unstable();
        Latencies {
            sorted_us: samples_us,
        }
    }

    /// The samples, sorted (µs).
    pub fn as_sorted(&self) -> &[u32] {
        &self.sorted_us
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        self.sorted_us.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted_us.is_empty()
    }

    /// The `p` quantile (0.0 ..= 1.0) in µs, see [`percentile`]; 0 without
    /// samples.
    pub fn percentile(&self, p: f64) -> u32 {
        percentile(&self.sorted_us, p)
    }

    /// The largest sample (µs), 0 without samples.
    pub fn max(&self) -> u32 {
        self.sorted_us.last().copied().unwrap_or(0)
    }

    /// The mean (µs), 0 without samples.
    pub fn mean(&self) -> f64 {
        if self.sorted_us.is_empty() {
            return 0.0;
        }
        let sum: u64 = self.sorted_us.iter().map(|&v| u64::from(v)).sum();
        sum as f64 / self.sorted_us.len() as f64
    }
}

/// The `p` quantile of `sorted` (ascending): the sample at rank
/// `round((n - 1) × p)`, 0 for no samples.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let last = sorted.len() - 1;
    let i = (last as f64 * p.clamp(0.0, 1.0)).round() as usize;
    sorted.get(i.min(last)).copied().unwrap_or(0)
}

/// A duration as whole microseconds, saturating at `u32::MAX` (71
/// minutes), the unit of [`Latencies`].
pub fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// The kinds of error a run counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A connection could not be opened (TCP, WebSocket handshake,
    /// Socket.IO CONNECT refused or not answered).
    Connect,
    /// Joining the broadcast room failed (no ack).
    Join,
    /// A send failed.
    Send,
    /// Receiving failed (a transport or protocol error).
    Receive,
    /// An answer took longer than [`Plan::reply_timeout`].
    Timeout,
    /// The server closed a connection during the run.
    Closed,
    /// An answer that does not match what was sent.
    Unexpected,
    /// Broadcast deliveries that had not arrived when the run ended.
    Lost,
}

impl ErrorKind {
    /// The kind's name in summaries (`connect`, `timeout`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Join => "join",
            ErrorKind::Send => "send",
            ErrorKind::Receive => "receive",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Closed => "closed",
            ErrorKind::Unexpected => "unexpected",
            ErrorKind::Lost => "lost",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors of a run by kind, each with a count and the first message seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    by_kind: BTreeMap<ErrorKind, (u64, String)>,
}

impl Errors {
    /// Adds `count` errors of `kind`; `message` is kept if it is the
    /// first of its kind.
    pub fn add(&mut self, kind: ErrorKind, count: u64, message: impl FnOnce() -> String) {
        if count == 0 {
            return;
        }
        self.by_kind
            .entry(kind)
            .and_modify(|e| e.0 += count)
            .or_insert_with(|| (count, message()));
    }

    /// Adds every error of `other`.
    pub fn merge(&mut self, other: Errors) {
        for (kind, (count, message)) in other.by_kind {
            self.add(kind, count, || message);
        }
    }

    /// All errors.
    pub fn total(&self) -> u64 {
        self.by_kind.values().map(|e| e.0).sum()
    }

    /// The count of `kind`.
    pub fn count(&self, kind: ErrorKind) -> u64 {
        self.by_kind.get(&kind).map_or(0, |e| e.0)
    }

    /// Each kind seen: the kind, its count, its first message.
    pub fn iter(&self) -> impl Iterator<Item = (ErrorKind, u64, &str)> + '_ {
        self.by_kind.iter().map(|(k, (n, m))| (*k, *n, m.as_str()))
    }
}

/// What a run found.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// Connections asked for.
    pub connections: usize,
    /// Connections that were open when the clock started.
    pub connected: usize,
    /// Messages sent.
    pub sent: u64,
    /// Answers received (echoes, acks), or for a broadcast deliveries.
    pub received: u64,
    /// Answers or deliveries the messages sent called for (`sent`, or for
    /// a broadcast `sent` × receivers).
    pub expected: u64,
    /// From the start of the clock until the last connection stopped.
    pub elapsed: Duration,
    /// Bytes of payload per message ([`Plan::size`]).
    pub size: usize,
    /// Round-trip (or delivery) latencies.
    pub latencies: Latencies,
    /// Errors by kind.
    pub errors: Errors,
}

impl Outcome {
    /// All errors.
    pub fn error_count(&self) -> u64 {
        self.errors.total()
    }

    /// Answers or deliveries per second over [`Outcome::elapsed`].
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.received as f64 / secs
        } else {
            0.0
        }
    }

    /// Payload bytes received per second.
    pub fn bytes_per_second(&self) -> f64 {
        self.throughput() * self.size as f64
    }
}

/// What one connection's task reports at its end.
#[derive(Debug, Default)]
pub(crate) struct TaskReport {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    pub(crate) latencies_us: Vec<u32>,
    pub(crate) errors: Errors,
}

impl TaskReport {
    /// Counts an error here and in the live counters.
    pub(crate) fn error(&mut self, counters: &Counters, kind: ErrorKind, message: String) {
        Counters::bump(&counters.errors);
        self.errors.add(kind, 1, || message);
    }
}

/// Runs `open(i)` for `i` in `0..n`, at most `batch` at a time as spawned
/// tasks, and returns the results in order (a task that panicked gives
/// `None`).
pub(crate) async fn batched<T, F, Fut>(n: usize, batch: usize, open: F) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut done = Vec::with_capacity(n);
    let mut pending = Vec::with_capacity(batch.max(1));
    for i in 0..n {
        pending.push(tokio::spawn(open(i)));
        if pending.len() >= batch.max(1) || i + 1 == n {
            for p in pending.drain(..) {
                done.push(p.await.ok());
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_rank() {
        let l = Latencies::from_samples((1..=100).rev().collect());
        assert_eq!(l.percentile(0.5), 51);
        assert_eq!(l.percentile(0.9), 90);
        assert_eq!(l.percentile(0.99), 99);
        assert_eq!(l.percentile(1.0), 100);
        assert_eq!(l.max(), 100);
        assert_eq!(Latencies::default().percentile(0.5), 0);
        assert_eq!(percentile(&[7], 0.99), 7);
    }

    #[test]
    fn errors_keep_the_first_message() {
        let mut e = Errors::default();
        e.add(ErrorKind::Timeout, 1, || "first".into());
        e.add(ErrorKind::Timeout, 2, || "second".into());
        let mut other = Errors::default();
        other.add(ErrorKind::Send, 1, || "send".into());
        e.merge(other);
        assert_eq!(e.total(), 4);
        assert_eq!(e.count(ErrorKind::Timeout), 3);
        let kinds: Vec<_> = e.iter().collect();
        assert_eq!(
            kinds,
            [
                (ErrorKind::Send, 1, "send"),
                (ErrorKind::Timeout, 3, "first")
            ]
        );
    }

    #[test]
    fn plan_shares_and_rates() {
        let p = Plan::new(Duration::from_secs(1)).with_max_messages(10);
        assert_eq!(p.per_connection_max(3), 3);
        assert_eq!(p.per_connection_max(100), 1);
        assert!(p.is_closed_loop());
        assert_eq!(p.clone().with_rate(-1.0).interval(), None);
        assert_eq!(
            p.with_rate(4.0).interval(),
            Some(Duration::from_millis(250))
        );
    }
}
