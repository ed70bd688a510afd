//! Connection state recovery in memory: the events a namespace sent, with
//! their offsets, and the sessions of sockets that disconnected.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::adapter::{BroadcastOptions, PersistedSession, RestoredSession};
use super::Sid;
use crate::Packet;

/// Connection state recovery, as the reference's `connectionStateRecovery`:
/// a client that lost its connection and comes back within
/// `max_disconnection_duration` gets its socket id, rooms and data back,
/// and every event it missed.
///
/// What is kept, per namespace, is bounded: every event without an ack
/// request that is not volatile, for `max_disconnection_duration`, at most
/// `max_packets` of them and `max_bytes` of their text and attachments
/// (the oldest go first; a client whose offset went is not recovered and
/// gets a new session, never a partial replay); and the state of at most
/// `max_sessions` disconnected sockets. With the defaults that is at most
/// about 16 MiB plus 64 bytes per packet, and for each session its rooms
/// and data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryConfig {
    /// How long a disconnected socket's state and the events it may miss
    /// are kept. Default 120 s.
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the namespace's middleware.
    /// Default true, as the reference. When false, the middleware runs
    /// before anything of the old session is given back.
    pub skip_middlewares: bool,
    /// At most this many events kept per namespace. Default 16,384.
    pub max_packets: usize,
    /// At most this many bytes of kept events per namespace. Default
    /// 16 MiB.
    pub max_bytes: usize,
    /// At most this many disconnected sessions kept per namespace (the
    /// oldest go first). Default 100,000.
    pub max_sessions: usize,
}

impl Default for RecoveryConfig {
    fn default() -> RecoveryConfig {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_packets: 16_384,
            max_bytes: 16 << 20,
            max_sessions: 100_000,
        }
    }
}

impl RecoveryConfig {
    /// Sets `max_disconnection_duration`.
    pub fn with_max_disconnection_duration(mut self, d: Duration) -> RecoveryConfig {
        self.max_disconnection_duration = d;
        self
    }

    /// Sets `skip_middlewares`.
    pub fn with_skip_middlewares(mut self, skip: bool) -> RecoveryConfig {
        self.skip_middlewares = skip;
        self
    }

    /// Sets `max_packets`.
    pub fn with_max_packets(mut self, max: usize) -> RecoveryConfig {
        self.max_packets = max;
        self
    }

    /// Sets `max_bytes`.
    pub fn with_max_bytes(mut self, max: usize) -> RecoveryConfig {
        self.max_bytes = max;
        self
    }

    /// Sets `max_sessions`.
    pub fn with_max_sessions(mut self, max: usize) -> RecoveryConfig {
        self.max_sessions = max;
        self
    }
}

struct Kept {
    offset: u64,
    at: Instant,
    size: usize,
    opts: BroadcastOptions,
    packet: Packet,
}

pub(crate) struct RecoveryStore {
    config: RecoveryConfig,
    packets: VecDeque<Kept>,
    bytes: usize,
    next_offset: u64,
    sessions: HashMap<Sid, (u64, PersistedSession)>,
    /// Sessions in the order they were kept: (kept at, generation, pid).
    order: VecDeque<(Instant, u64, Sid)>,
    generation: u64,
}

impl RecoveryStore {
    pub(crate) fn new(config: RecoveryConfig) -> RecoveryStore {
        RecoveryStore {
            config,
            packets: VecDeque::new(),
            bytes: 0,
            // Offsets start at a random point so that offsets of an
            // earlier server process are not mistaken for this one's.
            next_offset: u64::from(rand::random::<u32>()) << 16,
            sessions: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
        }
    }

    fn expired(&self, at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(at) > self.config.max_disconnection_duration
    }

    fn purge(&mut self, now: Instant) {
        while self
            .packets
            .front()
            .is_some_and(|k| self.expired(k.at, now))
        {
            self.pop_packet();
        }
        while let Some(&(at, generation, pid)) = self.order.front() {
            let over = self.sessions.len() > self.config.max_sessions;
            if !over && !self.expired(at, now) {
                break;
            }
            self.order.pop_front();
            if self
                .sessions
                .get(&pid)
                .is_some_and(|(g, _)| *g == generation)
            {
                self.sessions.remove(&pid);
            }
        }
    }

    fn pop_packet(&mut self) {
        if let Some(k) = self.packets.pop_front() {
            self.bytes -= k.size;
        }
    }

    /// Keeps an event: returns it with its offset as the last argument.
    pub(crate) fn keep(&mut self, packet: Packet, opts: &BroadcastOptions) -> Packet {
        let now = Instant::now();
        self.purge(now);
        let offset = self.next_offset;
        self.next_offset += 1;
        let packet = packet.with_last_arg(&offset.to_string()).unwrap_or(packet);
        let size = packet.text_len()
            + packet
                .attachments()
                .iter()
                .map(bytes::Bytes::len)
                .sum::<usize>()
            + 64;
        self.bytes += size;
        self.packets.push_back(Kept {
            offset,
            at: now,
            size,
            opts: opts.clone(),
            packet: packet.clone(),
        });
        while self.packets.len() > self.config.max_packets
            || (self.bytes > self.config.max_bytes && self.packets.len() > 1)
        {
            self.pop_packet();
        }
        packet
    }

