//! The one error type of this crate.

use crate::close::CloseCode;
use crate::opcode::OpCode;

/// Everything that can go wrong while decoding or encoding frames.
///
/// Errors fall into three groups, which [`Error::kind`] tells apart:
///
/// * **peer errors**: the bytes a peer sent break RFC 6455 or a configured
///   limit. Each maps to the close code the connection must be failed with
///   ([`Error::close_code`]): 1002 (protocol error), 1007 (invalid payload
///   data) or 1009 (message too big).
/// * **caller errors**: a frame handed to the encoder that may not be sent
///   (an oversized control frame, an invalid close code). Nothing was
///   written; the connection is still usable.
/// * **I/O errors** from the underlying transport, passed through.
///
/// Variants carry the numbers involved, never formatted strings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The opcode is one of the reserved values 0x3-0x7 or 0xB-0xF
    /// (RFC 6455 section 5.2). Close code 1002.
    #[error("reserved opcode {0:#x}")]
    ReservedOpCode(u8),

    /// RSV bits are set that no negotiated extension defines
    /// (RFC 6455 section 5.2). The value holds the offending bits in their
    /// wire positions (0x40 = RSV1, 0x20 = RSV2, 0x10 = RSV3). Close code 1002.
    #[error("reserved bits {0:#04x} set without a negotiated extension")]
    ReservedBits(u8),

    /// A control frame declared a payload longer than 125 bytes
    /// (RFC 6455 section 5.5). Close code 1002.
    #[error("control frame payload of {0} bytes exceeds 125")]
    ControlFrameTooLong(u64),

    /// A control frame arrived without the FIN bit (RFC 6455 section 5.5).
    /// Close code 1002.
    #[error("fragmented control frame ({0:?})")]
    FragmentedControlFrame(OpCode),

    /// The most significant bit of a 64-bit payload length was set
    /// (RFC 6455 section 5.2). Close code 1002.
    #[error("64-bit payload length has its most significant bit set")]
    LengthMostSignificantBitSet,

    /// The payload length was not encoded in the minimal number of bytes
    /// (RFC 6455 section 5.2); only reported while
    /// [`FrameConfig::require_minimal_length`](crate::FrameConfig::require_minimal_length)
    /// is on. Close code 1002.
    #[error("payload length {len} not minimally encoded in {extended_bytes} extended bytes")]
    NonMinimalLength {
        /// The declared payload length.
        len: u64,
        /// The number of extended length bytes used (2 or 8).
        extended_bytes: u8,
    },

    /// The declared payload length is over the configured maximum frame size.
    /// Reported from the header alone, before any payload is buffered.
    /// Close code 1009.
    #[error("frame payload of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// The declared payload length.
        len: u64,
        /// The configured maximum.
        max: u64,
    },

    /// A server received a frame without a mask (RFC 6455 section 5.1).
    /// Close code 1002.
    #[error("client frame is not masked")]
    UnmaskedFrame,

    /// A client received a masked frame (RFC 6455 section 5.1).
    /// Close code 1002.
    #[error("server frame is masked")]
    MaskedFrame,

    /// A close frame carried exactly one payload byte; a close payload is
    /// either empty or starts with a two-byte code (RFC 6455 section 5.5.1).
    /// Close code 1002.
    #[error("close frame payload of 1 byte")]
    ClosePayloadTooShort,

    /// A close frame carried a code that may not appear on the wire
    /// (RFC 6455 section 7.4). Close code 1002.
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),

    /// The reason of a close frame is not valid UTF-8 (RFC 6455 section 5.5.1).
    /// Close code 1007.
    #[error("close reason is not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidCloseReason {
        /// Length of the valid UTF-8 prefix of the reason.
        valid_up_to: usize,
    },

    /// The stream ended in the middle of a frame: `buffered` bytes of an
    /// incomplete frame were left.
    #[error("stream ended inside a frame ({buffered} bytes buffered)")]
    Truncated {
        /// Bytes of the incomplete frame that had arrived.
        buffered: usize,
    },

    /// Caller error: the frame to encode is a control frame with a payload
    /// over 125 bytes. Nothing was written.
    #[error("cannot send a control frame with a {0}-byte payload (limit 125)")]
    OutgoingControlTooLong(usize),

    /// Caller error: the frame to encode is a control frame without FIN.
    /// Nothing was written.
    #[error("cannot send a fragmented control frame ({0:?})")]
    OutgoingControlFragmented(OpCode),

    /// Caller error: the close code may not be sent (1005, 1006 and 1015 are
    /// for local use only; see [`CloseCode::is_sendable`]). Nothing was written.
    #[error("cannot send close code {0}")]
    OutgoingInvalidCloseCode(u16),

    /// Caller error: the close reason makes the close payload longer than
    /// 125 bytes. Nothing was written.
    #[error("close reason of {0} bytes is too long (limit 123)")]
    OutgoingCloseReasonTooLong(usize),

    /// Caller error: the close payload to send is one byte long or its reason
    /// is not UTF-8. Nothing was written.
    #[error("cannot send a malformed close payload of {0} bytes")]
    OutgoingMalformedClose(usize),

    /// An I/O error from the transport.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// The broad class of an [`Error`]: who is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The peer broke the protocol or exceeded a limit; fail the connection
    /// with [`Error::close_code`].
    Peer,
    /// The caller asked for something the protocol forbids; nothing was sent.
    Caller,
    /// The transport failed.
    Io,
}

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::OutgoingControlTooLong(_)
            | Error::OutgoingControlFragmented(_)
            | Error::OutgoingInvalidCloseCode(_)
            | Error::OutgoingCloseReasonTooLong(_)
            | Error::OutgoingMalformedClose(_) => ErrorKind::Caller,
            Error::Io(_) => ErrorKind::Io,
            Error::ReservedOpCode(_)
            | Error::ReservedBits(_)
            | Error::ControlFrameTooLong(_)
            | Error::FragmentedControlFrame(_)
            | Error::LengthMostSignificantBitSet
            | Error::NonMinimalLength { .. }
            | Error::UnmaskedFrame
            | Error::MaskedFrame
            | Error::ClosePayloadTooShort
            | Error::InvalidCloseCode(_)
            | Error::InvalidCloseReason { .. }
            | Error::FrameTooLarge { .. }
            | Error::Truncated { .. } => ErrorKind::Peer,
        }
    }

    /// The close code to fail the connection with (RFC 6455 section 7.4.1),
    /// for errors caused by the peer. `None` for caller and I/O errors, and
    /// for a truncated stream (there is nobody left to send a close to).
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::ReservedOpCode(_)
            | Error::ReservedBits(_)
            | Error::ControlFrameTooLong(_)
            | Error::FragmentedControlFrame(_)
            | Error::LengthMostSignificantBitSet
            | Error::NonMinimalLength { .. }
            | Error::UnmaskedFrame
            | Error::MaskedFrame
            | Error::ClosePayloadTooShort
            | Error::InvalidCloseCode(_) => Some(CloseCode::ProtocolError),
            Error::InvalidCloseReason { .. } => Some(CloseCode::InvalidPayload),
            Error::FrameTooLarge { .. } => Some(CloseCode::MessageTooBig),
            Error::Truncated { .. }
            | Error::OutgoingControlTooLong(_)
            | Error::OutgoingControlFragmented(_)
            | Error::OutgoingInvalidCloseCode(_)
            | Error::OutgoingCloseReasonTooLong(_)
            | Error::OutgoingMalformedClose(_)
            | Error::Io(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_errors_map_to_close_codes() {
        assert_eq!(
            Error::ReservedOpCode(3).close_code(),
            Some(CloseCode::ProtocolError)
        );
        assert_eq!(
            Error::FrameTooLarge { len: 2, max: 1 }.close_code(),
            Some(CloseCode::MessageTooBig)
        );
        assert_eq!(
            Error::InvalidCloseReason { valid_up_to: 0 }.close_code(),
            Some(CloseCode::InvalidPayload)
        );
        assert_eq!(Error::ReservedBits(0x40).kind(), ErrorKind::Peer);
        assert_eq!(Error::OutgoingControlTooLong(126).kind(), ErrorKind::Caller);
        assert_eq!(Error::OutgoingControlTooLong(126).close_code(), None);
        let io = Error::from(std::io::Error::other("x"));
        assert_eq!(io.kind(), ErrorKind::Io);
    }
}
