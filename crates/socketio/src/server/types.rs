//! Small public types of the server: ids, reasons, errors.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A Socket.IO socket id (also the form of a recovery `pid`): 20
/// URL-safe base64 characters from 120 bits of the thread's CSPRNG
/// (seeded by the operating system), distinct from the Engine.IO session
/// id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sid([u8; 20]);

/// Hashes 16 of the id's random characters as two words: the server's own
/// maps of ids use a hasher that takes them as they are (the ids
/// are random, made here, so no client can choose colliding ones).
impl std::hash::Hash for Sid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (a, b) = self.words();
        state.write_u64(a ^ b.rotate_left(32));
    }
}

impl Sid {
    fn words(&self) -> (u64, u64) {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&self.0[..8]);
        b.copy_from_slice(&self.0[8..16]);
        (u64::from_le_bytes(a), u64::from_le_bytes(b))
    }
}

/// The hasher of the server's maps keyed by [`Sid`]: a multiply-and-fold
/// of the word `Sid` writes, no SipHash rounds (the keys are random ids
/// the server made).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SidHasher(u64);

impl std::hash::Hasher for SidHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Sid`; any other input still hashes (FNV-1a).
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^ (x >> 29)
    }
}

/// A map keyed by socket id.
pub(crate) type SidMap<V> =
    std::collections::HashMap<Sid, V, std::hash::BuildHasherDefault<SidHasher>>;

/// A set of socket ids.
pub(crate) type SidSet = std::collections::HashSet<Sid, std::hash::BuildHasherDefault<SidHasher>>;

impl Sid {
    /// A new random id.
    pub fn new() -> Sid {
        use base64::Engine as _;
        let mut random = [0u8; 15];
        rand::fill(&mut random);
        let mut out = [0u8; 20];
        // 15 bytes are exactly 20 base64 characters, without padding.
        let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(random, &mut out);
        Sid(out)
    }

    /// Reads an id the client sent back (a recovery `pid`): exactly 20
    /// URL-safe base64 characters.
    pub fn parse(s: &str) -> Option<Sid> {
        let bytes: [u8; 20] = s.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .then_some(Sid(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Default for Sid {
    fn default() -> Sid {
        Sid::new()
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a socket left its namespace, named as the reference server names
/// it ([`DisconnectReason::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// `server namespace disconnect`: the server called
    /// [`Socket::disconnect`](super::Socket::disconnect).
    ServerNamespaceDisconnect,
    /// `client namespace disconnect`: the client sent DISCONNECT (its
    /// `socket.disconnect()`).
    ClientNamespaceDisconnect,
    /// `transport close`: the client closed the connection or the
    /// Engine.IO session (a close packet, its WebSocket closed).
    TransportClose,
    /// `transport error`: the connection failed.
    TransportError,
    /// `ping timeout`: the client did not answer a ping in time.
    PingTimeout,
    /// `parse error`: the client sent a packet that does not parse, broke a
    /// limit, or did not send a binary packet's attachments in time.
    ParseError,
    /// `server shutting down`: [`SocketIo::shutdown`](super::SocketIo::shutdown).
    ServerShuttingDown,
    /// `forced close`: the server closed the Engine.IO session (also a
    /// client too slow to take a broadcast).
    ForcedClose,
    /// `forced server close`: the client broke the protocol's state rules
    /// (an event before CONNECT, a second CONNECT) or joined no namespace
    /// within the connect timeout.
    ForcedServerClose,
}

impl DisconnectReason {
    /// The reason as the reference server's text.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ForcedServerClose => "forced server close",
        }
    }

    /// Whether connection state recovery keeps the socket's state for a
    /// reconnection: every reason but an explicit disconnect on either
    /// side and a protocol violation, as in the reference.
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            DisconnectReason::TransportClose
                | DisconnectReason::TransportError
                | DisconnectReason::PingTimeout
                | DisconnectReason::ServerShuttingDown
                | DisconnectReason::ForcedClose
                | DisconnectReason::ForcedServerClose
        )
    }

    pub(crate) fn from_engine(reason: tether_engineio::session::CloseReason) -> DisconnectReason {
        use tether_engineio::session::CloseReason as C;
        match reason {
            C::TransportClose | C::ClientClose => DisconnectReason::TransportClose,
            C::TransportError => DisconnectReason::TransportError,
            C::PingTimeout => DisconnectReason::PingTimeout,
            C::ParseError => DisconnectReason::ParseError,
            _ => DisconnectReason::ForcedClose,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an emit did not go out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The arguments do not make a packet (a reserved event name, not a
    /// sequence, a failing `Serialize`).
    #[error("cannot encode the packet: {0}")]
    Encode(#[from] crate::Error),
    /// The client's buffer is full: it does not read fast enough (see
    /// the [module documentation](super#slow-clients)).
    #[error("the client's send buffer is full")]
    Full,
    /// The socket is disconnected.
    #[error("the socket is disconnected")]
    Disconnected,
}

/// Why an acknowledgement did not arrive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// No answer within the timeout.
    #[error("no acknowledgement within {0:?}")]
    Timeout(Duration),
    /// The socket disconnected before it answered.
    #[error("the socket disconnected before it answered")]
    Disconnected,
    /// The answer's arguments do not deserialize into the type asked for.
    #[error("the acknowledgement does not decode: {0}")]
    Decode(crate::Error),
}

/// A middleware's refusal: the client gets `CONNECT_ERROR` with
/// `{"message":..}` and, when set, `"data"`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    message: String,
    data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with `message` (the client's `err.message`).
    pub fn new(message: impl Into<String>) -> ConnectError {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data` (the client's `err.data`).
    pub fn with_data(mut self, data: impl Serialize) -> ConnectError {
        self.data = serde_json::to_value(data).ok();
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The data, if any.
    pub fn data(&self) -> Option<&serde_json::Value> {
        self.data.as_ref()
    }

    pub(crate) fn packet(&self, namespace: &crate::Utf8Bytes) -> Option<crate::Packet> {
        #[derive(Serialize)]
        struct Body<'a> {
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            data: Option<&'a serde_json::Value>,
        }
        crate::Packet::connect_error_with(
            namespace.clone(),
            &Body {
                message: &self.message,
                data: self.data.as_ref(),
            },
        )
        .ok()
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}
