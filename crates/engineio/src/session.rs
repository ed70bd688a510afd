//! The Engine.IO v4 session as a sans-IO state machine.
//!
//! A [`Session`] is everything the server knows about one client between
//! the handshake and the close, with no IO and no timers: the runtime
//! hands it the packets that arrived (and on which transport), the HTTP
//! long-polling requests as they begin and end, and the current time; it
//! hands back the packets to write on each transport, the messages and
//! events for the application, and the next instant it must be called
//! again ([`Session::poll_timeout`]). `tether-engineio`'s server is a thin
//! tokio adapter over it; another runtime can drive it the same way.
//!
//! # States
//!
//! | state | how it is entered | what it does |
//! |---|---|---|
//! | open, polling | handshake by `GET` | packets wait in the session until a `GET` takes them all, joined in one payload; `POST`s deliver the client's |
//! | open, polling + probe | a WebSocket with this `sid` ([`Session::begin_upgrade`]) | `2probe` on the probe is answered `3probe`; from then a `GET` is answered `6` (noop) and packets wait for the WebSocket |
//! | open, WebSocket | handshake over WebSocket, or `5` on the probe | one packet per message, in order, buffered ones first |
//! | closing | [`Session::close`] | no new packets; polling: a `1` (close) ends the last payload; WebSocket: the socket closes once the buffer is written |
//! | closed | any [`CloseReason`] | [`Event::Closed`] once; every call is a no-op |
//!
//! # Heartbeat
//!
//! The server pings (`2`) every `pingInterval` and expects a pong (`3`)
//! within `pingTimeout`; the next ping is due `pingInterval` after the
//! pong. Any packet from the client while the pong is awaited pushes the
//! deadline (a client busy sending is alive), as the reference server
//! does since 6.6. A pong counts on whichever transport it arrives.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tether_engineio::session::{Event, Session, SessionConfig, Transport};
//! use tether_engineio::{EnginePacket, MessageData};
//!
//! let start = Instant::now();
//! let mut session = Session::new("sid", Transport::Polling, SessionConfig::default(), start);
//!
//! // The handshake GET takes the open packet.
//! session.begin_get().unwrap();
//! let payload = session.take_payload().unwrap();
//! assert!(matches!(payload[0], EnginePacket::Open(_)));
//!
//! // A POST delivers a message; the application sees it.
//! session.begin_post().unwrap();
//! session.handle_packet(Transport::Polling, EnginePacket::message("hi"), start).unwrap();
//! session.end_post();
//! assert_eq!(session.poll_event(), Some(Event::Message(MessageData::Text("hi".into()))));
//!
//! // After pingInterval the next GET carries a ping.
//! let later = start + Duration::from_millis(25_000);
//! assert_eq!(session.poll_timeout(), Some(later));
//! session.handle_timeout(later);
//! session.begin_get().unwrap();
//! assert_eq!(session.take_payload().unwrap(), [EnginePacket::ping()]);
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::{EnginePacket, MessageData, OpenPacket};

/// The two Engine.IO transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: `GET` to receive, `POST` to send.
    Polling,
    /// WebSocket: one packet per message.
    WebSocket,
}

