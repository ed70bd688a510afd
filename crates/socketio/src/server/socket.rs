//! A socket: one client connected to one namespace.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tether_engineio::session::SendOptions;
use tether_engineio::MessageData;
use tokio::sync::oneshot;

use super::adapter::{IntoRooms, Room};
use super::client::ClientShared;
use super::ns::NsInner;
use super::operators::{BroadcastOperator, SocketOperator};
use super::{lock, BoxFuture, DisconnectReason, EmitError, Sid};
use crate::{Packet, Payload};

pub(crate) type EventHandler = Arc<dyn Fn(Socket, Event) -> BoxFuture<()> + Send + Sync>;
type DisconnectHandler = Box<dyn FnOnce(Socket, DisconnectReason) -> BoxFuture<()> + Send>;

/// One client connected to one namespace: its id, handshake, event
/// handlers, rooms and data. Cheap to clone; every clone is the same
/// socket.
#[derive(Clone)]
pub struct Socket {
    pub(crate) inner: Arc<SocketInner>,
}

pub(crate) struct SocketInner {
    pub(crate) id: Sid,
    pub(crate) pid: Option<Sid>,
    pub(crate) ns: Arc<NsInner>,
    pub(crate) client: Arc<ClientShared>,
    /// The client's Engine.IO send side, here to save a hop per delivery.
    engine: tether_engineio::server::SocketSender,
    auth: Option<Payload>,
    issued: SystemTime,
    pub(crate) recovered: bool,
    pub(crate) connected: AtomicBool,
    state: Mutex<SocketState>,
    pub(crate) extensions: Extensions,
}

