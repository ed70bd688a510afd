//! The sans-IO core of one Socket.IO client (one Engine.IO session): the
//! packets of every namespace it multiplexes in, what the server is to do
//! with them out, and the deadlines it keeps.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tether_engineio::MessageData;

use super::DisconnectReason;
use crate::{ErrorKind, Packet, PacketDecoder, PacketType, SocketConfig, Utf8Bytes};

/// What the server is to do with a packet the client sent.
#[derive(Debug)]
pub(crate) enum Action<T> {
    /// CONNECT to a namespace the client has not joined: run the
    /// namespace's middleware, then [`ClientCore::connected`] or
    /// [`ClientCore::refused`].
    Connect {
        /// The namespace.
        namespace: Utf8Bytes,
        /// The CONNECT packet (its data is the auth payload).
        packet: Packet,
    },
    /// An EVENT or BINARY_EVENT for a joined namespace.
    Event(T, Packet),
    /// An ACK or BINARY_ACK for a joined namespace.
    Ack(T, Packet),
    /// The client left a namespace (`client namespace disconnect`); the
    /// namespace is already forgotten here.
    Disconnect(T),
}

/// Why the core closes the client: the typed outcome of each protocol
/// violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A packet that does not parse, a limit broken, or attachments that
    /// did not arrive in time: `parse error`.
    Parse(Option<ErrorKind>),
    /// A packet in a state that does not allow it (an event before the
    /// namespace's CONNECT, a second CONNECT for a namespace, a
    /// CONNECT_ERROR from the client): `forced server close`, as the
    /// reference closes on an invalid state.
    InvalidState(PacketType),
    /// No namespace joined within the connect timeout.
    ConnectTimeout,
}

impl Violation {
    /// The reason the client's namespaces are disconnected with.
    pub(crate) fn reason(&self) -> DisconnectReason {
        match self {
            Violation::Parse(_) => DisconnectReason::ParseError,
            Violation::InvalidState(_) | Violation::ConnectTimeout => {
                DisconnectReason::ForcedServerClose
            }
        }
    }
}

#[derive(Debug)]
enum NsState<T> {
    /// CONNECT received; middleware running.
    Connecting,
    Connected(T),
}

/// The protocol state of one client, as a table:
///
/// | namespace state | packet | action | next state |
/// |---|---|---|---|
/// | unknown | CONNECT | `Connect` | connecting |
/// | connecting | middleware passed ([`ClientCore::connected`]) | – | connected |
/// | connecting | middleware refused ([`ClientCore::refused`]) | – | unknown |
/// | connected | EVENT, BINARY_EVENT | `Event` | connected |
/// | connected | ACK, BINARY_ACK | `Ack` | connected |
/// | connected | DISCONNECT | `Disconnect` | unknown |
/// | unknown, connecting | anything but CONNECT | close, `forced server close` | – |
/// | connecting, connected | CONNECT (the official client repeats it) | ignored | unchanged |
/// | any | CONNECT_ERROR | close, `forced server close` | – |
/// | any | malformed or over a limit | close, `parse error` | – |
///
/// Deadlines: the connect timeout (no namespace joined since the session
/// opened) and the attachment timeout (a binary packet's attachments still
/// missing), both closing the client.
#[derive(Debug)]
pub(crate) struct ClientCore<T> {
    decoder: PacketDecoder,
    namespaces: HashMap<Utf8Bytes, NsState<T>>,
    connect_deadline: Option<Instant>,
    attachment_deadline: Option<Instant>,
    attachment_timeout: Duration,
    closed: Option<Violation>,
}

impl<T: Clone> ClientCore<T> {
    /// A client whose session opened at `now`.
    pub(crate) fn new(
        parser: SocketConfig,
        connect_timeout: Duration,
        attachment_timeout: Duration,
        now: Instant,
    ) -> ClientCore<T> {
        ClientCore {
            decoder: PacketDecoder::with_config(parser),
            namespaces: HashMap::new(),
            connect_deadline: now.checked_add(connect_timeout),
            attachment_deadline: None,
            attachment_timeout,
            closed: None,
        }
    }

