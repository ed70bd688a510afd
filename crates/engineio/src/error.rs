//! The one error type of this crate.

use tether_message::CloseCode;

/// Everything that can go wrong while decoding or encoding Engine.IO packets.
///
/// Each variant is either the peer's fault ([`Error::is_peer_error`]: the
/// runtime closes the transport, with [`Error::close_code`] on a WebSocket or
/// [`Error::http_status`] on a long-polling request), the caller's fault
/// (nothing was written), or an error of the transport below.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A packet with no type character: an empty text message, or an empty
    /// packet between two record separators of a payload.
    #[error("empty Engine.IO packet")]
    EmptyPacket,

    /// The first character is not a packet type (`0`-`6`) nor `b`.
    #[error("unknown Engine.IO packet type {byte:#04x}")]
    UnknownPacketType {
        /// The first byte of the packet.
        byte: u8,
    },

    /// A close, upgrade or noop packet carried data; those packets have none.
    #[error("Engine.IO packet type {packet_type} carries {len} bytes of unexpected data")]
    UnexpectedData {
        /// The packet type digit (1, 5 or 6).
        packet_type: u8,
        /// How many bytes followed the type.
        len: usize,
    },

    /// The open packet's handshake is not the JSON object the protocol
    /// defines (`sid`, `upgrades`, `pingInterval`, `pingTimeout`,
    /// `maxPayload`).
    #[error("invalid Engine.IO open packet (JSON error at line {line}, column {column})")]
    InvalidOpen {
        /// Line of the JSON error (1-based), 0 if not positional.
        line: usize,
        /// Column of the JSON error (1-based), 0 if not positional.
        column: usize,
    },

    /// The base64 of a `b` packet does not decode.
    #[error("invalid base64 in Engine.IO binary packet (at byte {offset})")]
    InvalidBase64 {
        /// Offset in the base64 text of the first bad symbol, or its length if
        /// the text is cut.
        offset: usize,
    },

    /// A long-polling payload is not UTF-8.
    #[error("Engine.IO payload is not UTF-8 after {valid_up_to} valid bytes")]
    InvalidUtf8 {
        /// Bytes of the payload that were valid before the error.
        valid_up_to: usize,
    },

    /// A long-polling payload is larger than `maxPayload`; reported before
    /// the excess is buffered. HTTP 413.
    #[error("Engine.IO payload of at least {size} bytes exceeds maxPayload {max}")]
    PayloadTooLarge {
        /// Bytes of the payload seen so far (at least this many).
        size: u64,
        /// The configured maximum.
        max: u64,
    },

    /// A long-polling payload has more packets than the limit.
    #[error("Engine.IO payload has more than {max} packets")]
    TooManyPackets {
        /// The configured maximum.
        max: usize,
    },

    /// Caller error: a packet that cannot be put on the wire as asked (an
    /// open packet whose handshake does not serialize, or a packet in a
    /// payload that a record separator would cut).
    #[error("Engine.IO packet cannot be encoded: {reason}")]
    Unencodable {
        /// Why, as a fixed phrase.
        reason: &'static str,
    },

    /// The WebSocket message codec below failed (its own close code applies).
    #[error(transparent)]
    Message(#[from] tether_message::Error),

    /// Another transport's error (for a codec of another crate plugged into
    /// [`EngineCodec`](crate::EngineCodec); see [`Error::transport`]).
    #[error("transport error: {0}")]
    Transport(Box<dyn std::error::Error + Send + Sync + 'static>),

    /// I/O error of the underlying stream.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Wraps an error of another crate's WebSocket codec.
    pub fn transport(error: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Transport(Box::new(error))
    }

    /// Whether the peer sent something the protocol forbids: the transport
    /// is to be closed.
    pub fn is_peer_error(&self) -> bool {
        match self {
            Error::EmptyPacket
            | Error::UnknownPacketType { .. }
            | Error::UnexpectedData { .. }
            | Error::InvalidOpen { .. }
            | Error::InvalidBase64 { .. }
            | Error::InvalidUtf8 { .. }
            | Error::PayloadTooLarge { .. }
            | Error::TooManyPackets { .. } => true,
            Error::Message(e) => e.kind() == tether_message::ErrorKind::Peer,
            Error::Unencodable { .. } | Error::Transport(_) | Error::Io(_) => false,
        }
    }

    /// The WebSocket close code to fail the connection with, for a peer
    /// error on a WebSocket transport: 1009 for a payload over the limit, the
    /// message layer's own code for its errors, 1002 for malformed packets
    /// (1007 for UTF-8).
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::PayloadTooLarge { .. } | Error::TooManyPackets { .. } => {
                Some(CloseCode::MessageTooBig)
            }
            Error::InvalidUtf8 { .. } => Some(CloseCode::InvalidPayload),
            Error::Message(e) => e.close_code(),
            e if e.is_peer_error() => Some(CloseCode::ProtocolError),
            _ => None,
        }
    }

    /// The HTTP status to answer a long-polling request with, for a peer
    /// error: 413 for a payload over `maxPayload`, 400 otherwise.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::PayloadTooLarge { .. } | Error::TooManyPackets { .. } => Some(413),
            e if e.is_peer_error() => Some(400),
            _ => None,
        }
    }
}
