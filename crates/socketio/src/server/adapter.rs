//! Server-wide operations behind the [`Adapter`] trait, and the in-memory
//! [`LocalAdapter`].
//!
//! An adapter owns a namespace's rooms and delivers its broadcasts. The
//! trait is shaped after what crosses the wire between the nodes of the
//! reference's cluster adapters (`@socket.io/redis-adapter`,
//! `@socket.io/redis-streams-adapter`): a broadcast is a packet plus
//! [`BroadcastOptions`] (rooms, except, flags), the server-wide queries
//! (`sockets`, `fetch_sockets`, `rooms`) and commands (`add_sockets`,
//! `del_sockets`, `disconnect_sockets`, `server_side_emit`) are requests
//! every node answers, and sessions for connection state recovery are
//! persisted and restored by `pid` and offset. Those methods return
//! futures, so that a cluster adapter can wait for the other nodes; the
//! membership of local sockets (`add_all`, `del`, `del_all`) stays
//! synchronous, as it is in the reference.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tether_engineio::MessageData;

use super::ns::NsInner;
use super::recovery::{RecoveryConfig, RecoveryStore};
use super::socket::{Delivery, Extensions, Socket};
use super::types::{SidMap, SidSet};
use super::{lock, read, write, BoxFuture, DisconnectReason, EmitError, Sid};
use crate::Packet;

/// A room name.
pub type Room = Arc<str>;

/// A future an adapter returns.
pub type AdapterFuture<T> = BoxFuture<T>;

/// Anything that names rooms: `"a"`, `String`, `["a", "b"]`, a `Vec`, a
/// [`Sid`] (a socket's own room).
pub trait IntoRooms {
    /// The rooms.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self)]
    }
}

impl IntoRooms for Room {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for Sid {
    fn into_rooms(self) -> Vec<Room> {
        vec![Room::from(self.as_str())]
    }
}

impl<T: IntoRooms> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms + Clone> IntoRooms for &[T] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter()
            .cloned()
            .flat_map(IntoRooms::into_rooms)
            .collect()
    }
}

/// The flags of a broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BroadcastFlags {
    /// Dropped for a client whose transport cannot write at once.
    pub volatile: bool,
    /// To this node's sockets only (a cluster adapter does not forward it).
    pub local: bool,
    /// Whether the transport may compress it (default true): false sends
    /// the packet and its attachments uncompressed on a WebSocket with
    /// permessage-deflate in force; polling compresses nothing.
    pub compress: bool,
}

impl Default for BroadcastFlags {
    /// Not volatile, not local, compressed.
    fn default() -> BroadcastFlags {
        BroadcastFlags {
            volatile: false,
            local: false,
            compress: true,
        }
    }
}

/// Who a broadcast reaches: the sockets in any of `rooms` (every socket
/// when empty), but none in `except`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BroadcastOptions {
    /// The rooms; empty for the whole namespace.
    pub rooms: Vec<Room>,
    /// The rooms whose sockets are left out.
    pub except: Vec<Room>,
    /// The flags.
    pub flags: BroadcastFlags,
}

impl BroadcastOptions {
    /// Options that reach the whole namespace (the same as `default()`).
    pub fn new() -> BroadcastOptions {
        BroadcastOptions::default()
    }

    /// Whether a socket in `rooms` (with its own id `sid`) is reached, as
    /// the reference's recovery decides which kept packets to replay.
    pub fn includes(&self, sid: Sid, rooms: &[Room]) -> bool {
        let in_any = |names: &[Room]| {
            names
                .iter()
                .any(|r| &**r == sid.as_str() || rooms.contains(r))
        };
        (self.rooms.is_empty() || in_any(&self.rooms)) && !in_any(&self.except)
    }
}

/// The answers to a broadcast with an ack.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct AckReplies {
    /// Each answer, with the id of the socket that gave it.
    pub replies: Vec<(Sid, Packet)>,
    /// How many sockets the broadcast reached (so how many answers were
    /// expected).
    pub expected: usize,
}