    /// Why the client is closed, once it is.
    #[cfg(test)]
    pub(crate) fn violation(&self) -> Option<&Violation> {
        self.closed.as_ref()
    }

    /// Handles one Engine.IO message at `now`.
    ///
    /// # Errors
    ///
    /// The violation that closes the client; every later call returns it
    /// again.
    pub(crate) fn handle_message(
        &mut self,
        message: MessageData,
        now: Instant,
    ) -> Result<Option<Action<T>>, Violation> {
        if let Some(v) = &self.closed {
            return Err(v.clone());
        }
        let decoded = match message {
            MessageData::Text(text) => self.decoder.decode_text(text),
            MessageData::Binary(data) => self.decoder.decode_binary(data),
        };
        let packet = match decoded {
            Ok(Some(packet)) => packet,
            Ok(None) => {
                if self.attachment_deadline.is_none() {
                    self.attachment_deadline = now.checked_add(self.attachment_timeout);
                }
                return Ok(None);
            }
            Err(e) => return Err(self.close(Violation::Parse(Some(e.kind())))),
        };
        self.attachment_deadline = None;
        let namespace = packet.namespace().clone();
        let packet_type = packet.packet_type();
        let action = match (self.namespaces.get(&namespace), packet_type) {
            (None, PacketType::Connect) => {
                self.namespaces
                    .insert(namespace.clone(), NsState::Connecting);
                Action::Connect { namespace, packet }
            }
            // socket.io-client sends CONNECT again when `connect()` is
            // called on a socket still connecting, and the answer to the
            // first may be on its way: the first one stands. (The
            // reference opens a second socket and orphans the first.)
            (Some(_), PacketType::Connect) => return Ok(None),
            (Some(NsState::Connected(socket)), PacketType::Event | PacketType::BinaryEvent) => {
                Action::Event(socket.clone(), packet)
            }
            (Some(NsState::Connected(socket)), PacketType::Ack | PacketType::BinaryAck) => {
                Action::Ack(socket.clone(), packet)
            }
            (Some(NsState::Connected(_)), PacketType::Disconnect) => {
                match self.namespaces.remove(&namespace) {
                    Some(NsState::Connected(socket)) => Action::Disconnect(socket),
                    _ => return Err(self.close(Violation::InvalidState(packet_type))),
                }
            }
            _ => return Err(self.close(Violation::InvalidState(packet_type))),
        };
        Ok(Some(action))
    }

    fn close(&mut self, violation: Violation) -> Violation {
        self.closed = Some(violation.clone());
        self.decoder.reset();
        self.connect_deadline = None;
        self.attachment_deadline = None;
        violation
    }

    /// The middleware of `namespace` let the client in as `socket`.
    /// Returns false if the namespace is not connecting (the client is
    /// closed, or this was already called).
    pub(crate) fn connected(&mut self, namespace: &Utf8Bytes, socket: T) -> bool {
        match self.namespaces.get_mut(namespace) {
            Some(state @ NsState::Connecting) if self.closed.is_none() => {
                *state = NsState::Connected(socket);
                self.connect_deadline = None;
                true
            }
            _ => false,
        }
    }

    /// The middleware of `namespace` refused the client (the CONNECT_ERROR
    /// is the caller's to send): the client may try again.
    pub(crate) fn refused(&mut self, namespace: &Utf8Bytes) {
        if let Some(NsState::Connecting) = self.namespaces.get(namespace) {
            self.namespaces.remove(namespace);
        }
    }

    /// The server disconnected the client from `namespace` (the DISCONNECT
    /// is the caller's to send).
    pub(crate) fn disconnected(&mut self, namespace: &Utf8Bytes) -> Option<T> {
        match self.namespaces.remove(namespace) {
            Some(NsState::Connected(socket)) => Some(socket),
            _ => None,
        }
    }

