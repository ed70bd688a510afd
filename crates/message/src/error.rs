//! The one error type of this crate.

use tether_frame::CloseCode;

/// Everything that can go wrong while decoding or encoding messages.
///
/// As in `tether-frame`, [`Error::kind`] tells peer errors (fail the
/// connection with [`Error::close_code`]) from caller errors (nothing was
/// sent) and I/O errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A frame-level error (its own close code applies), or I/O.
    #[error(transparent)]
    Frame(#[from] tether_frame::Error),

    /// A continuation frame arrived with no message open
    /// (RFC 6455 section 5.4). Close code 1002.
    #[error("continuation frame with no message in progress")]
    UnexpectedContinuation,

    /// A text or binary frame arrived while a fragmented message was still
    /// open (RFC 6455 section 5.4). Close code 1002.
    #[error("new data frame while a fragmented message is in progress")]
    MessageInProgress,

    /// Text that is not UTF-8 (RFC 6455 section 8.1), reported as soon as the
    /// bytes that prove it arrived. Close code 1007.
    #[error("invalid UTF-8 in text message after {valid_up_to} valid bytes")]
    InvalidUtf8 {
        /// Bytes of the message that were valid before the error.
        valid_up_to: usize,
    },

    /// A text message ended inside a code point. Close code 1007.
    #[error("text message ends inside a UTF-8 code point")]
    IncompleteUtf8,

    /// The declared frame lengths make the message larger than the limit;
    /// reported from a frame header, before its payload is buffered.
    /// Close code 1009.
    #[error("message of at least {size} bytes exceeds the limit of {max}")]
    MessageTooBig {
        /// The message size the headers declare so far.
        size: u64,
        /// The configured maximum.
        max: u64,
    },

    /// The message has more fragments than the limit. Close code 1009.
    #[error("message has more than {max} fragments")]
    TooManyFragments {
        /// The configured maximum.
        max: usize,
    },

    /// Caller error: a text or binary message was sent while a streamed
    /// message (started with [`Fragment::Start`](crate::Fragment::Start)) is
    /// open, or a fragment was sent with none open.
    #[error("outgoing fragments out of order")]
    OutgoingFragmentOrder,

    /// Caller error: the text of a streamed message is not UTF-8.
    #[error("outgoing text is not UTF-8 (valid up to byte {valid_up_to})")]
    OutgoingInvalidUtf8 {
        /// Bytes of the message that were valid before the error.
        valid_up_to: usize,
    },

    /// Caller error: a streamed text message ended inside a code point.
    #[error("outgoing text ends inside a UTF-8 code point")]
    OutgoingIncompleteUtf8,

    /// A control frame arrived with RSV1 set while permessage-deflate is in
    /// force (RFC 7692 section 6.1: control frames are never compressed).
    /// Close code 1002.
    #[error("control frame with RSV1 set")]
    CompressedControlFrame,

    /// A continuation frame arrived with RSV1 set (RFC 7692 section 6.1:
    /// RSV1 is set on the first frame of a compressed message only).
    /// Close code 1002.
    #[error("continuation frame with RSV1 set")]
    CompressedContinuation,

    /// The payload of a compressed message is not a valid DEFLATE stream
    /// (RFC 7692 section 7.2.2), after `inflated` inflated bytes.
    /// Close code 1007.
    #[error("invalid DEFLATE data after {inflated} inflated bytes")]
    InvalidCompressedData {
        /// Bytes of the message inflated before the error.
        inflated: u64,
    },

    /// Caller error: a whole message was asked for while the message being
    /// received is handed out in chunks (finish reading its chunks first).
    #[error("a message is being received in chunks")]
    ChunkedMessageInProgress,
}

pub use tether_frame::ErrorKind;

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Frame(e) => e.kind(),
            Error::OutgoingFragmentOrder
            | Error::OutgoingInvalidUtf8 { .. }
            | Error::OutgoingIncompleteUtf8
            | Error::ChunkedMessageInProgress => ErrorKind::Caller,
            Error::UnexpectedContinuation
            | Error::MessageInProgress
            | Error::InvalidUtf8 { .. }
            | Error::IncompleteUtf8
            | Error::MessageTooBig { .. }
            | Error::TooManyFragments { .. }
            | Error::CompressedControlFrame
            | Error::CompressedContinuation
            | Error::InvalidCompressedData { .. } => ErrorKind::Peer,
        }
    }

    /// The close code to fail the connection with, for peer errors.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Frame(e) => e.close_code(),
            Error::UnexpectedContinuation
            | Error::MessageInProgress
            | Error::CompressedControlFrame
            | Error::CompressedContinuation => Some(CloseCode::ProtocolError),
            Error::InvalidUtf8 { .. }
            | Error::IncompleteUtf8
            | Error::InvalidCompressedData { .. } => Some(CloseCode::InvalidPayload),
            Error::MessageTooBig { .. } | Error::TooManyFragments { .. } => {
                Some(CloseCode::MessageTooBig)
            }
            Error::OutgoingFragmentOrder
            | Error::OutgoingInvalidUtf8 { .. }
            | Error::OutgoingIncompleteUtf8
            | Error::ChunkedMessageInProgress => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Frame(tether_frame::Error::Io(e))
    }
}