/// What connection state recovery keeps of a socket that disconnected.
#[derive(Debug)]
#[non_exhaustive]
pub struct PersistedSession {
    /// The socket's id.
    pub sid: Sid,
    /// The private id the client presents to recover it.
    pub pid: Sid,
    /// Its rooms, its own excepted.
    pub rooms: Vec<Room>,
    /// Its data.
    pub data: Extensions,
}

/// A session given back by [`Adapter::restore_session`].
#[derive(Debug)]
#[non_exhaustive]
pub struct RestoredSession {
    /// The socket's id, to keep.
    pub sid: Sid,
    /// The private id, to keep.
    pub pid: Sid,
    /// The rooms to join again.
    pub rooms: Vec<Room>,
    /// The data.
    pub data: Extensions,
    /// The events the client missed, in order, each with its offset.
    pub missed: Vec<Packet>,
}

/// A socket as a server-wide query reports it: on this node or another.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SocketInfo {
    /// Its id.
    pub id: Sid,
    /// Its rooms, its own id first.
    pub rooms: Vec<Room>,
}

/// What [`Adapter::restore_session`] calls with the restored session.
pub type Attach = Box<dyn FnOnce(RestoredSession) + Send>;

/// A namespace's rooms and broadcasts, server-wide.
///
/// Implementations must deliver a broadcast's packet once to every local
/// socket it reaches, in the order broadcasts are made, and must not
/// block (they are called from event handlers).
pub trait Adapter: Send + Sync + 'static {
    /// Adds the local socket `sid` to `rooms`.
    fn add_all(&self, sid: Sid, rooms: &[Room]);
    /// Removes the local socket `sid` from `room`.
    fn del(&self, sid: Sid, room: &Room);
    /// Removes the local socket `sid` from every room.
    fn del_all(&self, sid: Sid);
    /// The rooms of the local socket `sid`, its own id excepted.
    fn socket_rooms(&self, sid: Sid) -> Vec<Room>;
    /// Sends `packet` to every socket `opts` reaches.
    fn broadcast(&self, packet: Packet, opts: &BroadcastOptions);
    /// Sends `packet` (its ack id set) to every socket `opts` reaches and
    /// collects the answers until each has answered or `timeout` passes.
    fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AdapterFuture<AckReplies>;
    /// The ids of the sockets `opts` reaches.
    fn sockets(&self, opts: &BroadcastOptions) -> AdapterFuture<Vec<Sid>>;
    /// The sockets `opts` reaches, with their rooms.
    fn fetch_sockets(&self, opts: &BroadcastOptions) -> AdapterFuture<Vec<SocketInfo>>;
    /// Every room that has a socket in it (sockets' own rooms excepted).
    fn rooms(&self) -> AdapterFuture<Vec<Room>>;
    /// Makes the sockets `opts` reaches join `rooms`.
    fn add_sockets(&self, opts: &BroadcastOptions, rooms: Vec<Room>) -> AdapterFuture<()>;
    /// Makes the sockets `opts` reaches leave `rooms`.
    fn del_sockets(&self, opts: &BroadcastOptions, rooms: Vec<Room>) -> AdapterFuture<()>;
    /// Disconnects the sockets `opts` reaches (closing their clients'
    /// sessions too if `close`).
    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> AdapterFuture<()>;
    /// Sends `packet` to the other nodes' servers (not to any socket);
    /// with `ack` set, collects their answers within it. A single node has
    /// no other server: nothing is sent and no answer comes.
    fn server_side_emit(&self, packet: Packet, ack: Option<Duration>) -> AdapterFuture<AckReplies>;
    /// How many nodes serve this namespace (this one included).
    fn server_count(&self) -> AdapterFuture<usize>;
    /// Keeps a disconnected socket's state for connection state recovery.
    fn persist_session(&self, session: PersistedSession);
    /// Gives back the session of `pid` with the events sent after
    /// `offset`, if it is still kept and `offset` is known, by calling
    /// `attach` with it; resolves to whether it did. `attach` connects the
    /// socket, sends its CONNECT and the missed events: the adapter calls
    /// it so that no broadcast is delivered between the moment the missed
    /// events are read and the moment the socket is reachable (the
    /// in-memory adapter holds its recovery lock across both), so that
    /// nothing is lost, doubled or reordered.
    fn restore_session(&self, pid: Sid, offset: &str, attach: Attach) -> AdapterFuture<bool>;
}