    /// The sockets of every joined namespace.
    pub(crate) fn sockets(&self) -> Vec<T> {
        self.namespaces
            .values()
            .filter_map(|state| match state {
                NsState::Connected(socket) => Some(socket.clone()),
                NsState::Connecting => None,
            })
            .collect()
    }

    /// The sockets of every joined namespace, forgotten here: the client
    /// is closing.
    pub(crate) fn take_sockets(&mut self) -> Vec<T> {
        self.namespaces
            .drain()
            .filter_map(|(_, state)| match state {
                NsState::Connected(socket) => Some(socket),
                NsState::Connecting => None,
            })
            .collect()
    }

    /// How many namespaces are joined or joining.
    #[cfg(test)]
    pub(crate) fn namespace_count(&self) -> usize {
        self.namespaces.len()
    }

    /// The next deadline.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match (self.connect_deadline, self.attachment_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Handles the deadlines due at `now`.
    ///
    /// # Errors
    ///
    /// The violation that closes the client.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Result<(), Violation> {
        if self.attachment_deadline.is_some_and(|d| d <= now) {
            return Err(self.close(Violation::Parse(None)));
        }
        if self.connect_deadline.is_some_and(|d| d <= now) {
            let joined = self
                .namespaces
                .values()
                .any(|s| matches!(s, NsState::Connected(_)));
            if joined {
                self.connect_deadline = None;
            } else {
                return Err(self.close(Violation::ConnectTimeout));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn text(s: &'static str) -> MessageData {
        MessageData::Text(Utf8Bytes::from_static(s))
    }

    fn core(now: Instant) -> ClientCore<u32> {
        ClientCore::new(
            SocketConfig::default(),
            Duration::from_secs(45),
            Duration::from_secs(10),
            now,
        )
    }

    #[test]
    fn connect_event_ack_disconnect() {
        let t0 = Instant::now();
        let mut c = core(t0);
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(45)));
        let Ok(Some(Action::Connect { namespace, packet })) =
            c.handle_message(text(r#"0/chat,{"token":"x"}"#), t0)
        else {
            panic!("connect");
        };
        assert_eq!(&*namespace, "/chat");
        assert!(packet.payload().is_some());
        // An event while the middleware runs is an invalid state.
        assert!(c.connected(&namespace, 7));
        assert!(!c.connected(&namespace, 8), "connected once");
        assert_eq!(c.poll_timeout(), None);
        assert!(matches!(
            c.handle_message(text(r#"2/chat,["hi"]"#), t0),
            Ok(Some(Action::Event(7, _)))
        ));
        assert!(matches!(
            c.handle_message(text(r#"3/chat,4["ok"]"#), t0),
            Ok(Some(Action::Ack(7, _)))
        ));
        assert!(matches!(
            c.handle_message(text("1/chat,"), t0),
            Ok(Some(Action::Disconnect(7)))
        ));
        assert_eq!(c.namespace_count(), 0);
        // It may come back.
        assert!(matches!(
            c.handle_message(text("0/chat,"), t0),
            Ok(Some(Action::Connect { .. }))
        ));
    }

    #[test]
    fn binary_event_waits_for_its_attachments_in_order() {
        let t0 = Instant::now();
        let mut c = core(t0);
        c.handle_message(text("0"), t0).expect("connect");
        assert!(c.connected(&Utf8Bytes::from_static("/"), 1));
        let header = r#"52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert!(matches!(c.handle_message(text(header), t0), Ok(None)));
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(matches!(
            c.handle_message(MessageData::Binary(Bytes::from_static(b"a")), t0),
            Ok(None)
        ));
        let Ok(Some(Action::Event(1, p))) =
            c.handle_message(MessageData::Binary(Bytes::from_static(b"b")), t0)
        else {
            panic!("event");
        };
        assert_eq!(p.attachments().len(), 2);
        assert_eq!(c.poll_timeout(), None);
    }

    #[test]
    fn attachments_that_never_arrive_close_with_parse_error() {
        let t0 = Instant::now();
        let mut c = core(t0);
        c.handle_message(text("0"), t0).expect("connect");
        assert!(c.connected(&Utf8Bytes::from_static("/"), 1));
        let header = r#"51-["up",{"_placeholder":true,"num":0}]"#;
        assert!(matches!(c.handle_message(text(header), t0), Ok(None)));
        assert!(c.handle_timeout(t0 + Duration::from_secs(9)).is_ok());
        let v = c.handle_timeout(t0 + Duration::from_secs(10));
        assert_eq!(v, Err(Violation::Parse(None)));
        assert_eq!(
            Violation::Parse(None).reason(),
            DisconnectReason::ParseError
        );
        assert!(c.handle_message(text("0"), t0).is_err(), "closed for good");
    }

    #[test]
    fn invalid_states_close_the_client() {
        let t0 = Instant::now();
        for (setup, bad, ty) in [
            (&[][..], r#"2["early"]"#, PacketType::Event),
            (&[][..], "1", PacketType::Disconnect),
            (&["0"][..], r#"2["during middleware"]"#, PacketType::Event),
            (&[][..], r#"4{"message":"x"}"#, PacketType::ConnectError),
        ] {
            let mut c = core(t0);
            for s in setup {
                c.handle_message(MessageData::Text(Utf8Bytes::from(s.to_string())), t0)
                    .expect("setup");
            }
            let got = c.handle_message(MessageData::Text(Utf8Bytes::from(bad.to_owned())), t0);
            assert_eq!(got.err(), Some(Violation::InvalidState(ty)), "{bad}");
            assert_eq!(
                c.violation().map(Violation::reason),
                Some(DisconnectReason::ForcedServerClose)
            );
        }
    }

    #[test]
    fn connect_twice() {
        let t0 = Instant::now();
        let mut c = core(t0);
        c.handle_message(text("0/a,"), t0).expect("connect");
        // Repeated while connecting: ignored.
        assert!(matches!(c.handle_message(text("0/a,"), t0), Ok(None)));
        assert!(c.connected(&Utf8Bytes::from_static("/a"), 1));
        // Once connected too.
        assert!(matches!(c.handle_message(text("0/a,"), t0), Ok(None)));
        assert!(matches!(
            c.handle_message(text(r#"2/a,["x"]"#), t0),
            Ok(Some(Action::Event(1, _)))
        ));
    }

    #[test]
    fn malformed_packets_close_with_parse_error() {
        let t0 = Instant::now();
        for bad in ["", "9", "2[", r#"21-["x"]"#, "3/chat,", "0/chat,[1]"] {
            let mut c = core(t0);
            let got = c.handle_message(MessageData::Text(Utf8Bytes::from(bad.to_owned())), t0);
            assert!(
                matches!(got, Err(Violation::Parse(Some(_)))),
                "{bad:?}: {got:?}"
            );
        }
        let mut c = core(t0);
        let got = c.handle_message(MessageData::Binary(Bytes::from_static(b"x")), t0);
        assert!(matches!(got, Err(Violation::Parse(Some(_)))));
    }

    #[test]
    fn connect_timeout_unless_a_namespace_is_joined() {
        let t0 = Instant::now();
        let mut c = core(t0);
        // Refused once, still nothing joined at the deadline.
        c.handle_message(text("0/admin,"), t0).expect("connect");
        c.refused(&Utf8Bytes::from_static("/admin"));
        assert_eq!(c.namespace_count(), 0);
        assert!(c.handle_timeout(t0 + Duration::from_secs(44)).is_ok());
        assert_eq!(
            c.handle_timeout(t0 + Duration::from_secs(45)),
            Err(Violation::ConnectTimeout)
        );

        let mut c = core(t0);
        c.handle_message(text("0"), t0).expect("connect");
        assert!(c.connected(&Utf8Bytes::from_static("/"), 3));
        assert!(c.handle_timeout(t0 + Duration::from_secs(100)).is_ok());
        assert_eq!(c.take_sockets(), vec![3]);
    }
}
