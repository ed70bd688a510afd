//! The errors of this crate.

use http::{HeaderMap, StatusCode};
use tether_frame::CloseCode;

/// Everything that can end a WebSocket connection or refuse to open one.
///
/// [`Error::close_code`] is the close code the connection was failed with
/// when the peer broke the protocol; [`Error::kind`] tells peer errors from
/// caller errors and I/O.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),

    /// The opening handshake failed.
    #[error("handshake: {0}")]
    Handshake(#[from] HandshakeError),

    /// The peer broke RFC 6455 (or the caller tried to send something that
    /// may not be sent: see [`Error::kind`]). For a peer error the
    /// connection was failed with [`Error::close_code`].
    #[error(transparent)]
    Protocol(#[from] tether_message::Error),

    /// A send after the close handshake started, or a receive after the
    /// connection was closed.
    #[error("the connection is closed")]
    ConnectionClosed,

    /// The transport ended without a close handshake (what RFC 6455 calls
    /// close code 1006, abnormal closure).
    #[error("the connection ended without a close handshake")]
    ResetWithoutClose,

    /// Nothing arrived for the configured idle timeout; the connection was
    /// closed (1001, going away).
    #[error("no data for the idle timeout")]
    IdleTimeout,
}

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io(_) => ErrorKind::Io,
            Error::Handshake(e) => e.kind(),
            Error::Protocol(e) => e.kind(),
            Error::ConnectionClosed => ErrorKind::Caller,
            Error::IdleTimeout | Error::ResetWithoutClose => ErrorKind::Peer,
        }
    }

    /// The close code the connection was failed with, for a peer's protocol
    /// error (1002, 1007, 1009), or 1001 after an idle timeout.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Protocol(e) => e.close_code(),
            Error::IdleTimeout => Some(CloseCode::GoingAway),
            Error::Io(_)
            | Error::Handshake(_)
            | Error::ConnectionClosed
            | Error::ResetWithoutClose => None,
        }
    }
}

/// Who caused an [`Error`]: the peer, the caller or the transport (the
/// same classification as the lower layers', so a protocol error keeps
/// its kind).
pub use tether_frame::ErrorKind;

/// Why an opening handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The bytes are not an HTTP/1.x message. A server answers 400.
    #[error("not an HTTP/1.x message")]
    Malformed,

    /// The head did not end within the limit. A server answers 431.
    #[error("HTTP head larger than {max} bytes")]
    HeadTooLarge {
        /// The configured limit.
        max: usize,
    },

    /// More header lines than the limit. A server answers 431.
    #[error("more than {max} header lines")]
    TooManyHeaders {
        /// The configured limit.
        max: usize,
    },

    /// The handshake did not complete within the configured time. A server
    /// answers 408.
    #[error("the handshake timed out")]
    Timeout,

    /// Server side: the request is not a valid WebSocket upgrade; answered
    /// with [`RequestProblem::status`].
    #[error("invalid upgrade request: {}", .0.reason())]
    Rejected(RequestProblem),

    /// Server side: the accept callback refused the request with this
    /// status.
    #[error("refused by the application with {0}")]
    Declined(StatusCode),

    /// Client side: the server answered with a status other than 101.
    #[error("the server answered {status}")]
    Refused {
        /// The status.
        status: StatusCode,
        /// The response headers.
        headers: Box<HeaderMap>,
    },

    /// Client side: a 101 answer that breaks RFC 6455 section 4.1.
    #[error("invalid handshake response: {0:?}")]
    InvalidResponse(ResponseProblem),

    /// Client side: the URL is not `ws://` or `wss://` with a host, or
    /// `wss://` without the `rustls` feature.
    #[error("not a ws:// or wss:// URL with a host")]
    InvalidUrl,
}

impl HandshakeError {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HandshakeError::InvalidUrl => ErrorKind::Caller,
            HandshakeError::Malformed
            | HandshakeError::HeadTooLarge { .. }
            | HandshakeError::TooManyHeaders { .. }
            | HandshakeError::Timeout
            | HandshakeError::Rejected(_)
            | HandshakeError::Declined(_)
            | HandshakeError::Refused { .. }
            | HandshakeError::InvalidResponse(_) => ErrorKind::Peer,
        }
    }

    /// The HTTP status a server answers with, for errors a server sees.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HandshakeError::Malformed => Some(StatusCode::BAD_REQUEST),
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => {
                Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            HandshakeError::Timeout => Some(StatusCode::REQUEST_TIMEOUT),
            HandshakeError::Rejected(p) => Some(p.status()),
            HandshakeError::Declined(s) => Some(*s),
            HandshakeError::Refused { .. }
            | HandshakeError::InvalidResponse(_)
            | HandshakeError::InvalidUrl => None,
        }
    }
}