type MakeAdapter =
    dyn Fn(LocalNamespace, Option<&RecoveryConfig>) -> Arc<dyn Adapter> + Send + Sync;

/// Makes each namespace's adapter.
#[derive(Clone)]
pub struct AdapterFactory {
    make: Arc<MakeAdapter>,
}

impl fmt::Debug for AdapterFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdapterFactory")
    }
}

impl AdapterFactory {
    /// The in-memory [`LocalAdapter`].
    pub fn local() -> AdapterFactory {
        AdapterFactory::new(|ns, recovery| Arc::new(LocalAdapter::new(ns, recovery)))
    }

    /// A factory from a function of the namespace (through which an
    /// adapter reaches the local sockets) and the recovery configuration.
    pub fn new<F>(make: F) -> AdapterFactory
    where
        F: Fn(LocalNamespace, Option<&RecoveryConfig>) -> Arc<dyn Adapter> + Send + Sync + 'static,
    {
        AdapterFactory {
            make: Arc::new(make),
        }
    }

    pub(crate) fn make(
        &self,
        ns: LocalNamespace,
        recovery: Option<&RecoveryConfig>,
    ) -> Arc<dyn Adapter> {
        (self.make)(ns, recovery)
    }
}

/// The local sockets of a namespace, as its adapter reaches them.
#[derive(Clone)]
pub struct LocalNamespace {
    ns: Weak<NsInner>,
}

impl fmt::Debug for LocalNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalNamespace").finish_non_exhaustive()
    }
}

impl LocalNamespace {
    pub(crate) fn new(ns: Weak<NsInner>) -> LocalNamespace {
        LocalNamespace { ns }
    }

    /// The namespace's name (empty once the namespace is gone).
    pub fn name(&self) -> String {
        self.ns
            .upgrade()
            .map(|ns| ns.name.to_string())
            .unwrap_or_default()
    }

    /// The connected local socket `sid`.
    pub fn socket(&self, sid: Sid) -> Option<Socket> {
        self.ns.upgrade()?.socket(sid)
    }

    /// Every connected local socket.
    pub fn sockets(&self) -> Vec<Socket> {
        self.ns.upgrade().map(|ns| ns.sockets()).unwrap_or_default()
    }
}

#[derive(Default)]
struct Rooms {
    /// Room → its sockets.
    members: HashMap<Room, SidSet>,
    /// Socket → its rooms (own id excepted).
    of: SidMap<Vec<Room>>,
}

/// The in-memory adapter: rooms in two maps (room → sockets, socket →
/// rooms; a socket's own room is not stored, its id reaches it), local
/// delivery, and the kept packets and sessions of connection state
/// recovery ([`RecoveryConfig`] states their bounds).
pub struct LocalAdapter {
    ns: LocalNamespace,
    rooms: RwLock<Rooms>,
    recovery: Option<Mutex<RecoveryStore>>,
}

impl fmt::Debug for LocalAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalAdapter")
            .field("rooms", &read(&self.rooms).members.len())
            .field("recovery", &self.recovery.is_some())
            .finish()
    }
}

impl LocalAdapter {
    /// The adapter of `ns`, keeping what `recovery` asks for.
    pub fn new(ns: LocalNamespace, recovery: Option<&RecoveryConfig>) -> LocalAdapter {
        LocalAdapter {
            ns,
            rooms: RwLock::new(Rooms::default()),
            recovery: recovery.map(|c| Mutex::new(RecoveryStore::new(c.clone()))),
        }
    }