impl Transport {
    /// The name in the `transport` query parameter.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    /// The transport named `name` in a query, if it is one.
    pub fn from_name(name: &str) -> Option<Transport> {
        match name {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::WebSocket),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The transport closed: the WebSocket ended, or the polling session's
    /// close deadline passed. The reference's `transport close`.
    TransportClose,
    /// The transport failed: a WebSocket error, a message over
    /// `maxPayload`, a second concurrent `GET` or `POST`, a `POST` cut
    /// short, a ping from the client. The reference's `transport error`.
    TransportError,
    /// No pong (nor any other packet) within `pingTimeout` of a ping.
    PingTimeout,
    /// The server closed the session ([`Session::close`]).
    ForcedClose,
    /// The client sent a packet that does not decode, or one it may not
    /// send (an open, an upgrade outside an upgrade).
    ParseError,
    /// The client sent a close packet (`1`).
    ClientClose,
}

impl CloseReason {
    /// The reference server's phrase for this reason (`"ping timeout"`...);
    /// a client close reads `"transport close"` there.
    pub const fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ParseError => "parse error",
            CloseReason::ClientClose => "client close",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the session tells the application, from [`Session::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A message from the client.
    Message(MessageData),
    /// The session moved to the WebSocket transport.
    Upgraded,
    /// The session ended; the last event.
    Closed(CloseReason),
}

/// Timers and limits of a session. Times are what the open packet
/// announces.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// See [`SessionConfig::with_ping_interval`].
    pub ping_interval: Duration,
    /// See [`SessionConfig::with_ping_timeout`].
    pub ping_timeout: Duration,
    /// See [`SessionConfig::with_upgrade_timeout`].
    pub upgrade_timeout: Duration,
    /// See [`SessionConfig::with_max_payload`].
    pub max_payload: u64,
    /// See [`SessionConfig::with_max_buffered_packets`].
    pub max_buffered_packets: usize,
    /// See [`SessionConfig::with_close_timeout`].
    pub close_timeout: Duration,
    /// See [`SessionConfig::with_allow_upgrades`].
    pub allow_upgrades: bool,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            max_buffered_packets: 1024,
            close_timeout: Duration::from_secs(30),
            allow_upgrades: true,
        }
    }
}

impl SessionConfig {
    /// How often the server pings. Default 25 s (`pingInterval`). Together
    /// with the timeout it bounds how long a vanished client holds a
    /// session.
    pub fn with_ping_interval(mut self, interval: Duration) -> SessionConfig {
        self.ping_interval = interval;
        self
    }

    /// How long the server waits for a pong. Default 20 s (`pingTimeout`).
    pub fn with_ping_timeout(mut self, timeout: Duration) -> SessionConfig {
        self.ping_timeout = timeout;
        self
    }

    /// How long an upgrade may take from the WebSocket's arrival to its
    /// `5`. Default 10 s. A client that stops half way loses only the
    /// probe, not the session.
    pub fn with_upgrade_timeout(mut self, timeout: Duration) -> SessionConfig {
        self.upgrade_timeout = timeout;
        self
    }

    /// The largest payload (long-polling body, WebSocket message) accepted,
    /// in bytes, announced as `maxPayload`. Default 1,000,000. The runtime
    /// enforces it where the bytes arrive.
    pub fn with_max_payload(mut self, max_payload: u64) -> SessionConfig {
        self.max_payload = max_payload;
        self
    }

    /// The most packets the session buffers for a client that is not
    /// taking them (no `GET` pending, a WebSocket that does not drain).
    /// Default 1024; [`Session::send`] refuses more with
    /// [`SendError::Full`]. This bounds what a slow client costs; the
    /// heartbeat closes one that stops reading altogether.
    pub fn with_max_buffered_packets(mut self, max: usize) -> SessionConfig {
        self.max_buffered_packets = max;
        self
    }

    /// How long a closing polling session waits for the `GET` that
    /// carries its close packet. Default 30 s, as the reference.
    pub fn with_close_timeout(mut self, timeout: Duration) -> SessionConfig {
        self.close_timeout = timeout;
        self
    }

    /// Whether a polling session is offered the upgrade to WebSocket.
    /// Default true.
    pub fn with_allow_upgrades(mut self, allow: bool) -> SessionConfig {
        self.allow_upgrades = allow;
        self
    }
}

/// Why a long-polling request is refused by the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PollError {
    /// A second `GET` (or `POST`) while one is pending: HTTP 400, and the
    /// session is closed with [`CloseReason::TransportError`], as the
    /// protocol says.
    #[error("a second concurrent long-polling request of the same method")]
    Overlap,
    /// The session is on WebSocket now: HTTP 400 (`Bad request`).
    #[error("the session has upgraded to WebSocket")]
    Upgraded,
    /// The session is over: HTTP 400 (`Session ID unknown`).
    #[error("the session is closed")]
    Closed,
}

/// Why a packet to send is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// `max_buffered_packets` packets wait already; try again once the
    /// client has taken some.
    #[error("the session's send buffer is full")]
    Full,
    /// The session is closing or closed.
    #[error("the session is closed")]
    Closed,
}

/// How a message is sent: the options of the reference's
/// `socket.send(data, { compress })`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendOptions {
    /// Whether the transport may compress the message. Default true. On a
    /// WebSocket with permessage-deflate (RFC 7692) in force, false sends
    /// the message uncompressed (RSV1 clear), out of the compression
    /// context the other messages share: for a secret that must not be
    /// compressed with data an attacker chooses. The polling transport
    /// compresses nothing (its responses carry no `Content-Encoding`), so
    /// there it changes nothing.
    pub compress: bool,
}

impl Default for SendOptions {
    fn default() -> SendOptions {
        SendOptions { compress: true }
    }
}

impl SendOptions {
    /// The defaults: compressed where the transport compresses.
    pub fn new() -> SendOptions {
        SendOptions::default()
    }

    /// Sets [`compress`](SendOptions::compress).
    pub fn with_compress(mut self, compress: bool) -> SendOptions {
        self.compress = compress;
        self
    }
}

/// A packet waiting for the client, with how to send it.
#[derive(Debug)]
struct Queued {
    packet: EnginePacket,
    options: SendOptions,
}

impl Queued {
    fn new(packet: EnginePacket) -> Queued {
        Queued {
            packet,
            options: SendOptions::default(),
        }
    }
}

/// Why the session refuses a WebSocket for an upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpgradeError {
    /// Another WebSocket is being probed.
    #[error("an upgrade is already in progress")]
    InProgress,
    /// The session is on WebSocket already.
    #[error("the session has upgraded already")]
    AlreadyUpgraded,
    /// The session is closing or closed.
    #[error("the session is closed")]
    Closed,
    /// Upgrades are not allowed by the configuration.
    #[error("upgrades are not allowed")]
    NotAllowed,
}

/// A WebSocket of this session, as the runtime names it to the session:
/// the one it was opened with or upgraded to, or the probe of an upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SocketId(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeState {
    /// Waiting for `2probe`.
    AwaitingPing,
    /// `3probe` queued or sent; waiting for `5`.
    AwaitingUpgrade,
}

#[derive(Debug)]
struct Probe {
    id: SocketId,
    state: ProbeState,
    deadline: Instant,
    pong_due: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closing { deadline: Instant },
    Closed(CloseReason),
}

/// One Engine.IO session: see the [module documentation](self).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    transport: Transport,
    /// Packets for the current transport, in order.
    out: VecDeque<Queued>,
    events: VecDeque<Event>,
    get_pending: bool,
    post_pending: bool,
    /// The WebSocket the session is on, once it is.
    socket: Option<SocketId>,
    probe: Option<Probe>,
    next_socket: u32,
    /// Set once the session is on WebSocket and the socket is to close
    /// after the buffer is written (forced close), or at once (error).
    socket_close: bool,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    last_packet: Instant,
}

impl Session {
    /// A session just handshaken on `transport` at `now`: its open packet
    /// (with `sid`) is the first packet out, and the first ping is due
    /// `pingInterval` from now. A WebSocket session is on the socket
    /// [`Session::socket`] names.
    pub fn new(
        sid: impl Into<String>,
        transport: Transport,
        config: SessionConfig,
        now: Instant,
    ) -> Session {
        let upgrades: &[&str] = if transport == Transport::Polling && config.allow_upgrades {
            &["websocket"]
        } else {
            &[]
        };
        let open = OpenPacket::new(sid)
            .with_upgrades(upgrades.iter().copied())
            .with_heartbeat(millis(config.ping_interval), millis(config.ping_timeout))
            .with_max_payload(config.max_payload);
        let mut out = VecDeque::with_capacity(1);
        out.push_back(Queued::new(EnginePacket::Open(open)));
        let next_ping = Some(now + config.ping_interval);
        let mut session = Session {
            config,
            state: State::Open,
            transport,
            out,
            events: VecDeque::new(),
            get_pending: false,
            post_pending: false,
            socket: None,
            probe: None,
            next_socket: 0,
            socket_close: false,
            next_ping,
            pong_deadline: None,
            last_packet: now,
        };
        if transport == Transport::WebSocket {
            session.socket = Some(session.new_socket_id());
        }
        session
    }

    fn new_socket_id(&mut self) -> SocketId {
        let id = SocketId(self.next_socket);
        self.next_socket = self.next_socket.wrapping_add(1);
        id
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The transport the session is on.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The WebSocket the session is on, if it is.
    pub fn socket(&self) -> Option<SocketId> {
        self.socket
    }

    /// Whether the session is closed; [`Session::close_reason`] says why.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Whether [`Session::close`] was called or the session is closed.
    pub fn is_closing(&self) -> bool {
        !matches!(self.state, State::Open)
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Closed(reason) => Some(reason),
            _ => None,
        }
    }

    /// Packets waiting for the client on the current transport.
    pub fn buffered(&self) -> usize {
        self.out.len()
    }

    /// Whether an upgrade is in progress.
    pub fn is_upgrading(&self) -> bool {
        self.probe.is_some()
    }

    /// Whether the upgrade's probe has been answered: from then until the
    /// upgrade ends, a `GET` is answered with a noop.
    pub fn is_upgrade_probed(&self) -> bool {
        self.probe
            .as_ref()
            .is_some_and(|p| p.state == ProbeState::AwaitingUpgrade)
    }

    /// Queues a message for the client.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once closing; [`SendError::Full`] with
    /// `max_buffered_packets` waiting.
    pub fn send(&mut self, data: MessageData) -> Result<(), SendError> {
        self.send_with(data, SendOptions::default())
    }

    /// Queues a message for the client, sent with `options` (see
    /// [`Session::poll_socket_transmit_with`]).
    ///
    /// # Errors
    ///
    /// As [`Session::send`].
    pub fn send_with(&mut self, data: MessageData, options: SendOptions) -> Result<(), SendError> {
        if self.is_closing() {
            return Err(SendError::Closed);
        }
        if self.out.len() >= self.config.max_buffered_packets {
            return Err(SendError::Full);
        }
        let packet = match data {
            MessageData::Text(text) => EnginePacket::Message(text),
            MessageData::Binary(data) => EnginePacket::Binary(data),
        };
        self.out.push_back(Queued { packet, options });
        Ok(())
    }

    /// Queues several messages together, all or none: the text of a
    /// Socket.IO packet and its attachments, which must not be separated
    /// by another sender's message. A group larger than
    /// `max_buffered_packets` is taken when nothing else is waiting, so no
    /// group waits forever.
    ///
    /// # Errors
    ///
    /// As [`Session::send`]; nothing is queued on an error.
    pub fn send_all(&mut self, data: &[MessageData]) -> Result<(), SendError> {
        self.send_all_with(data, SendOptions::default())
    }

    /// Queues several messages together as [`Session::send_all`] does,
    /// each sent with `options` (a Socket.IO packet's text and its
    /// attachments alike).
    ///
    /// # Errors
    ///
    /// As [`Session::send_all`].
    pub fn send_all_with(
        &mut self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        if self.is_closing() {
            return Err(SendError::Closed);
        }
        if !self.has_room_for(data.len()) {
            return Err(SendError::Full);
        }
        self.out.extend(data.iter().map(|d| Queued {
            packet: match d {
                MessageData::Text(text) => EnginePacket::Message(text.clone()),
                MessageData::Binary(data) => EnginePacket::Binary(data.clone()),
            },
            options,
        }));
        Ok(())
    }

    /// Whether [`Session::send_all`] would take `n` messages now.
    pub fn can_send_all(&self, n: usize) -> bool {
        !self.is_closing() && self.has_room_for(n)
    }

    fn has_room_for(&self, n: usize) -> bool {
        self.out.is_empty() || self.out.len().saturating_add(n) <= self.config.max_buffered_packets
    }

    /// Whether what is sent now goes out at once: a `GET` is waiting for
    /// it (polling), or nothing is queued ahead of it (WebSocket), and no
    /// upgrade holds packets back. Socket.IO's volatile events are dropped
    /// when this is false, as the reference drops them when its transport
    /// is not `writable`.
    pub fn is_writable(&self) -> bool {
        if self.is_closing() || self.probe.is_some() {
            return false;
        }
        match self.transport {
            Transport::Polling => self.get_pending && self.out.is_empty(),
            Transport::WebSocket => self.out.is_empty(),
        }
    }

    /// Whether [`Session::send`] would take a packet now.
    pub fn can_send(&self) -> bool {
        !self.is_closing() && self.out.len() < self.config.max_buffered_packets
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Messages and events waiting for the application.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// A packet from the client, on `transport` (the polling transport
    /// for a `POST`'s packets, the WebSocket for the session's own
    /// socket; a probe's packets go to [`Session::handle_socket_packet`]).
    ///
    /// # Errors
    ///
    /// The reason the packet closed the session, if it did (the session
    /// is closed already when this returns).
    pub fn handle_packet(
        &mut self,
        transport: Transport,
        packet: EnginePacket,
        now: Instant,
    ) -> Result<(), CloseReason> {
        if self.is_closing() {
            return Ok(());
        }
        if transport != self.transport {
            // A POST that raced the upgrade: its packets still count.
            if !(transport == Transport::Polling && self.transport == Transport::WebSocket) {
                return Ok(());
            }
        }
        self.last_packet = now;
        match packet {
            EnginePacket::Message(text) => self
                .events
                .push_back(Event::Message(MessageData::Text(text))),
            EnginePacket::Binary(data) => self
                .events
                .push_back(Event::Message(MessageData::Binary(data))),
            EnginePacket::Pong(_) => self.pong(now),
            EnginePacket::Noop => {}
            EnginePacket::Close => {
                self.finish(CloseReason::ClientClose);
                return Err(CloseReason::ClientClose);
            }
            // v4 heartbeats go from server to client only.
            EnginePacket::Ping(_) => {
                self.finish(CloseReason::TransportError);
                return Err(CloseReason::TransportError);
            }
            EnginePacket::Open(_) | EnginePacket::Upgrade => {
                self.finish(CloseReason::ParseError);
                return Err(CloseReason::ParseError);
            }
        }
        Ok(())
    }

    /// A packet that did not decode, from the current transport: the
    /// session closes with [`CloseReason::ParseError`].
    pub fn handle_parse_error(&mut self) {
        self.finish(CloseReason::ParseError);
    }

    fn pong(&mut self, now: Instant) {
        if self.pong_deadline.take().is_some() {
            self.next_ping = Some(now + self.config.ping_interval);
        }
    }

    // ---- long-polling ------------------------------------------------

    /// A `GET` of this session begins.
    ///
    /// # Errors
    ///
    /// [`PollError::Overlap`] if one is pending (the session is closed
    /// with [`CloseReason::TransportError`]), [`PollError::Upgraded`],
    /// [`PollError::Closed`].
    pub fn begin_get(&mut self) -> Result<(), PollError> {
        self.check_polling()?;
        if self.get_pending {
            self.finish(CloseReason::TransportError);
            return Err(PollError::Overlap);
        }
        self.get_pending = true;
        Ok(())
    }

    fn check_polling(&self) -> Result<(), PollError> {
        match self.state {
            State::Closed(_) => Err(PollError::Closed),
            _ if self.transport != Transport::Polling => Err(PollError::Upgraded),
            _ => Ok(()),
        }
    }

    /// Whether a `GET` is pending.
    pub fn is_get_pending(&self) -> bool {
        self.get_pending
    }

    /// The payload that answers the pending `GET`, once there is one: all
    /// buffered packets; `[noop]` during an upgrade (the packets then wait
    /// for the WebSocket) or when the session moved to WebSocket; the
    /// close packet last when the session is closing (the session is then
    /// closed, [`CloseReason::ForcedClose`]); `[close]` once the session
    /// is closed otherwise. `None` while the `GET` must wait; the `GET` is
    /// over when this returns `Some`.
    pub fn take_payload(&mut self) -> Option<Vec<EnginePacket>> {
        if !self.get_pending {
            return None;
        }
        let payload = match self.state {
            State::Closed(CloseReason::ClientClose) => vec![EnginePacket::Noop],
            State::Closed(_) => vec![EnginePacket::Close],
            _ if self.transport != Transport::Polling => vec![EnginePacket::Noop],
            _ if matches!(&self.probe, Some(p) if p.state == ProbeState::AwaitingUpgrade) => {
                vec![EnginePacket::Noop]
            }
            State::Closing { .. } => {
                let mut packets: Vec<EnginePacket> = self.out.drain(..).map(|q| q.packet).collect();
                packets.push(EnginePacket::Close);
                self.get_pending = false;
                self.finish(CloseReason::ForcedClose);
                return Some(packets);
            }
            State::Open if self.out.is_empty() => return None,
            State::Open => self.out.drain(..).map(|q| q.packet).collect(),
        };
        self.get_pending = false;
        Some(payload)
    }

    /// The pending `GET` ended without an answer (the client went away
    /// while it waited): nothing it would have carried is lost.
    pub fn cancel_get(&mut self) {
        self.get_pending = false;
    }

    /// A `POST` of this session begins; its packets go to
    /// [`Session::handle_packet`] with [`Transport::Polling`], then
    /// [`Session::end_post`].
    ///
    /// # Errors
    ///
    /// As [`Session::begin_get`].
    pub fn begin_post(&mut self) -> Result<(), PollError> {
        if self.is_closed() {
            return Err(PollError::Closed);
        }
        if self.post_pending {
            self.finish(CloseReason::TransportError);
            return Err(PollError::Overlap);
        }
        self.check_polling()?;
        self.post_pending = true;
        Ok(())
    }

    /// The pending `POST` is over.
    pub fn end_post(&mut self) {
        self.post_pending = false;
    }

    /// The pending `POST` failed: its body was cut short or was too large
    /// or did not decode. The session closes with `reason`.
    pub fn fail_post(&mut self, reason: CloseReason) {
        self.post_pending = false;
        self.finish(reason);
    }

    // ---- WebSocket -----------------------------------------------------

    /// A WebSocket arrived with this session's `sid`: it becomes the
    /// upgrade's probe, to be driven with [`Session::handle_socket_packet`],
    /// [`Session::poll_socket_transmit`] and
    /// [`Session::socket_should_close`].
    ///
    /// # Errors
    ///
    /// Why it is refused: the runtime closes it.
    pub fn begin_upgrade(&mut self, now: Instant) -> Result<SocketId, UpgradeError> {
        if self.is_closing() {
            return Err(UpgradeError::Closed);
        }
        if self.transport == Transport::WebSocket {
            return Err(UpgradeError::AlreadyUpgraded);
        }
        if !self.config.allow_upgrades {
            return Err(UpgradeError::NotAllowed);
        }
        if self.probe.is_some() {
            return Err(UpgradeError::InProgress);
        }
        let id = self.new_socket_id();
        self.probe = Some(Probe {
            id,
            state: ProbeState::AwaitingPing,
            deadline: now + self.config.upgrade_timeout,
            pong_due: false,
        });
        Ok(id)
    }

    /// A packet from WebSocket `socket` (the session's own, or the probe).
    ///
    /// # Errors
    ///
    /// As [`Session::handle_packet`]; a probe that misbehaves is dropped
    /// ([`Session::socket_should_close`]), not the session.
    pub fn handle_socket_packet(
        &mut self,
        socket: SocketId,
        packet: EnginePacket,
        now: Instant,
    ) -> Result<(), CloseReason> {
        if self.socket == Some(socket) {
            return self.handle_packet(Transport::WebSocket, packet, now);
        }
        let Some(probe) = self.probe.as_mut().filter(|p| p.id == socket) else {
            return Ok(());
        };
        match (probe.state, &packet) {
            (ProbeState::AwaitingPing, EnginePacket::Ping(data)) if data == EnginePacket::PROBE => {
                probe.state = ProbeState::AwaitingUpgrade;
                probe.pong_due = true;
                self.last_packet = now;
            }
            (ProbeState::AwaitingUpgrade, EnginePacket::Upgrade) if !self.is_closing() => {
                self.last_packet = now;
                self.probe = None;
                self.transport = Transport::WebSocket;
                self.socket = Some(socket);
                self.events.push_back(Event::Upgraded);
            }
            (_, EnginePacket::Pong(data)) if data.is_empty() => {
                self.last_packet = now;
                self.pong(now);
            }
            _ => self.probe = None,
        }
        Ok(())
    }

    /// A message on WebSocket `socket` that did not decode, or was too
    /// large: the session closes with `reason` if it is the session's
    /// socket; a probe is dropped.
    pub fn fail_socket(&mut self, socket: SocketId, reason: CloseReason) {
        if self.socket == Some(socket) {
            self.finish(reason);
        } else if self.probe.as_ref().is_some_and(|p| p.id == socket) {
            self.probe = None;
        }
    }

    /// The next packet to write on WebSocket `socket`: `3probe` on a probe
    /// that was pinged; the buffered packets in order on the session's
    /// socket.
    pub fn poll_socket_transmit(&mut self, socket: SocketId) -> Option<EnginePacket> {
        self.poll_socket_transmit_with(socket)
            .map(|(packet, _)| packet)
    }

    /// As [`Session::poll_socket_transmit`], with the options the packet
    /// was sent with ([`Session::send_with`]; the defaults for the
    /// session's own packets): the runtime writes a packet whose
    /// [`compress`](SendOptions::compress) is false as an uncompressed
    /// WebSocket message.
    pub fn poll_socket_transmit_with(
        &mut self,
        socket: SocketId,
    ) -> Option<(EnginePacket, SendOptions)> {
        if self.socket == Some(socket) {
            if self.is_closed() {
                return None;
            }
            return self.out.pop_front().map(|q| (q.packet, q.options));
        }
        let probe = self.probe.as_mut().filter(|p| p.id == socket)?;
        if std::mem::take(&mut probe.pong_due) {
            return Some((EnginePacket::pong_probe(), SendOptions::default()));
        }
        None
    }

    /// Whether [`Session::poll_socket_transmit`] has a packet for `socket`.
    pub fn wants_socket_transmit(&self, socket: SocketId) -> bool {
        if self.socket == Some(socket) {
            return !self.is_closed() && !self.out.is_empty();
        }
        self.probe
            .as_ref()
            .is_some_and(|p| p.id == socket && p.pong_due)
    }

    /// Whether WebSocket `socket` is to be closed, once what
    /// [`Session::poll_socket_transmit`] gives is written: a probe that
    /// failed or timed out, a session's socket when the session closes.
    pub fn socket_should_close(&self, socket: SocketId) -> bool {
        if self.socket == Some(socket) {
            return self.is_closed() || (self.socket_close && self.out.is_empty());
        }
        !self.probe.as_ref().is_some_and(|p| p.id == socket)
    }

    /// WebSocket `socket` ended: the session closes if it was its own
    /// ([`CloseReason::TransportClose`], or [`CloseReason::TransportError`]
    /// if `error`; [`CloseReason::ForcedClose`] when the server closed it);
    /// a probe is forgotten.
    pub fn socket_closed(&mut self, socket: SocketId, error: bool) {
        if self.socket == Some(socket) {
            let reason = if self.socket_close {
                CloseReason::ForcedClose
            } else if error {
                CloseReason::TransportError
            } else {
                CloseReason::TransportClose
            };
            self.finish(reason);
        } else if self.probe.as_ref().is_some_and(|p| p.id == socket) {
            self.probe = None;
        }
    }

    // ---- closing and time ----------------------------------------------

    /// Closes the session from the server: buffered packets still go out,
    /// then a close packet on polling (the session is closed once a `GET`
    /// has taken it, or after `close_timeout`) or the WebSocket's close.
    /// An upgrade in progress is abandoned.
    pub fn close(&mut self, now: Instant) {
        if self.is_closing() {
            return;
        }
        self.probe = None;
        self.next_ping = None;
        self.pong_deadline = None;
        self.state = State::Closing {
            deadline: now + self.config.close_timeout,
        };
        self.socket_close = self.transport == Transport::WebSocket;
    }

    fn finish(&mut self, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.state = State::Closed(reason);
        self.probe = None;
        self.next_ping = None;
        self.pong_deadline = None;
        self.out.clear();
        self.out.shrink_to_fit();
        self.events.push_back(Event::Closed(reason));
    }

    /// The next instant [`Session::handle_timeout`] is due, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let closing = match self.state {
            State::Closing { deadline } => Some(deadline),
            State::Closed(_) => return None,
            State::Open => None,
        };
        [
            self.next_ping,
            self.pong_deadline,
            self.probe.as_ref().map(|p| p.deadline),
            closing,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `now`: the ping, the ping timeout, the
    /// upgrade timeout, the close deadline.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Closing { deadline } = self.state {
            if now >= deadline {
                self.finish(CloseReason::ForcedClose);
                return;
            }
        }
        if self.probe.as_ref().is_some_and(|p| now >= p.deadline) {
            self.probe = None;
        }
        if let Some(deadline) = self.pong_deadline {
            if now >= deadline {
                // Any packet since the ping is a sign of life.
                let extended = self.last_packet + self.config.ping_timeout;
                if extended > now {
                    self.pong_deadline = Some(extended);
                } else {
                    self.finish(CloseReason::PingTimeout);
                    return;
                }
            }
        }
        if self.next_ping.is_some_and(|at| now >= at) {
            self.next_ping = None;
            // One ping waits at most: a client that pongs without reading
            // cannot grow the buffer a ping per interval.
            let waiting = self
                .out
                .iter()
                .any(|q| matches!(q.packet, EnginePacket::Ping(_)));
            if !waiting {
                self.out.push_back(Queued::new(EnginePacket::ping()));
            }
            self.pong_deadline = Some(now + self.config.ping_timeout);
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn config() -> SessionConfig {
        SessionConfig::default()
            .with_ping_interval(ms(300))
            .with_ping_timeout(ms(200))
            .with_upgrade_timeout(ms(1000))
            .with_close_timeout(ms(5000))
    }

    fn polling(t0: Instant) -> Session {
        let mut s = Session::new("abc", Transport::Polling, config(), t0);
        s.begin_get().unwrap();
        let open = s.take_payload().unwrap();
        assert!(matches!(&open[..], [EnginePacket::Open(_)]));
        s
    }

    fn get(s: &mut Session) -> Option<Vec<EnginePacket>> {
        s.begin_get().unwrap();
        let p = s.take_payload();
        if p.is_none() {
            s.cancel_get();
        }
        p
    }

    fn text(t: &'static str) -> MessageData {
        MessageData::Text(t.into())
    }

    #[test]
    fn open_packet_announces_the_configuration() {
        let t0 = Instant::now();
        let mut s = Session::new(
            "abc",
            Transport::Polling,
            config().with_max_payload(5000),
            t0,
        );
        s.begin_get().unwrap();
        let EnginePacket::Open(open) = &s.take_payload().unwrap()[0] else {
            panic!()
        };
        assert_eq!(open.sid, "abc");
        assert_eq!(open.upgrades, ["websocket"]);
        assert_eq!(
            (open.ping_interval, open.ping_timeout, open.max_payload),
            (300, 200, 5000)
        );

        let mut s = Session::new("abc", Transport::WebSocket, config(), t0);
        let socket = s.socket().unwrap();
        let EnginePacket::Open(open) = s.poll_socket_transmit(socket).unwrap() else {
            panic!()
        };
        assert!(open.upgrades.is_empty());
        let s = Session::new(
            "x",
            Transport::Polling,
            config().with_allow_upgrades(false),
            t0,
        );
        assert!(matches!(&s.out[0].packet, EnginePacket::Open(o) if o.upgrades.is_empty()));
    }

    #[test]
    fn heartbeat_pings_every_interval_and_times_out() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        assert_eq!(s.poll_timeout(), Some(t0 + ms(300)));
        s.handle_timeout(t0 + ms(299));
        assert!(get(&mut s).is_none());
        s.handle_timeout(t0 + ms(300));
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::ping()]);
        assert_eq!(s.poll_timeout(), Some(t0 + ms(500)));
        // The pong comes at 350: the next ping is due at 650.
        s.begin_post().unwrap();
        s.handle_packet(Transport::Polling, EnginePacket::pong(), t0 + ms(350))
            .unwrap();
        s.end_post();
        assert_eq!(s.poll_timeout(), Some(t0 + ms(650)));
        s.handle_timeout(t0 + ms(650));
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::ping()]);
        // No pong: closed at 850, once.
        s.handle_timeout(t0 + ms(849));
        assert!(!s.is_closed());
        s.handle_timeout(t0 + ms(850));
        assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
        assert_eq!(
            s.poll_event(),
            Some(Event::Closed(CloseReason::PingTimeout))
        );
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.begin_get(), Err(PollError::Closed));
    }

    #[test]
    fn any_packet_after_the_ping_pushes_the_ping_timeout() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.handle_timeout(t0 + ms(300));
        // A message at 450 (the pong is stuck behind it): alive until 650.
        s.begin_post().unwrap();
        s.handle_packet(
            Transport::Polling,
            EnginePacket::message("busy"),
            t0 + ms(450),
        )
        .unwrap();
        s.end_post();
        s.handle_timeout(t0 + ms(500));
        assert!(!s.is_closed());
        assert_eq!(s.poll_timeout(), Some(t0 + ms(650)));
        s.handle_timeout(t0 + ms(650));
        assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
    }

    #[test]
    fn overlapping_requests_are_refused_and_close_the_session() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.begin_get().unwrap();
        assert_eq!(s.take_payload(), None);
        assert_eq!(s.begin_get(), Err(PollError::Overlap));
        assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
        // The first GET is answered with a close packet.
        assert_eq!(s.take_payload().unwrap(), [EnginePacket::Close]);

        let mut s = polling(t0);
        s.begin_post().unwrap();
        assert_eq!(s.begin_post(), Err(PollError::Overlap));
        assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
    }

    #[test]
    fn an_aborted_get_loses_nothing() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.begin_get().unwrap();
        assert_eq!(s.take_payload(), None);
        s.cancel_get();
        s.send(text("a")).unwrap();
        s.send(MessageData::Binary(vec![1u8].into())).unwrap();
        assert_eq!(
            get(&mut s).unwrap(),
            [EnginePacket::message("a"), EnginePacket::binary(vec![1u8])]
        );
    }

    #[test]
    fn messages_reach_the_application_in_order() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.begin_post().unwrap();
        for packet in [
            EnginePacket::message("1"),
            EnginePacket::Noop,
            EnginePacket::binary(vec![2u8]),
        ] {
            s.handle_packet(Transport::Polling, packet, t0).unwrap();
        }
        s.end_post();
        assert_eq!(s.poll_event(), Some(Event::Message(text("1"))));
        assert_eq!(
            s.poll_event(),
            Some(Event::Message(MessageData::Binary(vec![2u8].into())))
        );
        assert_eq!(s.poll_event(), None);
    }

    #[test]
    fn packets_a_client_may_not_send_close_the_session() {
        let t0 = Instant::now();
        for (packet, reason) in [
            (EnginePacket::ping(), CloseReason::TransportError),
            (EnginePacket::Upgrade, CloseReason::ParseError),
            (
                EnginePacket::Open(OpenPacket::new("x")),
                CloseReason::ParseError,
            ),
            (EnginePacket::Close, CloseReason::ClientClose),
        ] {
            let mut s = polling(t0);
            s.begin_get().unwrap();
            assert_eq!(s.take_payload(), None);
            assert_eq!(s.handle_packet(Transport::Polling, packet, t0), Err(reason));
            assert_eq!(s.close_reason(), Some(reason));
            let answer = s.take_payload().unwrap();
            let expected = if reason == CloseReason::ClientClose {
                EnginePacket::Noop
            } else {
                EnginePacket::Close
            };
            assert_eq!(answer, [expected]);
        }
    }

    #[test]
    fn pongs_without_reading_do_not_pile_up_pings() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        let mut t = t0;
        for _ in 0..10 {
            t += ms(300);
            s.handle_timeout(t);
            s.begin_post().unwrap();
            s.handle_packet(Transport::Polling, EnginePacket::pong(), t)
                .unwrap();
            s.end_post();
        }
        assert_eq!(s.buffered(), 1);
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::ping()]);
    }

    #[test]
    fn the_send_buffer_is_bounded() {
        let t0 = Instant::now();
        let mut s = Session::new(
            "a",
            Transport::Polling,
            config().with_max_buffered_packets(3),
            t0,
        );
        s.send(text("1")).unwrap();
        s.send(text("2")).unwrap();
        assert!(!s.can_send());
        assert_eq!(s.send(text("3")), Err(SendError::Full));
        assert_eq!(get(&mut s).unwrap().len(), 3);
        assert!(s.can_send());
        s.close(t0);
        assert_eq!(s.send(text("4")), Err(SendError::Closed));
    }

    #[test]
    fn upgrade_moves_buffered_packets_to_the_websocket_in_order() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.send(text("before")).unwrap();
        let ws = s.begin_upgrade(t0).unwrap();
        assert_eq!(s.begin_upgrade(t0), Err(UpgradeError::InProgress));
        // Before the probe, polling goes on.
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::message("before")]);
        assert_eq!(s.poll_socket_transmit(ws), None);
        s.handle_socket_packet(ws, EnginePacket::ping_probe(), t0)
            .unwrap();
        assert_eq!(s.poll_socket_transmit(ws), Some(EnginePacket::pong_probe()));
        assert_eq!(s.poll_socket_transmit(ws), None);
        // Probed: a GET is answered noop, packets wait.
        s.send(text("during 1")).unwrap();
        s.begin_get().unwrap();
        assert_eq!(s.take_payload().unwrap(), [EnginePacket::Noop]);
        s.send(text("during 2")).unwrap();
        s.handle_socket_packet(ws, EnginePacket::Upgrade, t0)
            .unwrap();
        assert_eq!(s.poll_event(), Some(Event::Upgraded));
        assert_eq!(s.transport(), Transport::WebSocket);
        assert_eq!(s.socket(), Some(ws));
        s.send(text("after")).unwrap();
        let out: Vec<_> = std::iter::from_fn(|| s.poll_socket_transmit(ws)).collect();
        assert_eq!(
            out,
            [
                EnginePacket::message("during 1"),
                EnginePacket::message("during 2"),
                EnginePacket::message("after")
            ]
        );
        assert_eq!(s.begin_get(), Err(PollError::Upgraded));
        assert_eq!(s.begin_post(), Err(PollError::Upgraded));
        assert_eq!(s.begin_upgrade(t0), Err(UpgradeError::AlreadyUpgraded));
        assert!(!s.socket_should_close(ws));
        // Messages and pongs on the socket now.
        s.handle_timeout(t0 + ms(300));
        assert_eq!(s.poll_socket_transmit(ws), Some(EnginePacket::ping()));
        s.handle_socket_packet(ws, EnginePacket::pong(), t0 + ms(310))
            .unwrap();
        s.handle_socket_packet(ws, EnginePacket::message("up"), t0 + ms(310))
            .unwrap();
        assert_eq!(s.poll_event(), Some(Event::Message(text("up"))));
        assert_eq!(s.poll_timeout(), Some(t0 + ms(610)));
        s.socket_closed(ws, false);
        assert_eq!(s.close_reason(), Some(CloseReason::TransportClose));
    }

    #[test]
    fn a_pending_get_is_answered_noop_when_the_probe_arrives() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.begin_get().unwrap();
        assert_eq!(s.take_payload(), None);
        let ws = s.begin_upgrade(t0).unwrap();
        assert_eq!(s.take_payload(), None);
        s.handle_socket_packet(ws, EnginePacket::ping_probe(), t0)
            .unwrap();
        assert_eq!(s.take_payload().unwrap(), [EnginePacket::Noop]);
    }

    #[test]
    fn an_upgrade_that_never_finishes_loses_the_probe_not_the_session() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        let ws = s.begin_upgrade(t0).unwrap();
        s.handle_socket_packet(ws, EnginePacket::ping_probe(), t0)
            .unwrap();
        assert_eq!(s.poll_timeout(), Some(t0 + ms(300)));
        s.handle_timeout(t0 + ms(300));
        s.handle_socket_packet(ws, EnginePacket::pong(), t0 + ms(400))
            .unwrap();
        assert_eq!(s.poll_timeout(), Some(t0 + ms(700)));
        s.handle_timeout(t0 + ms(1000));
        assert!(s.socket_should_close(ws));
        assert!(!s.is_upgrading());
        assert!(!s.is_closed());
        // The ping queued during the upgrade goes out by polling (the one
        // due at 700, after the pong, is not queued beside it).
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::ping()]);
        // A new upgrade may start.
        let again = s.begin_upgrade(t0 + ms(1000)).unwrap();
        assert_ne!(again, ws);
        s.socket_closed(ws, true);
        assert!(s.is_upgrading());
    }

    #[test]
    fn a_probe_that_misbehaves_is_dropped() {
        let t0 = Instant::now();
        for packet in [
            EnginePacket::message("x"),
            EnginePacket::Upgrade,
            EnginePacket::ping(),
        ] {
            let mut s = polling(t0);
            let ws = s.begin_upgrade(t0).unwrap();
            s.handle_socket_packet(ws, packet, t0).unwrap();
            assert!(s.socket_should_close(ws));
            assert!(!s.is_closed());
            assert_eq!(s.transport(), Transport::Polling);
        }
        let mut s = polling(t0);
        let ws = s.begin_upgrade(t0).unwrap();
        s.fail_socket(ws, CloseReason::ParseError);
        assert!(s.socket_should_close(ws) && !s.is_closed());
    }

    #[test]
    fn forced_close_on_polling_ends_the_last_payload_with_close() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.send(text("last")).unwrap();
        s.close(t0);
        assert!(s.is_closing() && !s.is_closed());
        assert_eq!(
            get(&mut s).unwrap(),
            [EnginePacket::message("last"), EnginePacket::Close]
        );
        assert_eq!(s.close_reason(), Some(CloseReason::ForcedClose));

        // No GET comes: closed at the close deadline.
        let mut s = polling(t0);
        s.close(t0);
        assert_eq!(s.poll_timeout(), Some(t0 + ms(5000)));
        s.handle_timeout(t0 + ms(5000));
        assert_eq!(s.close_reason(), Some(CloseReason::ForcedClose));
    }

    #[test]
    fn forced_close_on_websocket_writes_the_buffer_then_closes() {
        let t0 = Instant::now();
        let mut s = Session::new("a", Transport::WebSocket, config(), t0);
        let ws = s.socket().unwrap();
        s.send(text("bye")).unwrap();
        s.close(t0);
        assert!(!s.socket_should_close(ws));
        assert!(matches!(
            s.poll_socket_transmit(ws),
            Some(EnginePacket::Open(_))
        ));
        assert_eq!(
            s.poll_socket_transmit(ws),
            Some(EnginePacket::message("bye"))
        );
        assert!(s.socket_should_close(ws));
        s.socket_closed(ws, false);
        assert_eq!(s.close_reason(), Some(CloseReason::ForcedClose));
    }

    #[test]
    fn close_during_an_upgrade_drops_the_probe() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        let ws = s.begin_upgrade(t0).unwrap();
        s.handle_socket_packet(ws, EnginePacket::ping_probe(), t0)
            .unwrap();
        s.close(t0);
        assert!(s.socket_should_close(ws));
        s.handle_socket_packet(ws, EnginePacket::Upgrade, t0)
            .unwrap();
        assert_eq!(s.transport(), Transport::Polling);
        assert_eq!(get(&mut s).unwrap(), [EnginePacket::Close]);
    }

    #[test]
    fn send_options_go_with_each_packet_to_the_websocket() {
        let t0 = Instant::now();
        let mut s = Session::new("a", Transport::WebSocket, config(), t0);
        let ws = s.socket().unwrap();
        let plain = SendOptions::new().with_compress(false);
        s.send(text("compressed")).unwrap();
        s.send_with(text("secret"), plain).unwrap();
        let packet = [text("text"), MessageData::Binary(vec![1u8].into())];
        s.send_all_with(&packet, plain).unwrap();
        s.send_all(&packet).unwrap();
        let out: Vec<_> = std::iter::from_fn(|| s.poll_socket_transmit_with(ws))
            .map(|(p, o)| (p, o.compress))
            .collect();
        assert!(matches!(&out[0], (EnginePacket::Open(_), true)));
        assert_eq!(
            out[1..],
            [
                (EnginePacket::message("compressed"), true),
                (EnginePacket::message("secret"), false),
                (EnginePacket::message("text"), false),
                (EnginePacket::binary(vec![1u8]), false),
                (EnginePacket::message("text"), true),
                (EnginePacket::binary(vec![1u8]), true),
            ]
        );
        // The heartbeat goes with the defaults.
        s.handle_timeout(t0 + ms(300));
        assert_eq!(
            s.poll_socket_transmit_with(ws),
            Some((EnginePacket::ping(), SendOptions::default()))
        );
    }

    #[test]
    fn send_options_change_nothing_on_polling() {
        let t0 = Instant::now();
        let mut s = polling(t0);
        s.send_with(text("secret"), SendOptions::new().with_compress(false))
            .unwrap();
        s.send(text("plain")).unwrap();
        assert_eq!(
            get(&mut s).unwrap(),
            [
                EnginePacket::message("secret"),
                EnginePacket::message("plain")
            ]
        );
    }

    #[test]
    fn websocket_errors_close_the_session() {
        let t0 = Instant::now();
        let mut s = Session::new("a", Transport::WebSocket, config(), t0);
        let ws = s.socket().unwrap();
        s.fail_socket(ws, CloseReason::TransportError);
        assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
        assert!(s.socket_should_close(ws));
        assert_eq!(s.poll_socket_transmit(ws), None);
        let mut s = Session::new("a", Transport::WebSocket, config(), t0);
        s.socket_closed(ws, true);
        assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
    }
}