/// What is wrong with an upgrade request (RFC 6455 section 4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestProblem {
    /// Not a GET (405).
    Method,
    /// Not HTTP/1.1 or later (400).
    HttpVersion,
    /// No `Host` header, or more than one (400).
    Host,
    /// No `Upgrade: websocket` (426).
    Upgrade,
    /// No `Upgrade` token in `Connection` (426).
    Connection,
    /// `Sec-WebSocket-Version` missing or not 13 (426, with
    /// `Sec-WebSocket-Version: 13`).
    WebSocketVersion,
    /// `Sec-WebSocket-Key` missing, repeated, or not base64 of 16 bytes (400).
    Key,
    /// A malformed `Sec-WebSocket-Extensions` header (400).
    Extensions,
}

impl RequestProblem {
    /// The status to answer with.
    pub fn status(self) -> StatusCode {
        match self {
            RequestProblem::Method => StatusCode::METHOD_NOT_ALLOWED,
            RequestProblem::Upgrade
            | RequestProblem::Connection
            | RequestProblem::WebSocketVersion => StatusCode::UPGRADE_REQUIRED,
            RequestProblem::HttpVersion | RequestProblem::Host | RequestProblem::Key => {
                StatusCode::BAD_REQUEST
            }
            RequestProblem::Extensions => StatusCode::BAD_REQUEST,
        }
    }

    /// The reason, sent as the body of the error answer.
    pub fn reason(self) -> &'static str {
        match self {
            RequestProblem::Method => "a WebSocket upgrade must be a GET request\n",
            RequestProblem::HttpVersion => "a WebSocket upgrade needs HTTP/1.1\n",
            RequestProblem::Host => "exactly one Host header is required\n",
            RequestProblem::Upgrade => {
                "this resource needs a WebSocket upgrade (Upgrade: websocket)\n"
            }
            RequestProblem::Connection => "the Connection header must list Upgrade\n",
            RequestProblem::WebSocketVersion => "only WebSocket version 13 is supported\n",
            RequestProblem::Key => "Sec-WebSocket-Key must be base64 of 16 bytes\n",
            RequestProblem::Extensions => "malformed Sec-WebSocket-Extensions header\n",
        }
    }
}

/// What is wrong with a server's 101 answer (RFC 6455 section 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// No `Upgrade: websocket`.
    Upgrade,
    /// No `Upgrade` token in `Connection`.
    Connection,
    /// `Sec-WebSocket-Accept` missing or not the hash of our key.
    Accept,
    /// A subprotocol that was not offered, or several.
    Protocol,
    /// An extension that was not offered, or a malformed
    /// `Sec-WebSocket-Extensions` header.
    Extensions,
    /// A `permessage-deflate` answer that breaks RFC 7692 section 7.1
    /// (feature `deflate`).
    Deflate(DeflateProblem),
}

/// What is wrong with a `permessage-deflate` element (RFC 7692 section
/// 7.1): a server skips such an offer, a client fails the handshake on such
/// an answer ([`ResponseProblem::Deflate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeflateProblem {
    /// A parameter RFC 7692 does not define.
    UnknownParameter,
    /// A parameter given twice in one element.
    DuplicateParameter,
    /// A value on `*_no_context_takeover`, none where one is required, or a
    /// window size that is not 8 to 15 (decimal, no leading zeros).
    InvalidValue,
    /// An extension or a parameter in the answer that the client did not
    /// offer (`client_max_window_bits`, any extension but
    /// `permessage-deflate`, anything when nothing was offered).
    NotOffered,
    /// A window size larger than the client offered.
    WindowTooLarge,
    /// The client asked for `server_no_context_takeover` or
    /// `server_max_window_bits` and the answer does not grant it.
    Unanswered,
    /// More than one `permessage-deflate` in the answer.
    Repeated,
}