#[derive(Default)]
struct SocketState {
    events: HashMap<Box<str>, EventHandler>,
    any: Option<EventHandler>,
    disconnecting: Vec<DisconnectHandler>,
    disconnect: Vec<DisconnectHandler>,
    acks: HashMap<u64, oneshot::Sender<Packet>>,
    reason: Option<DisconnectReason>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.id)
            .field("namespace", &&*self.inner.ns.name)
            .field("connected", &self.connected())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Socket {
    pub(crate) fn new(
        ns: Arc<NsInner>,
        client: Arc<ClientShared>,
        auth: Option<Payload>,
        ids: Option<(Sid, Sid)>,
        with_pid: bool,
    ) -> Socket {
        let recovered = ids.is_some();
        let (id, pid) = match ids {
            Some((sid, pid)) => (sid, Some(pid)),
            None => (Sid::new(), with_pid.then(Sid::new)),
        };
        Socket {
            inner: Arc::new(SocketInner {
                id,
                pid,
                ns,
                engine: client.engine.clone(),
                client,
                auth,
                issued: SystemTime::now(),
                recovered,
                connected: AtomicBool::new(false),
                state: Mutex::new(SocketState::default()),
                extensions: Extensions::default(),
            }),
        }
    }

    /// The socket's id: random, distinct from the Engine.IO session id,
    /// kept across a recovered reconnection.
    pub fn id(&self) -> Sid {
        self.inner.id
    }

    /// The namespace's name.
    pub fn namespace(&self) -> &str {
        &self.inner.ns.name
    }

    /// The namespace.
    pub fn ns(&self) -> super::Namespace {
        super::Namespace {
            inner: self.inner.ns.clone(),
        }
    }

    /// The Engine.IO session id of the client (several sockets share it
    /// when the client joined several namespaces).
    pub fn engine_id(&self) -> &str {
        self.inner.client.engine.id()
    }

    /// The transport the client is on now.
    pub fn transport(&self) -> tether_engineio::session::Transport {
        self.inner.client.engine.transport()
    }

    /// Whether the socket is connected (true from the CONNECT reply until
    /// it disconnects).
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    /// Whether this connection recovered an earlier one's state (id,
    /// rooms, data, missed events) through connection state recovery.
    pub fn recovered(&self) -> bool {
        self.inner.recovered
    }

    /// Why the socket disconnected, once it has.
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        lock(&self.inner.state).reason
    }

    /// The handshake: query, headers, auth, address, time.
    pub fn handshake(&self) -> Handshake<'_> {
        Handshake { socket: self }
    }

    /// The socket's data, typed (one value per type), kept across a
    /// recovered reconnection.
    pub fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    /// Registers the handler of `event`, replacing an earlier one. Handlers
    /// start in the order the events arrive.
    pub fn on<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: EventHandler = Arc::new(move |s, e| Box::pin(handler(s, e)));
        lock(&self.inner.state).events.insert(event.into(), handler);
    }

    /// Removes the handler of `event`.
    pub fn off(&self, event: &str) {
        lock(&self.inner.state).events.remove(event);
    }

    /// Registers a handler that sees every event (before the event's own
    /// handler, if any), as the reference's `onAny`.
    pub fn on_any<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: EventHandler = Arc::new(move |s, e| Box::pin(handler(s, e)));
        lock(&self.inner.state).any = Some(handler);
    }

    /// Removes the catch-all handler.
    pub fn off_any(&self) {
        lock(&self.inner.state).any = None;
    }

    /// Runs `handler` when the socket is about to disconnect, while its
    /// rooms are still known.
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: FnOnce(Socket, DisconnectReason) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_closing(true, handler);
    }

    /// Runs `handler` once the socket has disconnected (left its rooms).
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: FnOnce(Socket, DisconnectReason) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_closing(false, handler);
    }

    fn on_closing<F, Fut>(&self, disconnecting: bool, handler: F)
    where
        F: FnOnce(Socket, DisconnectReason) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: DisconnectHandler = Box::new(move |s, r| Box::pin(handler(s, r)));
        let mut state = lock(&self.inner.state);
        if let Some(reason) = state.reason {
            // Registered after the socket went (it can disconnect between
            // its CONNECT and its handler's first lines, from another
            // thread: a shutdown, a server-wide disconnect): it runs now.
            drop(state);
            tokio::spawn(handler(self.clone(), reason));
            return;
        }
        if disconnecting {
            state.disconnecting.push(handler);
        } else {
            state.disconnect.push(handler);
        }
    }

    /// Emits `event` with `args` to this socket: a sequence (a tuple, a
    /// `Vec`, an array; `()` for none) is the argument list, any other
    /// value the single argument (`&json!({..})`, a struct). Byte strings
    /// anywhere in `args` go as binary attachments.
    ///
    /// # Errors
    ///
    /// [`EmitError::Encode`], [`EmitError::Disconnected`],
    /// [`EmitError::Full`] (nothing is sent; see
    /// [slow clients](super#slow-clients)).
    pub fn emit<A: Serialize + ?Sized>(&self, event: &str, args: &A) -> Result<(), EmitError> {
        self.operator().emit(event, args)
    }

    /// Emits `event` and waits for the client's acknowledgement, within
    /// the server's `ack_timeout` (see [`Socket::timeout`] for another),
    /// deserialized into `T` (the ack's arguments as a tuple).
    ///
    /// # Errors
    ///
    /// [`AckError`](super::AckError): the emit failed, the timeout passed,
    /// the socket disconnected, or the answer does not decode.
    pub fn emit_with_ack<A: Serialize + ?Sized, T: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: &A,
    ) -> impl Future<Output = Result<T, super::AckError>> + Send + 'static {
        self.operator().emit_with_ack(event, args)
    }

    /// This socket's emits with an ack timeout of `timeout`.
    pub fn timeout(&self, timeout: Duration) -> SocketOperator {
        self.operator().timeout(timeout)
    }

    /// This socket's emits, dropped when the transport cannot write at
    /// once.
    pub fn volatile(&self) -> SocketOperator {
        self.operator().volatile()
    }

    /// This socket's emits, compressed or not as asked: `compress(false)`
    /// sends them (and their binary attachments) uncompressed on a
    /// WebSocket with permessage-deflate; see [`SocketOperator::compress`].
    pub fn compress(&self, compress: bool) -> SocketOperator {
        self.operator().compress(compress)
    }

    fn operator(&self) -> SocketOperator {
        SocketOperator::new(self.clone())
    }

    /// A broadcast to the sockets in `rooms`, this one excepted.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Socket::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// A broadcast to the whole namespace but this socket and the sockets
    /// in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// A broadcast to the whole namespace but this socket.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.ns.clone()).except_sid(self.inner.id)
    }

    /// Joins `rooms`.
    pub fn join(&self, rooms: impl IntoRooms) {
        if self.connected() {
            self.inner
                .ns
                .adapter
                .add_all(self.inner.id, &rooms.into_rooms());
        }
    }

    /// Leaves `rooms`.
    pub fn leave(&self, rooms: impl IntoRooms) {
        for room in rooms.into_rooms() {
            self.inner.ns.adapter.del(self.inner.id, &room);
        }
    }

    /// The rooms the socket is in, its own id first.
    pub fn rooms(&self) -> Vec<Room> {
        let mut rooms = vec![Room::from(self.inner.id.as_str())];
        rooms.extend(self.inner.ns.adapter.socket_rooms(self.inner.id));
        rooms
    }

    /// Disconnects the socket from its namespace: the client gets a
    /// DISCONNECT (`io server disconnect` on its side) and the socket's
    /// reason is `server namespace disconnect`. The client's other
    /// namespaces stay connected.
    pub fn disconnect(&self) {
        self.disconnect_with(DisconnectReason::ServerNamespaceDisconnect, false);
    }

    /// Closes the client's Engine.IO session without a DISCONNECT, as the
    /// reference's `socket.conn.close()`: the client sees its transport
    /// close and reconnects (recovering its state, with recovery on); the
    /// sockets of all its namespaces disconnect with `forced close`.
    pub fn close_transport(&self) {
        self.inner.client.engine.close();
    }

    /// Disconnects every namespace of the client and closes its Engine.IO
    /// session (the reference's `disconnect(true)`).
    pub fn disconnect_and_close(&self) {
        for socket in self.inner.client.sockets() {
            socket.disconnect_with(DisconnectReason::ServerNamespaceDisconnect, false);
        }
        self.disconnect_with(DisconnectReason::ServerNamespaceDisconnect, true);
    }

    /// Disconnects with `reason` (a DISCONNECT goes to the client for a
    /// server namespace disconnect), optionally closing the session.
    pub(crate) fn disconnect_with(&self, reason: DisconnectReason, close: bool) {
        if reason == DisconnectReason::ServerNamespaceDisconnect && self.connected() {
            if let Ok(packet) = Packet::disconnect(self.inner.ns.name.clone()) {
                let _ = self.deliver_packet(&packet, Delivery::PLAIN);
            }
        }
        self.inner.client.forget(&self.inner.ns.name);
        self.closed(reason);
        if close {
            self.inner.client.engine.close();
        }
    }

    /// The socket is gone (`reason`): its disconnecting handlers run while
    /// its rooms are known, then it leaves them and its namespace, its
    /// pending acks fail, its state is kept for recovery if the reason
    /// allows, and its disconnect handlers run.
    pub(crate) fn closed(&self, reason: DisconnectReason) {
        if !self.inner.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        let (disconnecting, disconnect) = {
            let mut state = lock(&self.inner.state);
            state.reason = Some(reason);
            state.acks.clear();
            state.events.clear();
            state.any = None;
            (
                std::mem::take(&mut state.disconnecting),
                std::mem::take(&mut state.disconnect),
            )
        };
        if disconnecting.is_empty() {
            self.leave_namespace(reason, disconnect);
        } else {
            // The disconnecting handlers see the rooms: the socket leaves
            // them once they are done.
            let socket = self.clone();
            tokio::spawn(async move {
                for handler in disconnecting {
                    handler(socket.clone(), reason).await;
                }
                socket.leave_namespace(reason, disconnect);
            });
        }
    }

    fn leave_namespace(&self, reason: DisconnectReason, disconnect: Vec<DisconnectHandler>) {
        let ns = &self.inner.ns;
        if reason.is_recoverable() {
            if let Some(pid) = self.inner.pid {
                ns.adapter.persist_session(super::PersistedSession {
                    sid: self.inner.id,
                    pid,
                    rooms: ns.adapter.socket_rooms(self.inner.id),
                    data: self.inner.extensions.snapshot(),
                });
            }
        }
        ns.adapter.del_all(self.inner.id);
        ns.remove(self.inner.id);
        for handler in disconnect {
            tokio::spawn(handler(self.clone(), reason));
        }
    }

    /// Queues `packet` for the client: its text, then its attachments, all
    /// together (a plain packet without building a list).
    pub(crate) fn deliver_packet(&self, packet: &Packet, how: Delivery) -> Result<(), EmitError> {
        if packet.attachments().is_empty() {
            self.deliver(&[MessageData::Text(packet.encode_text())], how)
        } else {
            self.deliver(&super::adapter::messages(packet), how)
        }
    }

    /// Queues a packet's messages for the client, all together.
    pub(crate) fn deliver(&self, messages: &[MessageData], how: Delivery) -> Result<(), EmitError> {
        let engine = &self.inner.engine;
        if how.volatile && !engine.is_writable() {
            return Ok(());
        }
        let options = SendOptions::new().with_compress(how.compress);
        match engine.try_send_all_with(messages, options) {
            Ok(()) => Ok(()),
            Err(tether_engineio::session::SendError::Full) => Err(EmitError::Full),
            Err(_) => Err(EmitError::Disconnected),
        }
    }

    /// Registers a pending ack with `id`.
    pub(crate) fn expect_ack(&self, id: u64) -> Option<oneshot::Receiver<Packet>> {
        let (tx, rx) = oneshot::channel();
        let mut state = lock(&self.inner.state);
        if state.reason.is_some() {
            return None;
        }
        state.acks.insert(id, tx);
        Some(rx)
    }

    /// Forgets the pending ack `id` (its waiter gave up).
    pub(crate) fn forget_ack(&self, id: u64) {
        lock(&self.inner.state).acks.remove(&id);
    }

    /// An ACK from the client: its waiter gets it. An unknown id is
    /// ignored, as the reference ignores it.
    pub(crate) fn receive_ack(&self, packet: Packet) {
        let Some(id) = packet.ack_id() else { return };
        let waiter = lock(&self.inner.state).acks.remove(&id);
        if let Some(tx) = waiter {
            let _ = tx.send(packet);
        }
    }

    /// Starts the handlers of an event: the catch-all one, then the
    /// event's own. Without a handler, nothing happens (no automatic ack).
    pub(crate) fn dispatch(&self, packet: Packet, mut start: impl FnMut(BoxFuture<()>)) {
        let (any, handler) = {
            let name = packet.event_name();
            let state = lock(&self.inner.state);
            (
                state.any.clone(),
                name.as_ref()
                    .and_then(crate::EventName::as_str)
                    .and_then(|n| state.events.get(n).cloned()),
            )
        };
        let event = Event::new(self.clone(), packet);
        match (any, handler) {
            (Some(any), Some(handler)) => {
                start(any(self.clone(), event.share()));
                start(handler(self.clone(), event));
            }
            (Some(handler), None) | (None, Some(handler)) => start(handler(self.clone(), event)),
            (None, None) => {}
        }
    }

    pub(crate) fn auth(&self) -> Option<&Payload> {
        self.inner.auth.as_ref()
    }
}