    pub(crate) fn persist(&mut self, session: PersistedSession) {
        let now = Instant::now();
        self.generation += 1;
        self.order.push_back((now, self.generation, session.pid));
        self.sessions
            .insert(session.pid, (self.generation, session));
        self.purge(now);
    }

    pub(crate) fn restore(&mut self, pid: Sid, offset: &str) -> Option<RestoredSession> {
        self.purge(Instant::now());
        let offset: u64 = offset.parse().ok()?;
        let index = self
            .packets
            .binary_search_by_key(&offset, |k| k.offset)
            .ok()?;
        let (_, session) = self.sessions.remove(&pid)?;
        let missed = self
            .packets
            .iter()
            .skip(index + 1)
            .filter(|k| k.opts.includes(session.sid, &session.rooms))
            .map(|k| k.packet.clone())
            .collect();
        Some(RestoredSession {
            sid: session.sid,
            pid: session.pid,
            rooms: session.rooms,
            data: session.data,
            missed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::adapter::Room;
    use crate::server::Extensions;

    fn event(n: u32) -> Packet {
        Packet::event("/", "e", &(n,)).expect("event")
    }

    fn offset_of(p: &Packet) -> String {
        let args: Vec<serde_json::Value> = p.args().expect("args");
        args.last()
            .and_then(|v| v.as_str())
            .expect("offset")
            .to_owned()
    }

    fn session(sid: Sid, pid: Sid, rooms: &[&str]) -> PersistedSession {
        PersistedSession {
            sid,
            pid,
            rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
            data: Extensions::default(),
        }
    }

    fn to(rooms: &[&str]) -> BroadcastOptions {
        let mut o = BroadcastOptions::new();
        o.rooms = rooms.iter().map(|r| Room::from(*r)).collect();
        o
    }

    #[test]
    fn replays_what_was_missed_in_order_for_the_rooms_it_was_in() {
        let mut store = RecoveryStore::new(RecoveryConfig::default());
        let (sid, pid) = (Sid::new(), Sid::new());
        let first = store.keep(event(1), &BroadcastOptions::new());
        assert_eq!(
            first.encode_text().matches(',').count(),
            2,
            "{:?}",
            first.encode_text()
        );
        let last_seen = offset_of(&first);
        store.persist(session(sid, pid, &["a"]));
        store.keep(event(2), &to(&["a"]));
        store.keep(event(3), &to(&["b"]));
        store.keep(event(4), &to(&[sid.as_str()]));
        let mut except = BroadcastOptions::new();
        except.except = vec![Room::from("a")];
        store.keep(event(5), &except);
        store.keep(event(6), &BroadcastOptions::new());
        let restored = store.restore(pid, &last_seen).expect("restored");
        assert_eq!(restored.sid, sid);
        let got: Vec<u32> = restored
            .missed
            .iter()
            .map(|p| p.args::<(u32, String)>().expect("args").0)
            .collect();
        assert_eq!(got, [2, 4, 6]);
        assert!(store.restore(pid, &last_seen).is_none(), "once");
    }

    #[test]
    fn unknown_offset_or_pid_or_expired_is_not_recovered() {
        let config = RecoveryConfig::default().with_max_packets(2);
        let mut store = RecoveryStore::new(config);
        let (sid, pid) = (Sid::new(), Sid::new());
        let first = offset_of(&store.keep(event(1), &BroadcastOptions::new()));
        store.persist(session(sid, pid, &[]));
        assert!(store.restore(Sid::new(), &first).is_none());
        assert!(store.restore(pid, "nope").is_none());
        store.keep(event(2), &BroadcastOptions::new());
        store.keep(event(3), &BroadcastOptions::new());
        // The first packet was evicted: no partial replay.
        assert!(store.restore(pid, &first).is_none());

        let config = RecoveryConfig::default().with_max_disconnection_duration(Duration::ZERO);
        let mut store = RecoveryStore::new(config);
        let first = offset_of(&store.keep(event(1), &BroadcastOptions::new()));
        store.persist(session(sid, pid, &[]));
        std::thread::sleep(Duration::from_millis(2));
        assert!(store.restore(pid, &first).is_none());
    }

    #[test]
    fn bounded_by_bytes_and_sessions() {
        let config = RecoveryConfig::default()
            .with_max_bytes(1000)
            .with_max_sessions(3);
        let mut store = RecoveryStore::new(config);
        for n in 0..100 {
            store.keep(event(n), &BroadcastOptions::new());
            store.persist(session(Sid::new(), Sid::new(), &["r"]));
        }
        assert!(store.bytes <= 1000, "{}", store.bytes);
        assert!(store.packets.len() < 100);
        assert!(store.sessions.len() <= 3);
        assert!(store.order.len() <= 4);
    }
}