    /// Runs `f` on each local socket `opts` reaches, once, under the
    /// adapter's and the namespace's read locks (`f` must not take them).
    fn for_each_target(&self, opts: &BroadcastOptions, mut f: impl FnMut(&Socket)) {
        let Some(ns) = self.ns.ns.upgrade() else {
            return;
        };
        let rooms = read(&self.rooms);
        let sockets = read(&ns.sockets);
        // The except rooms looked up once, not per socket.
        let except_sids: Vec<Sid> = opts.except.iter().filter_map(|r| Sid::parse(r)).collect();
        let except_sets: Vec<&SidSet> = opts
            .except
            .iter()
            .filter_map(|r| rooms.members.get(r))
            .collect();
        let excluded =
            |sid: &Sid| except_sids.contains(sid) || except_sets.iter().any(|m| m.contains(sid));
        if opts.rooms.is_empty() {
            for (sid, socket) in sockets.iter() {
                if !excluded(sid) {
                    f(socket);
                }
            }
            return;
        }
        let mut seen = SidSet::default();
        let single = opts.rooms.len() == 1;
        for room in &opts.rooms {
            let members = rooms.members.get(room);
            let mut visit = |sid: &Sid| {
                if (single || seen.insert(*sid)) && !excluded(sid) {
                    if let Some(socket) = sockets.get(sid) {
                        f(socket);
                    }
                }
            };
            if let Some(members) = members {
                members.iter().for_each(&mut visit);
            }
            // A socket's own room.
            if let Some(sid) = Sid::parse(room) {
                if !members.is_some_and(|m| m.contains(&sid)) {
                    visit(&sid);
                }
            }
        }
    }

    /// The local sockets `opts` reaches, each once.
    fn targets(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        let mut out = Vec::new();
        self.for_each_target(opts, |s| out.push(s.clone()));
        out
    }

    /// Delivers to each socket `opts` reaches; returns those too slow to
    /// take it.
    fn deliver_all(
        &self,
        opts: &BroadcastOptions,
        messages: &[MessageData],
        how: Delivery,
    ) -> Vec<Socket> {
        let mut slow = Vec::new();
        self.for_each_target(opts, |socket| {
            if let Err(EmitError::Full) = socket.deliver(messages, how) {
                slow.push(socket.clone());
            }
        });
        slow
    }

    /// Closes clients too slow to take a broadcast, rather than give them
    /// a gap (see the server's documentation on slow clients). Called with
    /// no lock held: their sockets disconnect at once.
    fn close_slow(slow: Vec<Socket>) {
        for socket in slow {
            socket.inner.client.close_slow();
        }
    }
}

pub(crate) fn messages(packet: &Packet) -> Vec<MessageData> {
    let (text, attachments) = packet.encode();
    let mut out = Vec::with_capacity(1 + attachments.len());
    out.push(MessageData::Text(text));
    out.extend(attachments.into_iter().map(MessageData::Binary));
    out
}