/// The emit flags that decide how a packet reaches one client's
/// transport.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delivery {
    /// Dropped unless the transport can write it at once.
    pub(crate) volatile: bool,
    /// Whether the transport may compress it (its text and attachments).
    pub(crate) compress: bool,
}

impl Delivery {
    /// Not volatile, compressed where the transport compresses: the
    /// server's own packets (DISCONNECT, acks, a recovery's replay).
    pub(crate) const PLAIN: Delivery = Delivery {
        volatile: false,
        compress: true,
    };
}

/// An event the client sent: its name, arguments, and the ack it may ask
/// for.
pub struct Event {
    socket: Socket,
    inner: Arc<EventInner>,
}

struct EventInner {
    packet: Packet,
    acked: AtomicBool,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.name())
            .field("ack_id", &self.inner.packet.ack_id())
            .finish_non_exhaustive()
    }
}

impl Event {
    fn new(socket: Socket, packet: Packet) -> Event {
        Event {
            socket,
            inner: Arc::new(EventInner {
                packet,
                acked: AtomicBool::new(false),
            }),
        }
    }

    fn share(&self) -> Event {
        Event {
            socket: self.socket.clone(),
            inner: self.inner.clone(),
        }
    }

    /// The event's name; a numeric name (the protocol allows it) as its
    /// decimal text.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        match self.inner.packet.event_name() {
            Some(crate::EventName::Str(name)) => name,
            Some(crate::EventName::Number(n)) => std::borrow::Cow::Owned(n.to_string()),
            None => std::borrow::Cow::Borrowed(""),
        }
    }

    /// The arguments after the name, deserialized into `T` (a tuple with
    /// one element per argument, a `Vec`, a struct); byte types receive
    /// the attachments.
    ///
    /// # Errors
    ///
    /// [`crate::Error`] if they do not deserialize into `T`.
    pub fn args<'a, T: Deserialize<'a>>(&'a self) -> Result<T, crate::Error> {
        self.inner.packet.args()
    }

    /// The packet as it arrived.
    pub fn packet(&self) -> &Packet {
        &self.inner.packet
    }

    /// Whether the client asked for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.inner.packet.ack_id().is_some()
    }

    /// Answers the client's acknowledgement with `args` (a sequence is the
    /// argument list, any other value the single argument, as for
    /// [`Socket::emit`]), once (later calls and events without an ack
    /// request do nothing).
    ///
    /// # Errors
    ///
    /// As [`Socket::emit`].
    pub fn ack<A: Serialize + ?Sized>(&self, args: &A) -> Result<(), EmitError> {
        let Some(id) = self.inner.packet.ack_id() else {
            return Ok(());
        };
        if self.inner.acked.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let packet = super::operators::ack_packet(self.socket.inner.ns.name.clone(), id, args)?;
        self.socket.deliver_packet(&packet, Delivery::PLAIN)
    }
}

