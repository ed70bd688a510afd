//! The one error type of this crate.

/// Everything that can go wrong while decoding or encoding an event stream.
///
/// Malformed input is never an error: the WHATWG rules give every byte
/// sequence a meaning (invalid UTF-8 becomes U+FFFD, unknown fields and
/// bad `retry` values are ignored). The only decode errors are the limits of
/// [`DecoderConfig`](crate::DecoderConfig) and I/O; the only encode errors are
/// fields that would change the structure of the stream.
///
/// | variant | [`ErrorKind`] | reaction |
/// |---|---|---|
/// | [`LineTooLong`](Error::LineTooLong) | `Peer` | drop the connection (an `EventSource` would treat it as a network error and reconnect) |
/// | [`EventTooBig`](Error::EventTooBig) | `Peer` | same |
/// | [`InvalidId`](Error::InvalidId) | `Caller` | nothing was written; fix the id |
/// | [`InvalidEventType`](Error::InvalidEventType) | `Caller` | nothing was written; fix the type |
/// | [`Io`](Error::Io) | `Io` | the transport failed |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line (field or comment, without its line end) is longer than
    /// [`DecoderConfig::max_line_len`](crate::DecoderConfig::max_line_len).
    /// Reported as soon as that many bytes of the line are buffered without a
    /// line end, whatever the read boundaries.
    #[error("line longer than {max} bytes")]
    LineTooLong {
        /// The configured maximum.
        max: usize,
    },

    /// The data of one event (its `data` values joined with LF) would be
    /// longer than
    /// [`DecoderConfig::max_event_size`](crate::DecoderConfig::max_event_size).
    /// Reported at the `data` line that crosses the limit, before it is
    /// appended (or, when U+FFFD in place of invalid bytes makes the data
    /// longer than the bytes received, at the blank line).
    #[error("event data longer than {max} bytes")]
    EventTooBig {
        /// The configured maximum.
        max: usize,
    },

    /// Caller error: an outgoing `id` contains CR, LF (either would end the
    /// field and start another) or NUL (a receiver ignores such an id).
    #[error("event id contains byte {byte:#04x} at offset {at}")]
    InvalidId {
        /// Offset of the first offending byte in the id.
        at: usize,
        /// The byte: `0x0d`, `0x0a` or `0x00`.
        byte: u8,
    },

    /// Caller error: an outgoing `event` type contains CR, LF (either would
    /// end the field and start another) or NUL.
    #[error("event type contains byte {byte:#04x} at offset {at}")]
    InvalidEventType {
        /// Offset of the first offending byte in the type.
        at: usize,
        /// The byte: `0x0d`, `0x0a` or `0x00`.
        byte: u8,
    },

    /// The transport failed (from the `tokio-util` `Framed*` adapters).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Who is at fault for an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The peer sent more than the configured limits allow; drop the
    /// connection.
    Peer,
    /// The caller asked to send something the format cannot carry; nothing
    /// was written.
    Caller,
    /// The transport failed.
    Io,
}

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::LineTooLong { .. } | Error::EventTooBig { .. } => ErrorKind::Peer,
            Error::InvalidId { .. } | Error::InvalidEventType { .. } => ErrorKind::Caller,
            Error::Io(_) => ErrorKind::Io,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let e = Error::LineTooLong { max: 10 };
        assert_eq!(e.kind(), ErrorKind::Peer);
        assert_eq!(e.to_string(), "line longer than 10 bytes");
        let e = Error::EventTooBig { max: 3 };
        assert_eq!(e.kind(), ErrorKind::Peer);
        let e = Error::InvalidId { at: 2, byte: b'\n' };
        assert_eq!(e.kind(), ErrorKind::Caller);
        assert_eq!(e.to_string(), "event id contains byte 0x0a at offset 2");
        let e = Error::InvalidEventType { at: 0, byte: 0 };
        assert_eq!(e.kind(), ErrorKind::Caller);
        let e = Error::from(std::io::Error::other("x"));
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}
