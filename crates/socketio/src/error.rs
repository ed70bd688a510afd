//! The one error type of this crate.

use crate::packet::PacketType;

/// Everything that can go wrong while decoding or encoding Socket.IO packets.
///
/// [`Error::kind`] tells who is at fault:
///
/// * [`ErrorKind::Peer`]: the peer broke the protocol or a limit. The
///   protocol has no error packet for a malformed packet: the reference
///   implementations close the Engine.IO session ("parse error"), and so
///   does the runtime ([`Error::is_peer_error`]). The decoder has already
///   dropped any half-assembled binary packet.
/// * [`ErrorKind::Caller`]: a packet the caller built cannot be put on the
///   wire as asked (nothing was encoded), or an accessor was used on the
///   wrong packet type.
/// * [`ErrorKind::Data`]: a well-formed payload does not deserialize into
///   the type the application asked for. The connection is fine; what to
///   do (ignore, answer the ack with an error) is the application's choice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An empty text message: no packet type.
    #[error("empty Socket.IO packet")]
    EmptyPacket,

    /// The first character is not a packet type digit `0`-`6`.
    #[error("unknown Socket.IO packet type {byte:#04x}")]
    UnknownPacketType {
        /// The first byte of the packet.
        byte: u8,
    },

    /// A binary packet (`5`, `6`) whose header lacks the `<n>-` attachment
    /// count, or whose count is zero, has a leading zero or is not decimal.
    #[error("invalid attachment count in a binary Socket.IO packet")]
    InvalidAttachmentCount,

    /// A packet type without attachments carries an `<n>-` attachment count.
    #[error("Socket.IO {packet_type} packet has an attachment count")]
    UnexpectedAttachmentCount {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// The header announces more attachments than
    /// [`SocketConfig::max_attachments`](crate::SocketConfig::max_attachments);
    /// reported from the header, before any attachment is buffered.
    #[error("Socket.IO packet announces {count} attachments, more than the limit of {max}")]
    TooManyAttachments {
        /// The announced count (saturated at `u64::MAX`).
        count: u64,
        /// The configured maximum.
        max: usize,
    },

    /// The ack id has a leading zero or exceeds 2^53 - 1 (JavaScript's
    /// largest safe integer).
    #[error("invalid Socket.IO ack id")]
    InvalidAckId,

    /// A CONNECT, DISCONNECT or CONNECT_ERROR packet has an ack id.
    #[error("Socket.IO {packet_type} packet has an ack id")]
    UnexpectedAckId {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// An ACK or BINARY_ACK packet has no ack id.
    #[error("Socket.IO {packet_type} packet has no ack id")]
    MissingAckId {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// The payload is missing, present where none is allowed, or of the
    /// wrong shape for the packet type (see [`Packet`](crate::Packet)).
    #[error("invalid payload for a Socket.IO {packet_type} packet")]
    InvalidPayload {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// An event is named `connect`, `connect_error`, `disconnect`,
    /// `disconnecting`, `newListener` or `removeListener`
    /// ([`RESERVED_EVENT_NAMES`](crate::RESERVED_EVENT_NAMES)).
    #[error("reserved Socket.IO event name")]
    ReservedEventName,

    /// The payload is not JSON, has bytes after the JSON value, or starts
    /// with whitespace; or, in a binary packet (whose every value is
    /// examined for placeholders), nests deeper than serde_json's limit of
    /// 128 levels.
    #[error("invalid JSON in Socket.IO packet near byte {offset}")]
    InvalidJson {
        /// Byte offset in the Socket.IO packet text (after the Engine.IO type
        /// digit) near which the JSON parser stopped.
        offset: usize,
    },

    /// An object with `"_placeholder": true` in a binary packet is not
    /// exactly `{"_placeholder":true,"num":i}` with an integer `i` below the
    /// attachment count.
    #[error("illegal attachment placeholder in a binary Socket.IO packet")]
    IllegalPlaceholder,

    /// A binary message arrived while no binary packet awaits attachments.
    #[error("binary message while no Socket.IO attachment is expected")]
    UnexpectedBinary,

    /// A text message arrived while a binary packet still awaits attachments.
    #[error("text message while {pending} Socket.IO attachments are pending")]
    UnexpectedText {
        /// Attachments that were still expected.
        pending: usize,
    },

    /// A text packet is larger than
    /// [`SocketConfig::max_packet_size`](crate::SocketConfig::max_packet_size).
    #[error("Socket.IO packet of {size} bytes exceeds the limit of {max}")]
    PacketTooLarge {
        /// The packet's size in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },

    /// An attachment is larger than
    /// [`SocketConfig::max_attachment_size`](crate::SocketConfig::max_attachment_size).
    #[error("Socket.IO attachment of {size} bytes exceeds the limit of {max}")]
    AttachmentTooLarge {
        /// The attachment's size in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },

    /// The attachments of one packet add up to more than
    /// [`SocketConfig::max_total_attachment_size`](crate::SocketConfig::max_total_attachment_size).
    #[error("Socket.IO attachments of at least {size} bytes exceed the limit of {max}")]
    AttachmentsTooLarge {
        /// The attachments' size so far, in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },

    /// Caller error: a namespace that is empty, does not start with `/` or
    /// contains `,` (which would end it early on the wire).
    #[error("invalid Socket.IO namespace")]
    InvalidNamespace,

    /// Caller error: an outgoing event has a reserved name.
    #[error("outgoing Socket.IO event has a reserved name")]
    OutgoingReservedEventName,

    /// Caller error: the data given to a packet constructor does not
    /// serialize to the shape the packet type needs (event and ack arguments:
    /// a sequence; CONNECT data: a map; CONNECT_ERROR data: a string or a map).
    #[error("outgoing Socket.IO {packet_type} packet has an invalid payload")]
    OutgoingInvalidPayload {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// Caller error: an outgoing ack id exceeds 2^53 - 1, which a JavaScript
    /// peer cannot represent exactly.
    #[error("outgoing Socket.IO ack id exceeds 2^53 - 1")]
    OutgoingInvalidAckId,

    /// Caller error: an accessor that needs another packet type (for
    /// example [`Packet::args`](crate::Packet::args) on an ACK).
    #[error("not available on a Socket.IO {packet_type} packet")]
    WrongPacketType {
        /// The packet's type.
        packet_type: PacketType,
    },

    /// Caller error: the data given to a packet constructor failed to
    /// serialize.
    #[error("Socket.IO payload does not serialize: {0}")]
    Serialize(#[source] serde_json::Error),

    /// Data error: the payload does not deserialize into the requested type.
    #[error("Socket.IO payload does not deserialize: {0}")]
    Deserialize(#[source] serde_json::Error),

    /// The Engine.IO layer below failed: a malformed Engine.IO packet or
    /// WebSocket message (a peer error, with that layer's close code), or
    /// the transport's I/O.
    #[error(transparent)]
    Engine(#[from] tether_engineio::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Engine(tether_engineio::Error::Io(e))
    }
}

/// Who is at fault for an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The peer broke the protocol or exceeded a limit: close the connection.
    Peer,
    /// The caller asked for something the protocol forbids; nothing was
    /// encoded.
    Caller,
    /// The payload is valid but does not fit the requested type.
    Data,
    /// The transport failed (I/O, or another codec's error below).
    Transport,
}

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::EmptyPacket
            | Error::UnknownPacketType { .. }
            | Error::InvalidAttachmentCount
            | Error::UnexpectedAttachmentCount { .. }
            | Error::TooManyAttachments { .. }
            | Error::InvalidAckId
            | Error::UnexpectedAckId { .. }
            | Error::MissingAckId { .. }
            | Error::InvalidPayload { .. }
            | Error::ReservedEventName
            | Error::InvalidJson { .. }
            | Error::IllegalPlaceholder
            | Error::UnexpectedBinary
            | Error::UnexpectedText { .. }
            | Error::PacketTooLarge { .. }
            | Error::AttachmentTooLarge { .. }
            | Error::AttachmentsTooLarge { .. } => ErrorKind::Peer,
            Error::InvalidNamespace
            | Error::OutgoingReservedEventName
            | Error::OutgoingInvalidPayload { .. }
            | Error::OutgoingInvalidAckId
            | Error::WrongPacketType { .. }
            | Error::Serialize(_) => ErrorKind::Caller,
            Error::Deserialize(_) => ErrorKind::Data,
            Error::Engine(e) if e.is_peer_error() => ErrorKind::Peer,
            Error::Engine(_) => ErrorKind::Transport,
        }
    }

    /// Whether the peer broke the protocol or a limit: the runtime closes the
    /// Engine.IO session, as the reference implementations do on a parse
    /// error.
    pub fn is_peer_error(&self) -> bool {
        self.kind() == ErrorKind::Peer
    }

    /// The WebSocket close code to fail the connection with, for a peer
    /// error on a WebSocket transport: 1009 for a limit, 1002 for a
    /// malformed packet, the lower layers' own code for their errors.
    pub fn close_code(&self) -> Option<tether_engineio::CloseCode> {
        use tether_engineio::CloseCode;
        match self {
            Error::Engine(e) => e.close_code(),
            e if e.is_limit_exceeded() => Some(CloseCode::MessageTooBig),
            e if e.is_peer_error() => Some(CloseCode::ProtocolError),
            _ => None,
        }
    }

    /// Whether a limit of [`SocketConfig`](crate::SocketConfig) was exceeded
    /// (a subset of the peer errors; over a WebSocket the runtime may close
    /// with 1009 instead of 1002).
    pub fn is_limit_exceeded(&self) -> bool {
        matches!(
            self,
            Error::TooManyAttachments { .. }
                | Error::PacketTooLarge { .. }
                | Error::AttachmentTooLarge { .. }
                | Error::AttachmentsTooLarge { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert!(Error::IllegalPlaceholder.is_peer_error());
        assert!(Error::UnexpectedText { pending: 1 }.is_peer_error());
        assert_eq!(Error::InvalidNamespace.kind(), ErrorKind::Caller);
        assert!(!Error::OutgoingReservedEventName.is_peer_error());
        let de = serde_json::from_str::<u8>("x").expect_err("not json");
        assert_eq!(Error::Deserialize(de).kind(), ErrorKind::Data);
        assert!(Error::TooManyAttachments { count: 11, max: 10 }.is_limit_exceeded());
        assert!(!Error::InvalidAckId.is_limit_exceeded());
        assert_eq!(
            Error::InvalidPayload {
                packet_type: PacketType::BinaryEvent
            }
            .to_string(),
            "invalid payload for a Socket.IO BINARY_EVENT packet"
        );
    }
}