/// The handshake of a socket, as the reference builds it: the Engine.IO
/// handshake request's query, headers and address, the CONNECT's auth,
/// and when the socket was created.
#[derive(Clone, Copy)]
pub struct Handshake<'a> {
    socket: &'a Socket,
}

impl fmt::Debug for Handshake<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("url", &self.url())
            .field("address", &self.address())
            .field("issued", &self.issued())
            .finish_non_exhaustive()
    }
}

impl<'a> Handshake<'a> {
    fn request(&self) -> &'a tether_engineio::server::HandshakeRequest {
        self.socket.inner.client.engine.request()
    }

    /// The query of the Engine.IO handshake, percent-decoded (`EIO`,
    /// `transport` and the client's own parameters).
    pub fn query(&self) -> &'a [(String, String)] {
        self.request().query()
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.request().query_param(name)
    }

    /// The headers of the Engine.IO handshake request.
    pub fn headers(&self) -> &'a http::HeaderMap {
        self.request().headers()
    }

    /// The CONNECT packet's auth payload, deserialized into `T`; `None`
    /// when the client sent none.
    ///
    /// # Errors
    ///
    /// [`crate::Error`] if it does not deserialize into `T`.
    pub fn auth<T: Deserialize<'a>>(&self) -> Result<Option<T>, crate::Error> {
        self.socket.auth().map(|p| p.deserialize()).transpose()
    }

    /// The auth payload's JSON text, as the client sent it.
    pub fn auth_json(&self) -> Option<&'a str> {
        self.socket.inner.auth.as_ref().map(|p| &**p.json())
    }

    /// The client's address.
    pub fn address(&self) -> Option<SocketAddr> {
        self.request().remote_addr()
    }

    /// When the socket was created, in milliseconds since the Unix epoch
    /// (the reference's `issued`).
    pub fn issued(&self) -> u64 {
        self.socket
            .inner
            .issued
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// When the socket was created, as an HTTP date in UTC (the
    /// reference's `time` is the server's local `Date` string).
    pub fn time(&self) -> String {
        http_date(self.issued() / 1000)
    }

    /// The request target of the Engine.IO handshake.
    pub fn url(&self) -> String {
        self.request().uri().to_string()
    }

    /// Whether the connection is over TLS, as far as the server knows (a
    /// `https` request URI, or `X-Forwarded-Proto: https`).
    pub fn secure(&self) -> bool {
        self.request().uri().scheme_str() == Some("https")
            || self
                .headers()
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
    }

    /// Whether the request came from another origin (it has an `Origin`
    /// header), as the reference decides it.
    pub fn xdomain(&self) -> bool {
        self.headers().contains_key(http::header::ORIGIN)
    }
}