impl Adapter for LocalAdapter {
    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        let mut state = write(&self.rooms);
        for room in rooms {
            if &**room == sid.as_str() {
                continue;
            }
            if state.members.entry(room.clone()).or_default().insert(sid) {
                state.of.entry(sid).or_default().push(room.clone());
            }
        }
    }

    fn del(&self, sid: Sid, room: &Room) {
        let mut state = write(&self.rooms);
        let Some(members) = state.members.get_mut(room) else {
            return;
        };
        if members.remove(&sid) {
            if members.is_empty() {
                state.members.remove(room);
            }
            if let Some(of) = state.of.get_mut(&sid) {
                of.retain(|r| r != room);
                if of.is_empty() {
                    state.of.remove(&sid);
                }
            }
        }
    }

    fn del_all(&self, sid: Sid) {
        let mut state = write(&self.rooms);
        for room in state.of.remove(&sid).unwrap_or_default() {
            if let Some(members) = state.members.get_mut(&room) {
                members.remove(&sid);
                if members.is_empty() {
                    state.members.remove(&room);
                }
            }
        }
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        read(&self.rooms).of.get(&sid).cloned().unwrap_or_default()
    }

    fn broadcast(&self, packet: Packet, opts: &BroadcastOptions) {
        let volatile = opts.flags.volatile;
        if let Some(store) = &self.recovery {
            if packet.is_event() && packet.ack_id().is_none() && !volatile {
                // Kept with its offset, and delivered under the store's
                // lock so every client sees offsets in increasing order.
                let slow = {
                    let mut store = lock(store);
                    let packet = store.keep(packet, opts);
                    let how = Delivery {
                        volatile: false,
                        compress: opts.flags.compress,
                    };
                    self.deliver_all(opts, &messages(&packet), how)
                };
                Self::close_slow(slow);
                return;
            }
        }
        let how = Delivery {
            volatile,
            compress: opts.flags.compress,
        };
        Self::close_slow(self.deliver_all(opts, &messages(&packet), how));
    }

    fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AdapterFuture<AckReplies> {
        let Some(id) = packet.ack_id() else {
            return Box::pin(async { AckReplies::default() });
        };
        let encoded = messages(&packet);
        let how = Delivery {
            volatile: opts.flags.volatile,
            compress: opts.flags.compress,
        };
        let mut waiting = FuturesUnordered::new();
        let mut recipients = Vec::new();
        for socket in self.targets(opts) {
            let Some(rx) = socket.expect_ack(id) else {
                continue;
            };
            match socket.deliver(&encoded, how) {
                Ok(()) => {
                    recipients.push(socket.clone());
                    waiting.push(async move {
                        let reply = rx.await.ok();
                        (socket, reply)
                    });
                }
                Err(_) => socket.forget_ack(id),
            }
        }
        Box::pin(async move {
            let expected = waiting.len();
            let mut replies = Vec::with_capacity(expected);
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                match tokio::time::timeout_at(deadline, waiting.next()).await {
                    Ok(Some((socket, Some(packet)))) => replies.push((socket.id(), packet)),
                    Ok(Some((_, None))) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            // Those that did not answer in time forget the id.
            for socket in &recipients {
                socket.forget_ack(id);
            }
            AckReplies { replies, expected }
        })
    }

    fn sockets(&self, opts: &BroadcastOptions) -> AdapterFuture<Vec<Sid>> {
        let ids = self.targets(opts).iter().map(Socket::id).collect();
        Box::pin(async move { ids })
    }

    fn fetch_sockets(&self, opts: &BroadcastOptions) -> AdapterFuture<Vec<SocketInfo>> {
        let infos = self
            .targets(opts)
            .iter()
            .map(|s| SocketInfo {
                id: s.id(),
                rooms: s.rooms(),
            })
            .collect();
        Box::pin(async move { infos })
    }

    fn rooms(&self) -> AdapterFuture<Vec<Room>> {
        let rooms = read(&self.rooms).members.keys().cloned().collect();
        Box::pin(async move { rooms })
    }

    fn add_sockets(&self, opts: &BroadcastOptions, rooms: Vec<Room>) -> AdapterFuture<()> {
        for socket in self.targets(opts) {
            self.add_all(socket.id(), &rooms);
        }
        Box::pin(async {})
    }

    fn del_sockets(&self, opts: &BroadcastOptions, rooms: Vec<Room>) -> AdapterFuture<()> {
        for socket in self.targets(opts) {
            for room in &rooms {
                self.del(socket.id(), room);
            }
        }
        Box::pin(async {})
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> AdapterFuture<()> {
        for socket in self.targets(opts) {
            if close {
                socket.disconnect_and_close();
            } else {
                socket.disconnect_with(DisconnectReason::ServerNamespaceDisconnect, false);
            }
        }
        Box::pin(async {})
    }

    fn server_side_emit(
        &self,
        _packet: Packet,
        _ack: Option<Duration>,
    ) -> AdapterFuture<AckReplies> {
        Box::pin(async { AckReplies::default() })
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        Box::pin(async { 1 })
    }

    fn persist_session(&self, session: PersistedSession) {
        if let Some(store) = &self.recovery {
            lock(store).persist(session);
        }
    }

    fn restore_session(&self, pid: Sid, offset: &str, attach: Attach) -> AdapterFuture<bool> {
        let restored = self.recovery.as_ref().is_some_and(|store| {
            let mut store = lock(store);
            match store.restore(pid, offset) {
                Some(session) => {
                    attach(session);
                    true
                }
                None => false,
            }
        });
        Box::pin(async move { restored })
    }
}