/// `Wed, 02 Dec 2026 14:58:01 GMT` for `secs` since the Unix epoch.
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS.get(usize::try_from(days % 7).unwrap_or(0))
            .unwrap_or(&"Thu"),
        day,
        MONTHS
            .get(usize::try_from(month - 1).unwrap_or(0))
            .unwrap_or(&"Jan"),
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

type AnyMap = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

/// Typed per-socket data: at most one value of each type, kept across a
/// recovered reconnection. Values are shared, not copied, when the
/// session is kept for recovery; allocates nothing until the first value.
#[derive(Default)]
pub struct Extensions {
    map: Mutex<Option<AnyMap>>,
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = lock(&self.map).as_ref().map_or(0, HashMap::len);
        f.debug_struct("Extensions").field("len", &n).finish()
    }
}

impl Extensions {
    /// Stores `value`, replacing the value of its type; returns whether
    /// there was one.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> bool {
        lock(&self.map)
            .get_or_insert_with(HashMap::new)
            .insert(TypeId::of::<T>(), Arc::new(value))
            .is_some()
    }

    /// A clone of the value of type `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.get_shared::<T>().map(|v| (*v).clone())
    }

    /// The value of type `T`, shared.
    pub fn get_shared<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = lock(&self.map).as_ref()?.get(&TypeId::of::<T>())?.clone();
        value.downcast::<T>().ok()
    }

    /// Removes the value of type `T`; returns whether there was one.
    pub fn remove<T: Send + Sync + 'static>(&self) -> bool {
        lock(&self.map)
            .as_mut()
            .is_some_and(|m| m.remove(&TypeId::of::<T>()).is_some())
    }

    /// Whether a value of type `T` is stored.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        lock(&self.map)
            .as_ref()
            .is_some_and(|m| m.contains_key(&TypeId::of::<T>()))
    }

    /// A copy of the set sharing its values.
    pub(crate) fn snapshot(&self) -> Extensions {
        Extensions {
            map: Mutex::new(lock(&self.map).clone()),
        }
    }

    /// Moves every value out, into a new set.
    pub(crate) fn take(&self) -> Extensions {
        Extensions {
            map: Mutex::new(lock(&self.map).take()),
        }
    }

    /// Moves every value of `other` in, replacing those of the same type.
    pub(crate) fn merge(&self, other: Extensions) {
        let taken = other
            .map
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(values) = taken {
            lock(&self.map)
                .get_or_insert_with(HashMap::new)
                .extend(values);
        }
    }

    /// Moves every value of `other` in, replacing all.
    pub(crate) fn restore(&self, other: Extensions) {
        let taken = other
            .map
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *lock(&self.map) = taken;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_796_223_481), "Wed, 02 Dec 2026 14:58:01 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn extensions_are_typed() {
        let e = Extensions::default();
        assert!(e.get::<u32>().is_none());
        assert!(!e.insert(5u32));
        assert!(e.insert(6u32));
        e.insert(String::from("nick"));
        assert_eq!(e.get::<u32>(), Some(6));
        let kept = e.snapshot();
        assert_eq!(kept.get::<String>().as_deref(), Some("nick"));
        let moved = e.take();
        assert!(!e.contains::<u32>());
        e.restore(moved);
        assert!(e.remove::<String>());
        assert_eq!(e.get_shared::<u32>().as_deref(), Some(&6));
    }
}
